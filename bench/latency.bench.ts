/**
 * Latency of the whole path on the local real stack, per scorer delivery mode: transaction → Flink
 * feature job → features record → scorer → score, at steady rates. Prints one JSON document.
 *
 *   npm run bench -- latency          # exactly-once and low-latency, 100, 1,000 and 5,000 events/s, 60 s each
 *   npx tsx bench/latency.bench.ts --seconds 15 --checkpoint-interval 1s --buffer-timeout 10ms
 *       [--modes exactly-once,low-latency] [--batch-size 500]
 *       [--rates 100,1000,5000] [--out-of-orderness-ms 5000] [--feature-timing arrival|event-time] [--quiet-seconds 30]
 *       [--warmup-seconds 10] [--no-baseline] [--flink pipeline.auto-watermark-interval=50ms ...]
 *
 * Set-up, as the demo and the tests do: the run's own topic prefix, the catalogue's topics and
 * schemas, examples/fraud/pipeline.yaml applied as pipeline `fraud`, an untrained model of its
 * inputs as champion, the Java feature job (its exactly-once Kafka sinks, the example's
 * out-of-orderness, feature timing and checkpoint interval and the job's Flink latency settings, from
 * featureJobFlinkConfiguration, unless given) and a scorer in its own process
 * (bench/latency-scorer.ts: the mode measured, the example's chunk size unless given). The modes
 * run one after the other, each with every rate, the scorer restarted in the next mode in the same
 * group (so it goes on from the offsets the previous one committed); the feature job is the same.
 *
 * Per rate, before the first mode's step: the baseline — the same transactions produced at the same rate to a plain
 * topic and read by a kafkajs consumer (produce → consume, read_committed) — then the pipeline:
 * transactions produced for `seconds`, each with event time and Kafka timestamp = its send time.
 * A read_committed reader of the features and scores topics joins them by event id (the features
 * record's `features.eventId` field; the score's Kafka key), so every stage comes from Kafka
 * timestamps, and none from score fields:
 *   source → features write   features record's timestamp (the job's producer stamps it when it writes) − the transaction's
 *   features write → visible  when the reader received it (read_committed: after the checkpoint committed the job's transaction)
 *   features write → score    the score's timestamp − the features record's
 *   score write → visible     when the reader received the score (after the scorer's transaction committed)
 *   source → score            the score's timestamp − the transaction's; "visible" variant: received − transaction's
 * After the producer stops, the step waits until every transaction is scored, or until no score of
 * the step has arrived for `quiet-seconds`: the ones still unscored are the quiet-stream problem
 * (issue 16) and are reported, and left out of the percentiles (the next step's traffic releases
 * them). The load average goes in each step, since other work shares the 2 cores. Each step also
 * says how many events got more than one score (low-latency is at-least-once) and the chunk sizes
 * the scorer used (its tributary_scorer_chunk_records histogram, read before and after the step).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { logLevel, type EachBatchPayload } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { FeatureJobDeployer } from '../src/flink/feature-job.js';
import { FlinkRestClient } from '../src/flink/flink-rest-client.js';
import { featureJobFlinkConfiguration } from '../src/flink/job-spec.js';
import { DURATION_EXPECTED, parseDuration } from '../src/pipelines/duration.js';
import { createModelRegistry } from '../src/registry/kafka-model-registry.js';
import { openDeploymentLog } from '../src/serving/deployment-log.js';
import type { ServedModel } from '../src/serving/model-deployment.js';
import { DELIVERY_MODES, type DeliveryMode } from '../src/serving/scorer-output.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { simulateEvents } from '../examples/fraud/simulator/event-generator.js';
import type { Transaction } from '../examples/fraud/simulator/simulated-event.js';
import { topicName, valueSubject } from '../src/streaming/topic-catalogue.js';
import { applyFraudPipeline, fraudDefinition } from '../test/helpers/fraud-pipeline.js';
import { prepareScoringTopics, registerModelVersions } from '../test/helpers/scoring.js';
import { fraudJarJob } from '../test/helpers/fraud-feature-job.js';
import { fraudTopic } from '../test/helpers/fraud-topics.js';
import { startScorerProcess, type ChunkHistogram, type ScorerProcess } from './scorer-process.js';

const MODEL = 'fraud';
const TICK_MS = 10;
const MAX_PER_SEND = 1_000;
/** Longest wait for the baseline's records, or for the pipeline's first score. */
const SETUP_TIMEOUT_MS = 180_000;

