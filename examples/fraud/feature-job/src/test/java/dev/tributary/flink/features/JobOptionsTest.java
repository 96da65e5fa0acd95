package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobOptionsTest {
    @TempDir
    Path dir;

    private List<String> validArgs() throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "a-key-of-some-length\n");
        return new ArrayList<>(List.of(
                "--bootstrap-servers", "127.0.0.1:9092", "--schema-registry-url", "http://127.0.0.1:8085/apis/ccompat/v7",
                "--source-topics", "t", "--labels-topic", "l", "--features-topic", "f", "--training-examples-topic", "e",
                "--dlq-topic", "d", "--group-id", "g", "--job-version", "v", "--pii-key-file", key.toString(),
                "--transactional-id-prefix", "p"));
    }

    @Test
    void defaultsTheOptionalArguments() throws Exception {
        JobOptions options = JobOptions.parse(validArgs().toArray(String[]::new));
        assertEquals(5_000L, options.outOfOrdernessMs());
        assertEquals(7L * 24 * 3600 * 1000, options.labelHorizonMs());
        assertEquals("tributary-feature-job", options.jobName());
        assertEquals(FeatureTiming.ARRIVAL, options.featureTiming());
    }

    @Test
    void choosesTheFeatureTiming() throws Exception {
        List<String> args = validArgs();
        args.addAll(List.of("--feature-timing", "event-time"));
        assertEquals(FeatureTiming.EVENT_TIME, JobOptions.parse(args.toArray(String[]::new)).featureTiming());
        args.set(args.size() - 1, "watermark");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(args.toArray(String[]::new)));
        assertEquals("invalid feature job arguments (1 problem):\n  --feature-timing \"watermark\": expected arrival (features on arrival, for serving) or event-time (once the watermark passes, for exact replays)", error.getMessage());
    }

    @Test
    void namesEveryBadArgument() throws Exception {
        List<String> args = validArgs();
        int at = args.indexOf("--features-topic");
        args.remove(at);
        args.remove(at);
        args.addAll(List.of("--out-of-orderness-ms", "soon", "--colour", "blue"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(args.toArray(String[]::new)));
        assertEquals("""
                invalid feature job arguments (3 problems):
                  unknown argument --colour
                  --features-topic is required
                  --out-of-orderness-ms "soon": expected a whole number of milliseconds, 0 or more""", error.getMessage());
    }

    @Test
    void readsOneSourceTopic() throws Exception {
        List<String> args = validArgs();
        args.set(args.indexOf("--source-topics") + 1, "a.transactions,a.refunds");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(args.toArray(String[]::new)));
        assertEquals("invalid feature job arguments (1 problem):\n  --source-topics \"a.transactions,a.refunds\": expected one topic, the transactions (the fraud pipeline has one source)", error.getMessage());
        assertEquals("t", JobOptions.parse(validArgs().toArray(String[]::new)).transactionsTopic());
    }

    @Test
    void rejectsAnUnreadableKeyFile() throws Exception {
        List<String> args = validArgs();
        args.set(args.indexOf("--pii-key-file") + 1, dir.resolve("missing").toString());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(args.toArray(String[]::new)));
        assertEquals("invalid feature job arguments (1 problem):\n  --pii-key-file " + dir.resolve("missing") + ": not a readable file", error.getMessage());
    }

    @Test
    void hashesWithTheKeyFromTheFileWithoutItsLineBreak() throws Exception {
        Path key = Files.writeString(dir.resolve("k"), "key\n");
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), the RFC-style example value.
        assertEquals("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
                PiiHasher.fromKeyFile(key).hash("The quick brown fox jumps over the lazy dog"));
    }
}
