package dev.tributary.flink.features;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Kafka client settings that carry credentials (security protocol, SASL, TLS trust), kept in
 * a file the JobManager and the TaskManagers can read. The job graph holds only references to the
 * file's entries, {@code ${tributary-file:<file>:<key>}}, which Kafka's FileConfigProvider
 * resolves when each client starts. So no password reaches the job graph, Flink's REST API, its
 * web UI or its logs, and rotating a password means rewriting the file.
 */
public final class KafkaClientProperties {
    static final String PROVIDER = "tributary-file";
    /** Relocated inside the cluster's flink-sql-connector-kafka, like every Kafka client class there. */
    static final String FILE_CONFIG_PROVIDER = "org.apache.flink.kafka.shaded.org.apache.kafka.common.config.provider.FileConfigProvider";

    /** Settings the job makes itself: a file that set them would silently change where it reads or its guarantees. */
    private static final Set<String> RESERVED = Set.of(
            "bootstrap.servers", "group.id", "client.id", "transactional.id", "isolation.level", "enable.auto.commit",
            "auto.offset.reset", "transaction.timeout.ms", "key.serializer", "value.serializer", "key.deserializer",
            "value.deserializer");

    private KafkaClientProperties() {
    }

    /**
     * Everything wrong with the file, one line each, naming keys and never values. FileConfigProvider
     * splits its references at ':' and ends them at '}', so the path may contain neither.
     */
    static List<String> problems(Path file) {
        String option = "--kafka-client-properties " + file;
        List<String> problems = new ArrayList<>();
        if (file.toString().contains(":") || file.toString().contains("}")) {
            problems.add(option + ": the path may not contain ':' or '}' (Kafka's config references cannot name it)");
            return problems;
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add(option + ": not a readable file");
            return problems;
        }
        Properties properties;
        try {
            properties = load(file);
        } catch (IOException | IllegalArgumentException e) {
            problems.add(option + ": not a properties file (" + e.getMessage() + ")");
            return problems;
        }
        if (properties.isEmpty()) problems.add(option + ": the file sets nothing");
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (RESERVED.contains(key)) problems.add(option + ": sets " + key + ", which the job sets itself");
            else if (key.startsWith("config.providers")) problems.add(option + ": sets " + key + "; the job brings its own config provider");
            else if (key.contains("}")) problems.add(option + ": the key " + key + " contains '}'");
        }
        return problems;
    }

    /**
     * Client properties that reference every entry of the file instead of copying it. Reads only
     * the key names here (in {@code main}, on the JobManager); the values are read by each client.
     */
    static Properties references(Path file) {
        Properties properties;
        try {
            properties = load(file);
        } catch (IOException e) {
            throw new IllegalStateException("reading the Kafka client properties " + file + " failed: " + e.getMessage(), e);
        }
        Properties references = new Properties();
        references.setProperty("config.providers", PROVIDER);
        references.setProperty("config.providers." + PROVIDER + ".class", FILE_CONFIG_PROVIDER);
        for (String key : properties.stringPropertyNames()) {
            references.setProperty(key, "${" + PROVIDER + ":" + file.toAbsolutePath() + ":" + key + "}");
        }
        return references;
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }
}