/** The value the example's definition gives the feature job's `--name`. */
function exampleArgument(name: string): string {
  const { job } = fraudDefinition.features;
  const args = job.kind === 'jar' ? (job.args ?? []) : [];
  const at = args.indexOf(`--${name}`);
  if (at < 0 || args[at + 1] === undefined) throw new Error(`examples/fraud/pipeline.yaml gives no --${name}; pass --${name}`);
  return args[at + 1]!;
}

/** The feature job's `--feature-timing` values (examples/fraud/feature-job/README.md). */
const FEATURE_TIMINGS = ['arrival', 'event-time'] as const;

interface BenchSettings {
  readonly modes: DeliveryMode[];
  /** The scorer's chunk size; undefined: the example's. */
  readonly batchSize: number | undefined;
  readonly rates: number[];
  readonly seconds: number;
  readonly checkpointInterval: string;
  readonly bufferTimeout: string | undefined;
  readonly outOfOrdernessMs: number;
  /** When the feature job computes features: on arrival, or once the watermark passes. */
  readonly featureTiming: (typeof FEATURE_TIMINGS)[number];
  readonly quietMs: number;
  readonly warmupSeconds: number;
  readonly baseline: boolean;
  /** Further Flink configuration for the job, from `--flink key=value`. */
  readonly flink: Readonly<Record<string, string>>;
}

function options(): BenchSettings {
  const { values } = parseArgs({
    options: {
      modes: { type: 'string', default: 'exactly-once,low-latency' },
      'batch-size': { type: 'string' },
      rates: { type: 'string', default: '100,1000,5000' },
      seconds: { type: 'string', default: '60' },
      'checkpoint-interval': { type: 'string', default: fraudDefinition.features.checkpointing?.interval ?? '10s' },
      'buffer-timeout': { type: 'string' },
      'out-of-orderness-ms': { type: 'string', default: exampleArgument('out-of-orderness-ms') },
      'feature-timing': { type: 'string', default: exampleArgument('feature-timing') },
      'quiet-seconds': { type: 'string', default: '30' },
      'warmup-seconds': { type: 'string', default: '10' },
      'no-baseline': { type: 'boolean', default: false },
      flink: { type: 'string', multiple: true, default: [] },
    },
  });
  const positive = (name: string, text: string, allowZero = false): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      process.stderr.write(`error: --${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${text}'\n`);
      process.exit(2);
    }
    return value;
  };
  const duration = (name: string, text: string): string => {
    const parsed = parseDuration(text);
    if (parsed === undefined) {
      process.stderr.write(`error: --${name} must be ${DURATION_EXPECTED}, got '${text}'\n`);
      process.exit(2);
    }
    return text;
  };
  const mode = (text: string): DeliveryMode => {
    const known = DELIVERY_MODES.find((candidate) => candidate === text);
    if (known === undefined) {
      process.stderr.write(`error: --modes takes ${DELIVERY_MODES.join(', ')} separated by commas, got '${text}'\n`);
      process.exit(2);
    }
    return known;
  };
  const featureTiming = FEATURE_TIMINGS.find((timing) => timing === values['feature-timing']);
  if (featureTiming === undefined) {
    process.stderr.write(`error: --feature-timing takes ${FEATURE_TIMINGS.join(' or ')}, got '${values['feature-timing']}'\n`);
    process.exit(2);
  }
  const batchSize = values['batch-size'] === undefined ? undefined : positive('batch-size', values['batch-size']);
  if (batchSize !== undefined && !Number.isInteger(batchSize)) {
    process.stderr.write(`error: --batch-size must be a positive whole number, got '${values['batch-size']}'\n`);
    process.exit(2);
  }
  return {
    modes: values.modes.split(',').map((text) => mode(text.trim())),
    batchSize,
    rates: values.rates.split(',').map((rate) => positive('rates', rate.trim())),
    seconds: positive('seconds', values.seconds),
    checkpointInterval: duration('checkpoint-interval', values['checkpoint-interval']),
    bufferTimeout: values['buffer-timeout'] === undefined ? undefined : duration('buffer-timeout', values['buffer-timeout']),
    outOfOrdernessMs: positive('out-of-orderness-ms', values['out-of-orderness-ms'], true),
    featureTiming,
    quietMs: positive('quiet-seconds', values['quiet-seconds']) * 1000,
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], true),
    baseline: !values['no-baseline'],
    flink: Object.fromEntries(
      values.flink.map((entry) => {
        const at = entry.indexOf('=');
        if (at <= 0) {
          process.stderr.write(`error: --flink takes key=value (e.g. pipeline.auto-watermark-interval=50ms), got '${entry}'\n`);
          process.exit(2);
        }
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    ),
  };
}

