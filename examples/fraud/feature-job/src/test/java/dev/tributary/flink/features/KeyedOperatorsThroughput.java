package dev.tributary.flink.features;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericDatumWriter;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.avro.shaded.org.apache.avro.io.BinaryEncoder;
import org.apache.flink.avro.shaded.org.apache.avro.io.EncoderFactory;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * CPU time per transaction of the job's keyed half, on a local MiniCluster in this JVM, apart from
 * the shared cluster and its other jobs: generated transactions (the bench's: 1,000 cards, 50 ms
 * apart) → keyBy(card) → {@link FeatureCalculator} → Avro encoding of each feature, and
 * features → {@link FeatureEncoder} → keyBy(transaction id) → {@link TrainingExampleJoin} (no matching labels), with the hashmap state
 * backend and 10 s checkpoints as on the local stack. No Kafka and no registry: the sources'
 * decoding and the producers are measured by {@code npm run bench -- feature-job}.
 *
 * <p>A tool for profiling, not a test (there is no timing assertion anywhere). Each round runs the
 * whole pipeline on a new MiniCluster job; the first rounds include the JIT's warm-up. Run:
 * <pre>
 *   mvn -o -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 *   java -cp target/classes:target/test-classes:$(cat target/test-classpath.txt) \
 *        dev.tributary.flink.features.KeyedOperatorsThroughput [transactions=200000] [rounds=3]
 * </pre>
 * Add {@code -XX:StartFlightRecording=filename=keyed.jfr,settings=profile} for a profile.
 */
public final class KeyedOperatorsThroughput {
    private static final int CARDS = 1000;
    private static final long SPACING_MS = 50;
    private static final long START = 1_741_593_600_000L; // 2025-03-10T08:00:00Z

    private KeyedOperatorsThroughput() {
    }

    public static void main(String[] args) throws Exception {
        long transactions = args.length > 0 ? Long.parseLong(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int round = 1; round <= rounds; round++) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, configuration());
            build(env, transactions);
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            ThreadCpu threads = ThreadCpu.start();
            env.execute("keyed operators throughput, round " + round);
            Map<String, Long> byThread = threads.stop();
            double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
            System.out.printf("round %d: %d transactions, %.2f s wall (%,.0f/s), %.2f s CPU, %.1f µs CPU per transaction%n",
                    round, transactions, wallSeconds, transactions / wallSeconds, cpuSeconds, cpuSeconds * 1e6 / transactions);
            byThread.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6).forEach(thread ->
                    System.out.printf("    %5.1f µs per transaction  %s%n", thread.getValue() / 1e3 / transactions, thread.getKey()));
        }
    }

    /**
     * CPU time of each thread of this JVM while a round runs, grouped by the thread's name: sampled
     * from /proc (Linux) every 100 ms, because the task threads end with the job, before a
     * ThreadMXBean could be asked about them.
     */
    private static final class ThreadCpu {
        private final Map<String, Long> startNanos = new HashMap<>();
        private final Map<String, Long> lastNanos = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();

        static ThreadCpu start() {
            ThreadCpu cpu = new ThreadCpu();
            cpu.sample(true);
            cpu.sampler.scheduleAtFixedRate(() -> cpu.sample(false), 100, 100, TimeUnit.MILLISECONDS);
            return cpu;
        }

        /** Nanoseconds of CPU per thread name (the kernel's 15-character name) since the start. */
        Map<String, Long> stop() throws InterruptedException {
            sampler.shutdown();
            sampler.awaitTermination(1, TimeUnit.SECONDS);
            sample(false);
            Map<String, Long> byName = new HashMap<>();
            lastNanos.forEach((tid, nanos) -> byName.merge(names.get(tid), nanos - startNanos.getOrDefault(tid, 0L), Long::sum));
            return byName;
        }

        private synchronized void sample(boolean first) {
            File[] tasks = new File("/proc/self/task").listFiles();
            if (tasks == null) return;
            for (File task : tasks) {
                try {
                    String stat = Files.readString(task.toPath().resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // utime and stime, in clock ticks of 10 ms.
                    long nanos = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
                    String tid = task.getName();
                    if (first) startNanos.put(tid, nanos);
                    lastNanos.put(tid, nanos);
                    names.putIfAbsent(tid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#]?\\d+$", ""));
                } catch (IOException | RuntimeException e) {
                    // The thread ended between listing and reading: its last sample stands.
                }
            }
        }
    }

    private static Configuration configuration() throws IOException {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(10));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Files.createTempDirectory("keyed-operators-checkpoints").toUri().toString());
        return conf;
    }

    private static void build(StreamExecutionEnvironment env, long transactions) {
        FeatureJob.configure(env);
        DataStream<CardTransaction> source = env.fromSequence(0, transactions - 1)
                .map(new BenchTransaction())
                .assignTimestampsAndWatermarks(WatermarkStrategy.<CardTransaction>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                        .withTimestampAssigner((txn, ignored) -> txn.eventTime()));
        DataStream<Feature> features = source.keyBy(CardTransaction::cardHash).process(new FeatureCalculator("throughput", JobOptions.DEFAULT_FEATURE_TIMING));
        features.map(new FeatureEncoding()).sinkTo(new DiscardingSink<>());
        // One label, of no transaction: a source needs an element, and the join's state holds features only.
        DataStream<Label> noLabels = env.fromData(new Label("none", false, "CHARGEBACK", START))
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Label>forMonotonousTimestamps().withTimestampAssigner((label, ignored) -> label.labelTime()));
        features.map(new FeatureEncoder())
                .keyBy(EncodedFeature::transactionId)
                .connect(noLabels.keyBy(Label::transactionId))
                .process(new TrainingExampleJoin(7 * CardHistory.ONE_DAY_MS))
                .sinkTo(new DiscardingSink<>());
    }

    /** The bench's transaction number i (bench/feature-job.bench.ts), its PII hashed as the job's source does. */
    private static final class BenchTransaction extends RichMapFunction<Long, CardTransaction> {
        private transient PiiHasher hasher;

        @Override
        public void open(OpenContext openContext) {
            hasher = new PiiHasher("throughput-key".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public CardTransaction map(Long index) {
            int card = (int) (index % CARDS);
            long eventTime = START + index * SPACING_MS;
            return new CardTransaction("b" + index, hasher.hash("4000" + String.format("%012d", card)), hasher.hash("holder" + card + "@example.com"),
                    "m-" + ((card * 7 + eventTime) % 50), "grocery", 1 + ((card * 31 + eventTime) % 20000) / 100.0,
                    48 + (card % 100) / 50.0, 2 + (card % 70) / 20.0, "dev-" + card + "-" + (eventTime % 3), eventTime);
        }
    }

    /** What the features sink does to each feature before the producer: an Avro record, binary-encoded. */
    private static final class FeatureEncoding extends RichMapFunction<Feature, byte[]> {
        private transient Schema schema;
        private transient GenericDatumWriter<GenericRecord> writer;
        private transient ByteArrayOutputStream bytes;
        private transient BinaryEncoder encoder;

        @Override
        public void open(OpenContext openContext) throws IOException {
            schema = AvroSchemas.load(AvroSchemas.FEATURE);
            writer = new GenericDatumWriter<>(schema);
            bytes = new ByteArrayOutputStream();
        }

        @Override
        public byte[] map(Feature feature) {
            bytes.reset();
            encoder = EncoderFactory.get().directBinaryEncoder(bytes, encoder);
            try {
                writer.write(AvroRecords.feature(feature, schema), encoder);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
    }
}
