package dev.tributary.flink.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The job's arguments, validated once at submission: any problem fails {@code main} with one
 * line per bad argument, which Flink's REST API returns to whoever submitted the jar.
 */
public record JobOptions(
        String bootstrapServers,
        String schemaRegistryUrl,
        String transactionsTopic,
        String labelsTopic,
        String featuresTopic,
        String trainingExamplesTopic,
        String dlqTopic,
        String groupId,
        String jobVersion,
        String jobName,
        Path piiKeyFile,
        long outOfOrdernessMs,
        long labelHorizonMs,
        /** When features are computed: on arrival (serving) or once the watermark passes (exact replays). */
        FeatureTiming featureTiming,
        String transactionalIdPrefix,
        /** Credentials and TLS settings of the Kafka clients (see {@link KafkaClientProperties}); null for a broker that needs none. */
        Path kafkaClientProperties) implements java.io.Serializable {

    public static final String DEFAULT_JOB_NAME = "tributary-feature-job";
    public static final long DEFAULT_OUT_OF_ORDERNESS_MS = 5_000L;
    public static final long DEFAULT_LABEL_HORIZON_MS = 7L * 24 * 60 * 60 * 1000;
    /** Arrival: features for scoring must not wait for the watermark (issue 16); event-time is for exact replays. */
    public static final FeatureTiming DEFAULT_FEATURE_TIMING = FeatureTiming.ARRIVAL;

    private static final List<String> REQUIRED = List.of(
            "bootstrap-servers", "schema-registry-url", "source-topics", "labels-topic", "features-topic",
            "training-examples-topic", "dlq-topic", "group-id", "job-version", "pii-key-file", "transactional-id-prefix");
    private static final Set<String> OPTIONAL = Set.of("out-of-orderness-ms", "label-horizon-ms", "feature-timing", "job-name", "kafka-client-properties");

    /** Thrown when the arguments are unusable; the message names every bad argument. */
    public static final class InvalidJobArgumentsException extends IllegalArgumentException {
        InvalidJobArgumentsException(List<String> problems) {
            super("invalid feature job arguments (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  "
                    + String.join("\n  ", problems));
        }
    }

    public static JobOptions parse(String[] args) {
        List<String> problems = new ArrayList<>();
        Map<String, String> values = pairs(args, problems);
        for (String name : REQUIRED) {
            String value = values.get(name);
            if (value == null || value.isBlank()) problems.add("--" + name + " is required");
        }
        long outOfOrderness = nonNegativeMillis(values, "out-of-orderness-ms", DEFAULT_OUT_OF_ORDERNESS_MS, problems);
        long labelHorizon = nonNegativeMillis(values, "label-horizon-ms", DEFAULT_LABEL_HORIZON_MS, problems);
        FeatureTiming featureTiming = featureTiming(values.get("feature-timing"), problems);
        String keyFile = values.get("pii-key-file");
        if (keyFile != null && !keyFile.isBlank()) checkKeyFile(Path.of(keyFile), problems);
        String clientProperties = values.get("kafka-client-properties");
        if (clientProperties != null) problems.addAll(KafkaClientProperties.problems(Path.of(clientProperties)));
        String sources = values.get("source-topics");
        // Tributary passes the definition's sources comma-separated; this job reads one stream, the transactions.
        if (sources != null && !sources.isBlank() && sources.contains(",")) {
            problems.add("--source-topics " + quote(sources) + ": expected one topic, the transactions (the fraud pipeline has one source)");
        }
        String registry = values.get("schema-registry-url");
        if (registry != null && !registry.isBlank() && !registry.matches("^https?://.+")) {
            problems.add("--schema-registry-url " + registry + ": expected an http(s) URL");
        }
        if (!problems.isEmpty()) throw new InvalidJobArgumentsException(problems);
        return new JobOptions(
                values.get("bootstrap-servers"), values.get("schema-registry-url"), values.get("source-topics"),
                values.get("labels-topic"), values.get("features-topic"), values.get("training-examples-topic"),
                values.get("dlq-topic"), values.get("group-id"), values.get("job-version"),
                values.getOrDefault("job-name", DEFAULT_JOB_NAME), Path.of(keyFile), outOfOrderness, labelHorizon, featureTiming,
                values.get("transactional-id-prefix"), clientProperties == null ? null : Path.of(clientProperties));
    }

    private static Map<String, String> pairs(String[] args, List<String> problems) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                problems.add("unexpected argument " + quote(arg) + ": expected --name value pairs");
                continue;
            }
            String name = arg.substring(2);
            if (!REQUIRED.contains(name) && !OPTIONAL.contains(name)) {
                problems.add("unknown argument --" + name);
            }
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                problems.add("--" + name + " needs a value");
                continue;
            }
            if (seen.merge(name, 1, Integer::sum) > 1) problems.add("--" + name + " is given more than once");
            values.put(name, args[++i]);
        }
        return values;
    }

    private static long nonNegativeMillis(Map<String, String> values, String name, long fallback, List<String> problems) {
        String value = values.get(name);
        if (value == null) return fallback;
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0) return parsed;
        } catch (NumberFormatException ignored) {
            // reported below, with the value
        }
        problems.add("--" + name + " " + quote(value) + ": expected a whole number of milliseconds, 0 or more");
        return fallback;
    }

    private static FeatureTiming featureTiming(String value, List<String> problems) {
        if (value == null) return DEFAULT_FEATURE_TIMING;
        return FeatureTiming.fromArgument(value).orElseGet(() -> {
            problems.add("--feature-timing " + quote(value) + ": expected " + FeatureTiming.ARRIVAL.argument() + " (features on arrival, for serving) or "
                    + FeatureTiming.EVENT_TIME.argument() + " (once the watermark passes, for exact replays)");
            return DEFAULT_FEATURE_TIMING;
        });
    }

    /** Checked here so a wrong path fails the submission, not the first record; the key itself is read only by the tasks. */
    private static void checkKeyFile(Path file, List<String> problems) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add("--pii-key-file " + file + ": not a readable file");
            return;
        }
        try {
            if (Files.size(file) == 0) problems.add("--pii-key-file " + file + ": the file is empty");
        } catch (java.io.IOException e) {
            problems.add("--pii-key-file " + file + ": " + e.getMessage());
        }
    }

    private static String quote(String value) {
        return "\"" + value + "\"";
    }
}
