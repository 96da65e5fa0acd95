/**
 * What the scorer costs per event and how it scales out, on the local real stack, and from that
 * (with the feature job's figures) the capacity table of the README. Prints one JSON document.
 *
 *   npm run bench -- capacity                      # the scorer's figures; the table for the scorer alone
 *   npx tsx bench/capacity.bench.ts [--records 60000] [--partitions 6] [--rounds 3] [--headroom 2] [--batch-size N]
 *       [--feature-job bench/results/<file>.json]  # the feature job's figures from a feature-job run
 *       [--scorer bench/results/<file>.json]       # no drains: the scorer's figures from a capacity run
 *
 * So `npm run bench -- feature-job capacity` followed by
 * `npx tsx bench/capacity.bench.ts --scorer F --feature-job F` (F the results file it wrote) prints
 * the table of one run. A results file is what bench/run.ts writes, or a benchmark's own document.
 *
 * Three drains, one after another, in the scorer's one consumer group (each goes on from the
 * offsets the previous one committed), each of a fresh backlog of `records` features records
 * generated as bench/scoring.bench.ts does, over a features topic of `partitions` partitions,
 * each scorer a process of its own (bench/latency-scorer.ts, as `tributary serve` runs it):
 *   one.exactly-once   one scorer process, exactly-once;
 *   one.low-latency    the same, low-latency delivery;
 *   two.exactly-once   two scorer processes in the group, exactly-once.
 * The three run `rounds` times, interleaved; `drains` has each one's medians and every round's
 * figures, `rounds` the detail. The backlog becomes visible at once, so no drain measures the
 * producer or a member joining: for a read_committed scorer (exactly-once) it is one Kafka
 * transaction committed once every member holds its partitions; a low-latency scorer reads
 * uncommitted records, so its backlog is written before it starts (alone in its group, it starts
 * on all of it).
 *
 * Per drain: records/s from the first to the last score's Kafka timestamp; each process's CPU
 * (user + system from /proc/<pid>/stat, sampled every 100 ms and interpolated at those two
 * timestamps) divided by the records it scored (its tributary_scorer_chunk_records sum), in µs
 * per event; the cores it kept busy; the shares of the drain its main thread (the event loop)
 * ran and waited in the run queue for a CPU (/proc/<pid>/schedstat); the load average before and
 * after (the machine has 2 cores, shared with the stack and other work). Each drain is audited
 * read_committed: exactly one score per backlog record, or the bench fails. The topics (prefix
 * bench.cap-<run>.) are deleted afterwards.
 *
 * The table comes twice: with the single exactly-once scorer's measured rate as the most a
 * partition may carry, and with 1e6 / its CPU µs per event (a core of its own, if CPU is its only
 * bound), since on a loaded machine the measured rate is the scheduler's share.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AssignerProtocol, logLevel, type Admin } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../src/serving/deployment-log.js';
import type { ServedModel } from '../src/serving/model-deployment.js';
import { readsUncommitted, type DeliveryMode } from '../src/serving/scorer-output.js';
import { defaultScorerGroupId } from '../src/serving/scoring-worker.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { topicName, valueSubject } from '../src/streaming/topic-catalogue.js';
import { fraudTopic, fraudTopicPartitions } from '../test/helpers/fraud-topics.js';
import { fraudDefinition } from '../test/helpers/fraud-pipeline.js';
import { featureRecords, prepareScoringTopics, readScores, registerModelVersions, scoreAccounting, waitForGroupCaughtUp } from '../test/helpers/scoring.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { capacityMarkdown, capacityTable, type StageFigures } from './capacity-table.js';
import { sampleCpu, type CpuSampler } from './process-cpu.js';
import { startScorerProcess, type ScorerProcess } from './scorer-process.js';

const MODEL = 'fraud';
const PER_SEND = 1_000;
/** Longest wait for a drain's scores, or for the group to settle: far above a drain's length on this machine. */
const DRAIN_TIMEOUT_MS = 600_000;

