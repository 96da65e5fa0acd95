package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientPropertiesTest {
    private static final String SECRET = "s3cr3t\"with\\quotes";

    @TempDir
    Path dir;

    private Path secureFile() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("security.protocol", "SASL_SSL");
        properties.setProperty("sasl.mechanism", "SCRAM-SHA-512");
        properties.setProperty("sasl.jaas.config", "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule required username=\"flink\" password=\"" + SECRET + "\";");
        Path file = dir.resolve("kafka-client.properties");
        try (var writer = Files.newBufferedWriter(file)) {
            properties.store(writer, null);
        }
        return file;
    }

    @Test
    void referencesEveryEntryThroughTheFileProviderWithoutCopyingAValue() throws Exception {
        Path file = secureFile();
        Properties references = KafkaClientProperties.references(file);
        assertEquals(Map.of(
                "config.providers", "tributary-file",
                "config.providers.tributary-file.class", "org.apache.flink.kafka.shaded.org.apache.kafka.common.config.provider.FileConfigProvider",
                "security.protocol", "${tributary-file:" + file + ":security.protocol}",
                "sasl.mechanism", "${tributary-file:" + file + ":sasl.mechanism}",
                "sasl.jaas.config", "${tributary-file:" + file + ":sasl.jaas.config}"), Map.copyOf(references));
        assertFalse(references.toString().contains(SECRET));
        assertEquals(List.of(), KafkaClientProperties.problems(file));
    }

    /** The file written by src/flink/feature-job-secrets.ts (test/unit/feature-job-secrets.test.ts checks it is byte for byte what it writes). */
    @Test
    void readsTheFileTributaryWrites() throws Exception {
        Properties written = new Properties();
        try (var reader = Files.newBufferedReader(Path.of("../../../test/fixtures/feature-job/kafka-client.properties"))) {
            written.load(reader);
        }
        assertEquals(Map.of(
                "sasl.jaas.config", "ScramLoginModule required username=\"flink\" password=\"q\\\"u\\\\o=t:e#d \u00e9\ud83d\ude00\";",
                "ssl.truststore.location", " /leading space/ca.pem",
                "odd=key:name", "line\nbreak\ttab"), Map.copyOf(written));
    }

    @Test
    void refusesKeysTheJobSetsItselfAndForeignConfigProvidersNamingKeysOnly() throws Exception {
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "bootstrap.servers=elsewhere:9092\nconfig.providers=env\nsasl.jaas.config=" + SECRET + "\n");
        assertEquals(List.of(
                "--kafka-client-properties " + file + ": sets bootstrap.servers, which the job sets itself",
                "--kafka-client-properties " + file + ": sets config.providers; the job brings its own config provider"),
                KafkaClientProperties.problems(file));
    }

    @Test
    void refusesAMissingOrEmptyFileAndAPathAReferenceCannotName() throws Exception {
        Path missing = dir.resolve("missing.properties");
        assertEquals(List.of("--kafka-client-properties " + missing + ": not a readable file"), KafkaClientProperties.problems(missing));
        Path empty = Files.writeString(dir.resolve("empty.properties"), "# nothing\n");
        assertEquals(List.of("--kafka-client-properties " + empty + ": the file sets nothing"), KafkaClientProperties.problems(empty));
        Path colon = dir.resolve("a:b.properties");
        assertEquals(List.of("--kafka-client-properties " + colon + ": the path may not contain ':' or '}' (Kafka's config references cannot name it)"),
                KafkaClientProperties.problems(colon));
    }

    @Test
    void jobOptionsCarryTheFileAndReportItsProblemsWithTheOthers() throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "a-key-of-some-length\n");
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", "127.0.0.1:9094", "--schema-registry-url", "http://127.0.0.1:8085/apis/ccompat/v7",
                "--source-topics", "t", "--labels-topic", "l", "--features-topic", "f", "--training-examples-topic", "e",
                "--dlq-topic", "d", "--group-id", "g", "--job-version", "v", "--pii-key-file", key.toString(),
                "--transactional-id-prefix", "p"));
        assertEquals(null, JobOptions.parse(args.toArray(String[]::new)).kafkaClientProperties());

        Path file = secureFile();
        args.addAll(List.of("--kafka-client-properties", file.toString()));
        assertEquals(file, JobOptions.parse(args.toArray(String[]::new)).kafkaClientProperties());

        args.set(args.size() - 1, dir.resolve("gone.properties").toString());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(args.toArray(String[]::new)));
        assertEquals("invalid feature job arguments (1 problem):\n  --kafka-client-properties " + dir.resolve("gone.properties") + ": not a readable file",
                error.getMessage());
    }
}