const settings = options();
const runId = randomBytes(4).toString('hex');
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench.lat-${runId}.` } };
const transactionsTopic = fraudTopic(config, 'transactions');
const featuresTopic = fraudTopic(config, 'features');
const scoresTopic = topicName(config, 'scores');
const baselineTopic = `${config.topics.prefix}baseline`;
const EVENT_ID_FIELD = fraudDefinition.features.eventId;

/** Linux reports process CPU times in clock ticks of 1/100 s (USER_HZ; `getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the local stack's TaskManager has used so far: what checkpointing more often costs shows here. */
function taskManagerCpuSeconds(): number {
  const { pid } = JSON.parse(readFileSync(stackLayout(config).pidFile('flink-taskmanager'), 'utf8')) as { pid: number };
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

const log = (line: string): void => void process.stderr.write(`latency: ${line}\n`);
const load = (): number[] => loadavg().map((value) => Math.round(value * 100) / 100);

interface Summary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles. */
function summary(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const rank = (share: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN);
  return { samples: sorted.length, p50Ms: rank(0.5), p99Ms: rank(0.99), p999Ms: rank(0.999), maxMs: rank(1) };
}

/** Kafka timestamps (and receipt times) of each event's features record and score, by event id. */
interface Seen {
  featuresAt?: number;
  featuresVisibleAt?: number;
  scoredAt?: number;
  scoreVisibleAt?: number;
  /** Scores received for the event: more than one only in an at-least-once mode, after a replay. */
  scores?: number;
}

const kafka = createKafka(config, { clientIdSuffix: `bench-latency-${runId}`, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const reader = kafka.consumer({ groupId: `${config.topics.prefix}latency-reader`, readUncommitted: false, maxWaitTimeInMs: 50 });
const registry = new SchemaRegistry({ host: config.schemaRegistry.url });
const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
const deployer = new FeatureJobDeployer(config, { rest, progress: log });

const seen = new Map<string, Seen>();
let baselineLatencies: number[] = [];
let lastScoreReceivedAt = 0;

const seenOf = (id: string): Seen => {
  let entry = seen.get(id);
  if (entry === undefined) seen.set(id, (entry = {}));
  return entry;
};

async function readBatch({ batch }: EachBatchPayload): Promise<void> {
  const receivedAt = Date.now();
  for (const message of batch.messages) {
    const timestamp = Number(message.timestamp);
    if (batch.topic === baselineTopic) baselineLatencies.push(receivedAt - timestamp);
    else if (batch.topic === scoresTopic) {
      const entry = seenOf(message.key!.toString());
      entry.scoredAt ??= timestamp;
      entry.scoreVisibleAt ??= receivedAt;
      entry.scores = (entry.scores ?? 0) + 1;
      lastScoreReceivedAt = receivedAt;
    } else {
      const value = (await registry.decode(message.value!)) as Record<string, unknown>;
      const entry = seenOf(String(value[EVENT_ID_FIELD]));
      entry.featuresAt ??= timestamp;
      entry.featuresVisibleAt ??= receivedAt;
    }
  }
}

/** Transactions as the simulator makes them, in order (no disorder, no labels), restamped with the send time. */
function transactionSource(seed: number): () => Transaction {
  const events = simulateEvents({ seed, startTime: Date.now(), outOfOrderShare: 0, lateShare: 0, labelShare: 0 });
  return () => {
    for (;;) {
      const next = events.next();
      if (next.done) throw new Error('the simulator ended, though it was given no count');
      if (next.value.topic === 'transactions') return next.value.value;
    }
  };
}

/**
 * Sends `rate` transactions a second for `seconds` to `topic`, each with event time and Kafka
 * timestamp = its send time; what fell behind a tick goes with the next send. Returns each
 * transaction's send time by id, and the rate achieved.
 */
async function produceSteadily(topic: string, rate: number, seconds: number, next: () => Transaction, schemaId: number): Promise<{ sentAt: Map<string, number>; achievedRate: number }> {
  const total = Math.round(rate * seconds);
  const sentAt = new Map<string, number>();
  const began = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * rate));
    if (due <= sent) {
      await sleep(TICK_MS);
      continue;
    }
    // At most MAX_PER_SEND at once: a producer far behind would otherwise build one request above the broker's message size limit.
    const upTo = Math.min(due, sent + MAX_PER_SEND);
    const now = Date.now();
    const messages = await Promise.all(
      Array.from({ length: upTo - sent }, async () => {
        const transaction = { ...next(), event_time: now };
        sentAt.set(transaction.transaction_id, now);
        return { key: transaction.card_number, value: await registry.encode(schemaId, transaction), timestamp: String(now) };
      }),
    );
    await producer.send({ topic, messages, acks: -1 });
    sent = upTo;
  }
  return { sentAt, achievedRate: Math.round(total / ((Date.now() - began) / 1000)) };
}