function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '60000' },
    partitions: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    headroom: { type: 'string', default: '2' },
    'batch-size': { type: 'string' },
    'feature-job': { type: 'string' },
    scorer: { type: 'string' },
  },
});
const wholePositive = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) usageError(`--${name} must be a positive whole number, got '${text}'`);
  return value;
};
const settings = {
  records: wholePositive('records', values.records)!,
  partitions: wholePositive('partitions', values.partitions)!,
  rounds: wholePositive('rounds', values.rounds)!,
  headroom: Number(values.headroom),
  batchSize: wholePositive('batch-size', values['batch-size']),
};
// The topic is created as the fraud example's definition declares it, then given more partitions if asked: Kafka cannot take partitions away.
const DEFINED_PARTITIONS = fraudTopicPartitions('features');
if (settings.partitions < DEFINED_PARTITIONS) usageError(`--partitions must be at least ${DEFINED_PARTITIONS}, the features topic's partitions in the fraud example's definition; got ${settings.partitions}`);
if (!Number.isFinite(settings.headroom) || settings.headroom < 1) usageError(`--headroom must be a number of at least 1, got '${values.headroom}'`);

const log = (line: string): void => void process.stderr.write(`capacity: ${line}\n`);
const load = (): number[] => loadavg().map((value) => Math.round(value * 100) / 100);

/** The document of benchmark `name` in a results file of bench/run.ts, or the file itself when it is that benchmark's own document. */
function documentIn(file: string, name: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    usageError(`cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)}); give a file bench/run.ts wrote under bench/results/`);
  }
  const document = parsed as { benchmark?: unknown; benchmarks?: { name: string; result: Record<string, unknown> | null }[] };
  if (document.benchmark === name) return document as Record<string, unknown>;
  const run = document.benchmarks?.find((candidate) => candidate.name === name);
  if (run?.result) return run.result;
  usageError(`${file} holds no ${name} result${run ? ' (that benchmark failed in the run)' : ''}; run \`npm run bench -- ${name}\` and give the file it writes`);
}

function numberAt(document: Record<string, unknown>, path: string, file: string): number {
  const value = path.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), document);
  if (typeof value !== 'number' || !Number.isFinite(value)) usageError(`${file} has no number at ${path}; is it from an older version of the bench?`);
  return value;
}

/** The feature job at parallelism 1: the TaskManager's CPU per event on the whole backlog, and its backlog throughput. */
function featureJobFigures(file: string): StageFigures & { otherJobsOnTheTaskManager: unknown } {
  const document = documentIn(file, 'feature-job');
  const others = (document.cpu as Record<string, unknown> | undefined)?.otherJobsOnTheTaskManager;
  // The bench measures the whole TaskManager: another job on it adds its CPU to the feature job's.
  const shared = Array.isArray(others) && others.length > 0 ? `; the TaskManager also ran ${others.join(', ')}, whose CPU is counted too` : '';
  return {
    microsecondsPerEvent: numberAt(document, 'cpu.microsecondsPerEvent', file),
    recordsPerSecondPerConsumer: numberAt(document, 'throughput.recordsPerSecond', file),
    source: `${file}: feature-job cpu.microsecondsPerEvent and throughput.recordsPerSecond (parallelism 1)${shared}`,
    otherJobsOnTheTaskManager: others ?? null,
  };
}

/** One scorer process, exactly-once: its CPU per event and its drain rate. */
function scorerFiguresFrom(document: Record<string, unknown>, source: string): StageFigures {
  const drain = (document.drains as Record<string, Record<string, unknown>> | undefined)?.['one.exactly-once'];
  if (drain === undefined) usageError(`${source} has no drains["one.exactly-once"]`);
  return {
    microsecondsPerEvent: numberAt(drain, 'cpu.microsecondsPerEvent', source),
    recordsPerSecondPerConsumer: numberAt(drain, 'recordsPerSecond', source),
    source: `${source}: capacity drains["one.exactly-once"] cpu.microsecondsPerEvent and recordsPerSecond`,
  };
}

interface DrainResult {
  readonly delivery: DeliveryMode;
  readonly processes: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly cpu: {
    /** All the drain's scorer CPU over all its records. */
    readonly microsecondsPerEvent: number;
    readonly perProcess: readonly {
      readonly records: number;
      readonly cpuSeconds: number;
      readonly microsecondsPerEvent: number;
      readonly coresBusy: number;
      /** Shares of the drain's wall-clock time its event loop spent on a CPU and in the run queue waiting for one; the rest it slept (waiting for the broker). */
      readonly mainThread: { readonly running: number; readonly waitingForCpu: number };
    }[];
  };
  readonly audit: { readonly scores: number; readonly duplicates: number; readonly missing: number };
  readonly loadAverage: { readonly before: number[]; readonly after: number[] };
}

