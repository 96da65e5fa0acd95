package dev.tributary.flink.features;

import java.time.Duration;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The feature job: transactions → per-card features; features ⋈ labels → training examples;
 * anything undecodable → dead-letter queue. See this module's README.md.
 *
 * <p>Every stateful operator has a fixed uid, so a savepoint of one version restores into the next.
 * The sinks' uids name the features topic (see {@link #sinkUid}): a version that writes another
 * features topic (a blue/green upgrade, running beside the old job) starts its sinks afresh
 * instead of taking over the old job's Kafka transactions.
 */
public final class FeatureJob {
    /** A source partition without records for this long stops holding the watermark back. */
    static final Duration SOURCE_IDLENESS = Duration.ofSeconds(30);
    /** Below the broker's transaction.max.timeout.ms (1 h locally), well above a checkpoint. */
    static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(15);
    /**
     * The producers' batch size: 256 KiB, not Kafka's 16 KiB, so a backlog goes out in a sixteenth
     * of the produce requests (the producer's network thread took 0.92 s of CPU for 200k features
     * with 16 KiB). A batch still leaves after linger.ms when traffic is light, so latency is unchanged.
     */
    static final int PRODUCER_BATCH_BYTES = 256 * 1024;

    private FeatureJob() {
    }

    public static void main(String[] args) throws Exception {
        JobOptions options = JobOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, options);
        env.execute(options.jobName());
    }

    /**
     * Object reuse: a chained operator gets the record its predecessor emitted instead of a deep
     * copy made with reflection (the features sink received a copy of every Feature, its doubles
     * boxed on the way: about 100 MB of garbage per 200k features in a profile). Safe here because
     * every record type is an immutable Java record and no operator changes what it received.
     */
    static void configure(StreamExecutionEnvironment env) {
        env.getConfig().enableObjectReuse();
    }

    static void build(StreamExecutionEnvironment env, JobOptions options) {
        configure(env);
        // Watermarks in both feature timings: event-time waits for them, and both need them for the
        // history's retention timers and the label join's horizon.
        SingleOutputStreamOperator<CardTransaction> transactions = env
                .fromSource(source(options, options.transactionsTopic(), "transactions",
                                new TransactionDeserializer(options.schemaRegistryUrl(), options.piiKeyFile())),
                        WatermarkStrategy.<Decoded<CardTransaction>>forBoundedOutOfOrderness(Duration.ofMillis(options.outOfOrdernessMs()))
                                .withTimestampAssigner((decoded, kafkaTime) -> decoded.isValue() ? decoded.value().eventTime() : Long.MIN_VALUE)
                                .withIdleness(SOURCE_IDLENESS),
                        "transactions source")
                .uid("transactions-source")
                .process(new DeadLetterRouter<>(CardTransaction.class))
                .uid("transactions-dead-letter-router")
                .name("route undecodable transactions");

        SingleOutputStreamOperator<Label> labels = env
                .fromSource(source(options, options.labelsTopic(), "labels", new LabelDeserializer(options.schemaRegistryUrl())),
                        WatermarkStrategy.<Decoded<Label>>forBoundedOutOfOrderness(Duration.ofMillis(options.outOfOrdernessMs()))
                                .withTimestampAssigner((decoded, kafkaTime) -> decoded.isValue() ? decoded.value().labelTime() : Long.MIN_VALUE)
                                .withIdleness(SOURCE_IDLENESS),
                        "labels source")
                .uid("labels-source")
                .process(new DeadLetterRouter<>(Label.class))
                .uid("labels-dead-letter-router")
                .name("route undecodable labels");

        SingleOutputStreamOperator<Feature> features = transactions
                .keyBy(CardTransaction::cardHash)
                .process(new FeatureCalculator(options.jobVersion(), options.featureTiming()))
                .uid("feature-calculator")
                .name("card features");

        SingleOutputStreamOperator<TrainingExample> trainingExamples = features
                .map(new FeatureEncoder())
                .uid("feature-encoder")
                .name("encode features for the join")
                .keyBy(EncodedFeature::transactionId)
                .connect(labels.keyBy(Label::transactionId))
                .process(new TrainingExampleJoin(options.labelHorizonMs()))
                .uid("training-example-join")
                .name("join labels within the horizon");

        DataStream<DeadLetter> deadLetters = transactions.getSideOutput(DeadLetterRouter.DEAD_LETTERS)
                .union(labels.getSideOutput(DeadLetterRouter.DEAD_LETTERS));

        features.sinkTo(sink(options, "features", new KafkaRecordEncoder<>(options.featuresTopic(), Feature::cardHash,
                        new RegistryAvroEncoder<>(options.featuresTopic() + "-value", AvroSchemas.FEATURE, options.schemaRegistryUrl(), AvroRecords::feature))))
                .uid(sinkUid("features", options)).name("features sink");
        trainingExamples.sinkTo(sink(options, "training-examples", new KafkaRecordEncoder<>(options.trainingExamplesTopic(),
                        (TrainingExample example) -> example.feature().transactionId(),
                        new RegistryAvroEncoder<>(options.trainingExamplesTopic() + "-value", AvroSchemas.TRAINING_EXAMPLE, options.schemaRegistryUrl(), AvroRecords::trainingExample))))
                .uid(sinkUid("training-examples", options)).name("training examples sink");
        deadLetters.sinkTo(sink(options, "dlq", new KafkaRecordEncoder<>(options.dlqTopic(), DeadLetter::transactionId,
                        new RegistryAvroEncoder<>(options.dlqTopic() + "-value", AvroSchemas.DEAD_LETTER, options.schemaRegistryUrl(), AvroRecords::deadLetter))))
                .uid(sinkUid("dlq", options)).name("dead-letter sink");
    }

    /**
     * A restored KafkaSink aborts the lingering transactions of the transactional id prefix in its
     * state and commits the transactions the savepoint left pending. That is right for the next
     * version of the same pipeline (the old job has stopped), and wrong for a job that runs beside
     * the old one: it would fence the old job's open transactions. So the uid follows the features
     * topic: the same topic restores the sinks, a new (versioned) topic starts them without state,
     * submitted with allowNonRestoredState.
     */
    static String sinkUid(String role, JobOptions options) {
        return role + "-sink@" + options.featuresTopic();
    }

    private static <T> KafkaSource<Decoded<T>> source(JobOptions options, String topic, String role, KafkaRecordDeserializationSchema<Decoded<T>> deserializer) {
        return KafkaSource.<Decoded<T>>builder()
                .setBootstrapServers(options.bootstrapServers())
                .setTopics(topic)
                .setGroupId(options.groupId())
                .setClientIdPrefix(options.groupId() + "-" + role)
                // Resume where the group left off (offsets are committed on checkpoints); a new group reads everything.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                // Never read what a transactional producer aborted.
                .setProperty("isolation.level", "read_committed")
                .setProperties(securityReferences(options))
                .setDeserializer(deserializer)
                .build();
    }

    /** Exactly-once: records become visible to read_committed readers when the checkpoint that covers them completes. */
    private static <T> KafkaSink<T> sink(JobOptions options, String role, KafkaRecordSerializationSchema<T> encoder) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(options.bootstrapServers())
                .setRecordSerializer(encoder)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                // Unique per sink and per job version, so two versions side by side never fence each other.
                .setTransactionalIdPrefix(options.transactionalIdPrefix() + "-" + role)
                .setProperty("transaction.timeout.ms", String.valueOf(TRANSACTION_TIMEOUT.toMillis()))
                .setProperty("batch.size", String.valueOf(PRODUCER_BATCH_BYTES))
                .setKafkaProducerConfig(securityReferences(options))
                .build();
    }

    /** References to the credentials file, never its values; empty for a broker that needs no credentials. */
    private static Properties securityReferences(JobOptions options) {
        return options.kafkaClientProperties() == null ? new Properties() : KafkaClientProperties.references(options.kafkaClientProperties());
    }
}