async function until(description: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(50);
  }
}

/** Starts bench/latency-scorer.ts in `mode` and resolves once it has joined its group. */
const startScorer = (mode: DeliveryMode): Promise<ScorerProcess> =>
  startScorerProcess({ topicPrefix: config.topics.prefix, model: MODEL, delivery: mode, batchSize: settings.batchSize });

/** Chunks scored between two readings: how many, their mean size, and the bucket bounds that hold the median and the largest. */
function chunkSizes(before: ChunkHistogram, after: ChunkHistogram): { chunks: number; meanRecords: number; p50AtMost: number; maxAtMost: number } {
  const bounds = Object.keys(after.buckets).filter((le) => le !== '+Inf').map(Number).sort((a, b) => a - b);
  const delta = (le: string): number => (after.buckets[le] ?? 0) - (before.buckets[le] ?? 0);
  const chunks = delta('+Inf');
  const boundHolding = (share: number): number => bounds.find((le) => delta(String(le)) >= share * chunks) ?? Number.POSITIVE_INFINITY;
  return { chunks, meanRecords: chunks === 0 ? 0 : Math.round(((after.sum - before.sum) / chunks) * 10) / 10, p50AtMost: boundHolding(0.5), maxAtMost: boundHolding(1) };
}

/**
 * Every completed checkpoint of the job, polled each second while the bench runs: Flink's REST API
 * lists only the most recent ones (10 by default), fewer than a step holds at short intervals.
 */
function watchCheckpoints(jobId: string): { stop: () => void; during: (from: number, to: number) => Summary & { count: number }; failedSoFar: () => number } {
  const completed = new Map<number, { triggeredAt: number; durationMs: number }>();
  let failed = 0;
  const controller = new AbortController();
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const { history, counts } = await rest.checkpoints(jobId);
        failed = counts.failed;
        for (const checkpoint of history) {
          if (checkpoint.status === 'COMPLETED' && !checkpoint.is_savepoint) completed.set(checkpoint.id, { triggeredAt: checkpoint.trigger_timestamp, durationMs: checkpoint.end_to_end_duration });
        }
      } catch (error) {
        log(`could not read the job's checkpoints (${String(error)}); trying again`);
      }
      await sleep(1_000, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();
  return {
    stop: () => controller.abort(),
    failedSoFar: () => failed,
    during: (from, to) => {
      const durations = [...completed.values()].filter(({ triggeredAt }) => triggeredAt >= from && triggeredAt <= to).map(({ durationMs }) => durationMs);
      return { count: durations.length, ...summary(durations) };
    },
  };
}

async function baselineStep(rate: number, next: () => Transaction, schemaId: number): Promise<Summary & { achievedRatePerSecond: number }> {
  baselineLatencies = [];
  const { sentAt, achievedRate } = await produceSteadily(baselineTopic, rate, settings.seconds, next, schemaId);
  await until('the baseline reader to receive every record', () => baselineLatencies.length >= sentAt.size, SETUP_TIMEOUT_MS);
  return { achievedRatePerSecond: achievedRate, ...summary(baselineLatencies) };
}