type DrainName = 'one.exactly-once' | 'one.low-latency' | 'two.exactly-once';

async function runDrains(): Promise<Record<DrainName, DrainResult>[]> {
  const runId = randomBytes(4).toString('hex');
  const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench.cap-${runId}.` } };
  const featuresTopic = fraudTopic(config, 'features');
  const scoresTopic = topicName(config, 'scores');
  const groupId = defaultScorerGroupId(config, MODEL);
  const kafka = createKafka(config, { clientIdSuffix: `bench-capacity-${runId}`, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const schemas = new SchemaRegistry({ host: config.schemaRegistry.url });
  const producer = kafka.producer({ transactionalId: `${config.topics.prefix}backlog`, idempotent: true, maxInFlightRequests: 1 });
  /** Kafka timestamp of each event's first score, from a read_committed reader of the scores topic. */
  const scoredAt = new Map<string, number>();
  const collector = kafka.consumer({ groupId: `${config.topics.prefix}collector`, readUncommitted: false, maxWaitTimeInMs: 50 });
  await Promise.all([admin.connect(), producer.connect(), collector.connect()]);
  let models: KafkaModelRegistry | undefined;
  let deployments: DeploymentLog | undefined;
  try {
    await prepareScoringTopics(config, admin);
    if (settings.partitions > DEFINED_PARTITIONS) await admin.createPartitions({ topicPartitions: [{ topic: featuresTopic, count: settings.partitions }] });
    models = await createModelRegistry(config);
    deployments = await openDeploymentLog(config);
    const [champion] = (await registerModelVersions(models, MODEL, 1)) as [ServedModel];
    await deployments.publish(MODEL, { champion, updatedBy: 'bench', reason: 'capacity bench champion' });
    const schemaId = await schemas.getLatestSchemaId(valueSubject(featuresTopic));
    await collector.subscribe({ topics: [scoresTopic], fromBeginning: true });
    await collector.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const id = message.key!.toString();
          if (!scoredAt.has(id)) scoredAt.set(id, Number(message.timestamp));
        }
      },
    });

    /** The backlog's messages, encoded before the transaction opens so that sending it is quick. */
    const encodeBacklog = async (tag: string): Promise<{ ids: string[]; messages: { key: string; value: Buffer }[] }> => {
      const messages: { key: string; value: Buffer }[] = [];
      for (let from = 0; from < settings.records; from += PER_SEND) {
        const records = featureRecords(tag, from, Math.min(PER_SEND, settings.records - from));
        messages.push(...(await Promise.all(records.map(async (record) => ({ key: record.transaction_id, value: await schemas.encode(schemaId, record) })))));
      }
      return { ids: messages.map((message) => message.key), messages };
    };
    const writeInOneTransaction = async (messages: { key: string; value: Buffer }[]): Promise<void> => {
      const transaction = await producer.transaction();
      try {
        // In sends of PER_SEND: one request of the whole backlog would pass the broker's message size limit.
        for (let from = 0; from < messages.length; from += PER_SEND) await transaction.send({ topic: featuresTopic, messages: messages.slice(from, from + PER_SEND), acks: -1 });
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    };

    const drain = async (name: string, delivery: DeliveryMode, processCount: number): Promise<DrainResult> => {
      const { ids, messages } = await encodeBacklog(`${name}-${runId}`);
      const visibleBeforeStart = readsUncommitted(delivery);
      if (visibleBeforeStart) await writeInOneTransaction(messages);
      const scorers: { scorer: ScorerProcess; cpu: CpuSampler }[] = [];
      let measured: Omit<DrainResult, 'audit' | 'delivery' | 'processes' | 'records'>;
      try {
        const started = await Promise.all(
          Array.from({ length: processCount }, (_, index) =>
            startScorerProcess({ topicPrefix: config.topics.prefix, model: MODEL, delivery, batchSize: settings.batchSize, label: `${name} scorer ${index + 1}` }),
          ),
        );
        for (const scorer of started) scorers.push({ scorer, cpu: sampleCpu(scorer.pid) });
        await waitForStableGroup(admin, groupId, featuresTopic, processCount);
        const loadBefore = load();
        if (!visibleBeforeStart) await writeInOneTransaction(messages);
        log(`${name}: ${ids.length} records visible to ${processCount} scorer process(es); draining`);
        await waitFor(`${name}: a score of every backlog record`, () => (ids.every((id) => scoredAt.has(id)) ? true : undefined), DRAIN_TIMEOUT_MS, 100);
        await waitForGroupCaughtUp(admin, groupId, featuresTopic, DRAIN_TIMEOUT_MS);
        const loadAfter = load();
        const times = Float64Array.from(ids, (id) => scoredAt.get(id)!).sort();
        const [first, last] = [times[0]!, times[times.length - 1]!];
        const seconds = (last - first) / 1000;
        // A fresh process has scored nothing before the drain, so its histogram's sum is what it scored in the drain.
        const perProcess = await Promise.all(
          scorers.map(async ({ scorer, cpu }) => {
            const records = (await scorer.chunks()).sum;
            const [from, to] = [cpu.at(first), cpu.at(last)];
            const cpuSeconds = to.cpuSeconds - from.cpuSeconds;
            const share = (value: number): number => Math.round((value / seconds) * 100) / 100;
            return {
              records,
              cpuSeconds: Math.round(cpuSeconds * 100) / 100,
              microsecondsPerEvent: records === 0 ? 0 : Math.round((cpuSeconds * 1e6) / records),
              coresBusy: share(cpuSeconds),
              mainThread: { running: share(to.runningSeconds - from.runningSeconds), waitingForCpu: share(to.waitingForCpuSeconds - from.waitingForCpuSeconds) },
            };
          }),
        );
        const cpuSeconds = perProcess.reduce((sum, process) => sum + process.cpuSeconds, 0);
        measured = {
          seconds,
          recordsPerSecond: Math.round(ids.length / seconds),
          cpu: { microsecondsPerEvent: Math.round((cpuSeconds * 1e6) / ids.length), perProcess },
          loadAverage: { before: loadBefore, after: loadAfter },
        };
      } finally {
        for (const { scorer, cpu } of scorers) {
          cpu.stop();
          await scorer.stop();
        }
      }
      const ours = new Set(ids);
      const scores = (await readScores(kafka, config)).filter((score) => ours.has(score.event_id));
      const accounting = scoreAccounting(scores, ids);
      const audit = { scores: scores.length, duplicates: accounting.duplicates.length, missing: accounting.missing.length };
      if (audit.scores !== ids.length || audit.duplicates > 0 || audit.missing > 0) {
        throw new Error(`${name}: the read_committed audit found ${audit.scores} scores for ${ids.length} records, ${audit.duplicates} events scored more than once (e.g. ${accounting.duplicates.slice(0, 3).join(', ')}), ${audit.missing} not scored`);
      }
      const result: DrainResult = { delivery, processes: processCount, records: ids.length, ...measured, audit };
      log(`${name}: ${JSON.stringify(result)}`);
      return result;
    };

    // Rounds interleave the drains, so a burst of load from elsewhere on the machine hits all of them alike.
    const rounds: Record<DrainName, DrainResult>[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      rounds.push({
        'one.exactly-once': await drain(`one-exactly-once-${round}`, 'exactly-once', 1),
        'one.low-latency': await drain(`one-low-latency-${round}`, 'low-latency', 1),
        'two.exactly-once': await drain(`two-exactly-once-${round}`, 'exactly-once', 2),
      });
    }
    return rounds;
  } finally {
    await collector.disconnect();
    await producer.disconnect();
    await deployments?.close();
    await models?.close();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(config.topics.prefix));
    await admin.deleteTopics({ topics }).catch((error: unknown) => log(`could not delete the run's topics (${String(error)}); they start with ${config.topics.prefix}`));
    await admin.disconnect();
  }
}