async function pipelineStep(mode: DeliveryMode, scorer: ScorerProcess, rate: number, next: () => Transaction, schemaId: number, checkpoints: ReturnType<typeof watchCheckpoints>) {
  const loadAtStart = load();
  const chunksAtStart = await scorer.chunks();
  const began = Date.now();
  const cpuAtStart = taskManagerCpuSeconds();
  const failedAtStart = checkpoints.failedSoFar();
  const { sentAt, achievedRate } = await produceSteadily(transactionsTopic, rate, settings.seconds, next, schemaId);
  const stoppedAt = Date.now();
  const taskManagerCoresBusy = Math.round(((taskManagerCpuSeconds() - cpuAtStart) / ((stoppedAt - began) / 1000)) * 100) / 100;
  const unscored = (): string[] => [...sentAt.keys()].filter((id) => seen.get(id)?.scoreVisibleAt === undefined);
  // Every transaction scored, or quiet: no score for quiet-seconds since the producer stopped or since the last one.
  while (unscored().length > 0 && Date.now() - Math.max(stoppedAt, lastScoreReceivedAt) < settings.quietMs) await sleep(100);
  const stillUnscored = unscored();
  const scored = [...sentAt].flatMap(([id, sourceAt]) => {
    const entry = seen.get(id)!;
    return entry?.scoreVisibleAt === undefined ? [] : [{ sourceAt, ...entry } as Required<Seen> & { sourceAt: number }];
  });
  const stage = (of: (event: (typeof scored)[number]) => number): Summary => summary(scored.map(of).filter(Number.isFinite));
  return {
    mode,
    ratePerSecond: rate,
    achievedRatePerSecond: achievedRate,
    transactions: sentAt.size,
    scored: scored.length,
    scoredMoreThanOnce: scored.filter((event) => event.scores > 1).length,
    unscoredAfterProducerStopped: stillUnscored.length,
    featuresMissingForUnscored: stillUnscored.filter((id) => seen.get(id)?.featuresVisibleAt === undefined).length,
    stages: {
      sourceToScore: stage((event) => event.scoredAt - event.sourceAt),
      sourceToScoreVisible: stage((event) => event.scoreVisibleAt - event.sourceAt),
      sourceToFeaturesWrite: stage((event) => event.featuresAt - event.sourceAt),
      featuresWriteToVisible: stage((event) => event.featuresVisibleAt - event.featuresAt),
      featuresWriteToScore: stage((event) => event.scoredAt - event.featuresAt),
      featuresVisibleToScore: stage((event) => event.scoredAt - event.featuresVisibleAt),
      scoreWriteToVisible: stage((event) => event.scoreVisibleAt - event.scoredAt),
    },
    checkpoints: { ...checkpoints.during(began, stoppedAt), failed: checkpoints.failedSoFar() - failedAtStart },
    scorerChunks: chunkSizes(chunksAtStart, await scorer.chunks()),
    /** The whole TaskManager's CPU while the producer ran (other jobs on it included), in cores. */
    taskManagerCoresBusy,
    loadAverage: { atStart: loadAtStart, atEnd: load() },
  };
}