/** Waits until the group has `members` members, settled, each holding partitions of `topic`: a drain then starts on all of them at once. */
async function waitForStableGroup(admin: Admin, groupId: string, topic: string, members: number): Promise<void> {
  await waitFor(
    `group ${groupId} to settle with ${members} member(s), each assigned partitions of ${topic}`,
    async () => {
      const [group] = (await admin.describeGroups([groupId])).groups;
      if (group?.state !== 'Stable' || group.members.length !== members) return undefined;
      const assigned = group.members.map((member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic]?.length ?? 0);
      return assigned.every((count) => count > 0) ? true : undefined;
    },
    DRAIN_TIMEOUT_MS,
    100,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Each drain over the rounds: the median of its figures, with every round's beside it. */
function summarise(rounds: readonly Record<DrainName, DrainResult>[]) {
  const of = (name: DrainName) => {
    const results = rounds.map((round) => round[name]);
    const rates = results.map((result) => result.recordsPerSecond);
    const cpu = results.map((result) => result.cpu.microsecondsPerEvent);
    const processes = results.flatMap((result) => result.cpu.perProcess);
    return {
      delivery: results[0]!.delivery,
      processes: results[0]!.processes,
      records: results[0]!.records,
      recordsPerSecond: median(rates),
      recordsPerSecondSamples: rates,
      cpu: {
        microsecondsPerEvent: median(cpu),
        microsecondsPerEventSamples: cpu,
        coresBusyPerProcess: median(processes.map((process) => process.coresBusy)),
        mainThreadWaitingForCpu: median(processes.map((process) => process.mainThread.waitingForCpu)),
      },
      audited: `${results.length} of ${results.length} drains: every record scored exactly once`,
    };
  };
  return { 'one.exactly-once': of('one.exactly-once'), 'one.low-latency': of('one.low-latency'), 'two.exactly-once': of('two.exactly-once') };
}

async function main(): Promise<void> {
  const loadAtStart = load();
  const rounds = values.scorer === undefined ? await runDrains() : undefined;
  const drains = rounds === undefined ? undefined : summarise(rounds);
  const scorer = drains === undefined ? scorerFiguresFrom(documentIn(values.scorer!, 'capacity'), values.scorer!) : scorerFiguresFrom({ drains }, 'this run');
  const featureJob = values['feature-job'] === undefined ? undefined : featureJobFigures(values['feature-job']);
  const table = capacityTable({ scorer, featureJob, headroom: settings.headroom });
  // On a loaded machine a scorer process gets a fraction of a core, so its measured rate is the
  // scheduler's share, not the scorer's bound. This variant assumes CPU is its only bound.
  const scorerOnACore: StageFigures = { ...scorer, recordsPerSecondPerConsumer: Math.floor(1e6 / scorer.microsecondsPerEvent), source: `1e6 / the scorer's microsecondsPerEvent (${scorer.source}): one process with a core of its own, if CPU is its only bound` };
  const tableOnACore = capacityTable({ scorer: scorerOnACore, featureJob, headroom: settings.headroom });
  // Paired within each round (the same minutes of load), then the median.
  const ratios = (rounds ?? []).map((round) => Math.round((round['two.exactly-once'].recordsPerSecond / round['one.exactly-once'].recordsPerSecond) * 100) / 100);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'capacity',
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), shared: 'the stack (Kafka, registry, Temporal, Flink) and other work run on the same cores' },
        loadAverage: { atStart: loadAtStart, atEnd: load() },
        settings: { records: settings.records, partitions: settings.partitions, batchSize: settings.batchSize ?? fraudDefinition.serving?.batchSize ?? 500, scorerProcess: 'its own (bench/latency-scorer.ts)' },
        drains: drains ?? null,
        twoOverOneThroughput: rounds === undefined ? null : { median: median(ratios), samples: ratios },
        rounds: rounds ?? null,
        capacity: { inputs: { scorer, featureJob: featureJob ?? null }, ...table, markdown: capacityMarkdown(table) },
        capacityWithACorePerScorer: { inputs: { scorer: scorerOnACore, featureJob: featureJob ?? null }, rows: tableOnACore.rows, markdown: capacityMarkdown(tableOnACore) },
      },
      null,
      2,
    )}\n`,
  );
}

await main();