async function main(): Promise<void> {
  const loadAtStart = load();
  await Promise.all([admin.connect(), producer.connect(), reader.connect()]);
  await prepareScoringTopics(config, admin);
  await admin.createTopics({ topics: [{ topic: baselineTopic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await applyFraudPipeline(config, MODEL);
  const models = await createModelRegistry(config);
  const deployments = await openDeploymentLog(config);
  let scorer: ScorerProcess | undefined;
  let jobId: string | undefined;
  let checkpoints: ReturnType<typeof watchCheckpoints> | undefined;
  try {
    const [champion] = (await registerModelVersions(models, MODEL, 1)) as [ServedModel];
    await deployments.publish(MODEL, { champion, updatedBy: 'bench', reason: 'latency bench champion' });
    const schemaId = await registry.getLatestSchemaId(valueSubject(transactionsTopic));

    await reader.subscribe({ topics: [featuresTopic, scoresTopic, baselineTopic], fromBeginning: true });
    await reader.run({ partitionsConsumedConcurrently: 9, eachBatch: readBatch });

    const flinkConfiguration: Record<string, string> = { ...settings.flink, 'execution.checkpointing.interval': settings.checkpointInterval };
    if (settings.bufferTimeout !== undefined) flinkConfiguration['execution.buffer-timeout.interval'] = settings.bufferTimeout;
    const submitted = await deployer.submit({ job: fraudJarJob, jobName: `tributary-feature-job-bench-latency-${runId}`, jobVersion: `bench-${runId}`, argumentOverrides: { 'out-of-orderness-ms': String(settings.outOfOrdernessMs), 'feature-timing': settings.featureTiming }, flinkConfiguration });
    jobId = submitted.jobId;
    const checkpointIntervalMs = (await rest.checkpointConfig(jobId)).interval;
    checkpoints = watchCheckpoints(jobId);
    scorer = await startScorer(settings.modes[0]!);
    log(`feature job ${jobId} (checkpoints every ${checkpointIntervalMs} ms, out-of-orderness ${settings.outOfOrdernessMs} ms, features on ${settings.featureTiming}, buffer timeout ${featureJobFlinkConfiguration(flinkConfiguration)['execution.buffer-timeout.interval'] ?? "Flink's default"}) and scorer running`);

    const next = transactionSource(Number.parseInt(runId, 16) % 2 ** 31);
    // Produced until a score arrives, not only for the warm-up's seconds: with --feature-timing
    // event-time the job emits a feature once the watermark passes it, so on a stream that stops
    // nothing may come out.
    log(`warm-up: at least ${settings.warmupSeconds} s at ${settings.rates[0]}/s, and until the first score`);
    const warmupDeadline = Date.now() + SETUP_TIMEOUT_MS;
    const warmup = new Set<string>();
    for (let second = 0; second < settings.warmupSeconds || ![...warmup].some((id) => seen.get(id)?.scoreVisibleAt !== undefined); second += 1) {
      if (Date.now() > warmupDeadline) throw new Error(`no score arrived in ${SETUP_TIMEOUT_MS} ms of warm-up traffic; the scorer's log above says why`);
      for (const id of (await produceSteadily(transactionsTopic, settings.rates[0]!, 1, next, schemaId)).sentAt.keys()) warmup.add(id);
    }

    const steps: Record<string, unknown>[] = [];
    const baselines = new Map<number, Awaited<ReturnType<typeof baselineStep>>>();
    modes: for (const mode of settings.modes) {
      if (mode !== settings.modes[0]) {
        await scorer.stop();
        scorer = await startScorer(mode);
        log(`scorer restarted in ${mode} mode`);
      }
      for (const rate of settings.rates) {
        try {
          if (settings.baseline && !baselines.has(rate)) baselines.set(rate, await baselineStep(rate, next, schemaId));
          const baseline = baselines.get(rate) ?? null;
          log(`${mode} ${rate}/s: baseline p99 ${baseline?.p99Ms ?? '–'} ms; now the pipeline for ${settings.seconds} s`);
          const step = { ...(await pipelineStep(mode, scorer, rate, next, schemaId, checkpoints)), baseline };
          log(`${mode} ${rate}/s: source → score p50 ${step.stages.sourceToScore.p50Ms} ms, p99 ${step.stages.sourceToScore.p99Ms} ms; features write → score p99 ${step.stages.featuresWriteToScore.p99Ms} ms; ${step.unscoredAfterProducerStopped} unscored after the producer stopped`);
          steps.push(step);
        } catch (error) {
          // The steps measured so far are still printed; the run exits 1 so the suite counts it failed.
          log(`${mode} ${rate}/s failed: ${String(error)}`);
          steps.push({ mode, ratePerSecond: rate, failed: String(error) });
          process.exitCode = 1;
          break modes;
        }
      }
    }

    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'latency',
          machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
          loadAverage: { atStart: loadAtStart, atEnd: load() },
          settings: {
            modes: settings.modes,
            secondsPerStep: settings.seconds,
            quietSeconds: settings.quietMs / 1000,
            featureJob: { parallelism: 1, checkpointIntervalMs, outOfOrdernessMs: settings.outOfOrdernessMs, featureTiming: settings.featureTiming, flinkConfiguration: featureJobFlinkConfiguration(flinkConfiguration) },
            scorer: { deliveries: settings.modes, batchSize: settings.batchSize ?? fraudDefinition.serving?.batchSize ?? 500, process: 'its own (bench/latency-scorer.ts)' },
          },
          steps,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    checkpoints?.stop();
    if (scorer !== undefined) await scorer.stop();
    if (jobId !== undefined) await deployer.cancel({ jobId });
    await deployments.close();
    await models.close();
  }
}

try {
  await main();
} finally {
  await reader.disconnect();
  await producer.disconnect();
  const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(config.topics.prefix));
  await admin.deleteTopics({ topics: ours }).catch((error: unknown) => log(`could not delete the run's topics (${String(error)}); they start with ${config.topics.prefix}`));
  await admin.disconnect();
}
