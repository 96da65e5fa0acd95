/**
 * Feature job benchmark on the running local stack. Prints one JSON object.
 *
 *   npx tsx bench/feature-job.bench.ts [--rate 200] [--count 2000] [--backlog 50000]
 *                                      [--checkpoint-interval 10s] [--out-of-orderness-ms 5000]
 *
 * 1. Throughput: a backlog of transactions is in the topic before the job starts. The
 *    throughput is backlog / (sink write time of the last backlog feature − that of the first),
 *    where the sink write time is the Kafka timestamp the job's producer puts on the record.
 *    Baseline, measured first in the same run: one kafkajs consumer reading and Avro-decoding
 *    the same backlog (no features computed, nothing written), from its first record to its last.
 *    CPU: the TaskManager's process CPU time (user + system, /proc/<pid>/stat), sampled every
 *    100 ms and interpolated at the first and last backlog sink write, divided by the backlog:
 *    CPU microseconds per event of the whole job (sources, feature operator, join, sinks, its
 *    checkpoints, GC, the JIT). The TaskManager is shared, so the other jobs running on it are
 *    listed. Both figures also for the second half of the backlog by write time, once the JIT
 *    has compiled the new job's code. The same CPU split by thread (/proc/<pid>/task, sampled
 *    every 250 ms): the job's own threads (those that appeared after the submission), the JIT
 *    compiler, the garbage collector and the rest (the TaskManager's own and the other jobs'),
 *    with the share of the window each busiest thread ran and waited runnable for a core
 *    (schedstat): on a loaded machine the second, not the code, holds the job back.
 *    The load average is given at the start and at the end, and the plain read is measured a
 *    second time right after the backlog, so a ratio can be read against the load it ran under;
 *    the plain read's own CPU per record (this process's) is given beside the job's.
 * 2. Latency: `count` transactions at `rate` per second, with event time = produce time.
 *    End-to-end latency = the time a read_committed consumer receives the feature − the
 *    produce time. It includes the watermark wait (the out-of-orderness bound) and the wait
 *    for the checkpoint that commits the sink's Kafka transaction. "to sink write" stops at
 *    the sink write time, before the commit.
 *
 * Topics get a unique prefix and are deleted afterwards; the job is cancelled.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { FeatureJobDeployer } from '../src/flink/feature-job.js';
import { FlinkRestClient } from '../src/flink/flink-rest-client.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { fraudJarJob } from '../test/helpers/fraud-feature-job.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    count: { type: 'string', default: '2000' },
    backlog: { type: 'string', default: '50000' },
    'checkpoint-interval': { type: 'string', default: '10s' },
    'out-of-orderness-ms': { type: 'string', default: '5000' },
  },
});
const rate = Number(values.rate);
const count = Number(values.count);
const backlog = Number(values.backlog);
const outOfOrdernessMs = Number(values['out-of-orderness-ms']);
const checkpointInterval = values['checkpoint-interval'];

const CARDS = 1000;
const TICK_MS = 50;
const RECEIVE_TIMEOUT_MS = 180_000;
const CPU_SAMPLE_MS = 100;
/** Coarser than the process's: a TaskManager has some 200 threads, two /proc files each. */
const THREAD_SAMPLE_MS = 250;
/** Threads shown one by one in the split, busiest first. */
const BUSIEST_THREADS = 8;
/** Linux reports process CPU times in clock ticks of 1/100 s (USER_HZ; `getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

const runId = randomBytes(4).toString('hex');
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench.fj-${runId}.` } };
const topic = (logical: string): string => `${config.topics.prefix}${logical}`;
const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
const deployer = new FeatureJobDeployer(config, { rest, progress: (line) => process.stderr.write(`${line}\n`) });
const registry = new SchemaRegistry({ host: config.schemaRegistry.url });
const kafka = createKafka(config, { clientIdSuffix: `bench-${runId}` });
const admin = kafka.admin();
const producer = kafka.producer({ maxInFlightRequests: 1 });
const consumer = kafka.consumer({ groupId: `bench-${runId}`, readUncommitted: false, maxWaitTimeInMs: 50 });
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (samples: readonly number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples: sorted.length, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? Number.NaN };
};

function transaction(id: string, card: number, eventTime: number): Record<string, unknown> {
  return {
    transaction_id: id,
    card_number: `4000${String(card).padStart(12, '0')}`,
    email: `holder${card}@example.com`,
    merchant_id: `m-${(card * 7 + eventTime) % 50}`,
    merchant_category: 'grocery',
    amount: 1 + ((card * 31 + eventTime) % 20000) / 100,
    currency: 'EUR',
    country: 'DE',
    latitude: 48 + (card % 100) / 50,
    longitude: 2 + (card % 70) / 20,
    device_id: `dev-${card}-${eventTime % 3}`,
    channel: 'ONLINE',
    event_time: eventTime,
  };
}

async function until(description: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The local stack's TaskManager process id, from the pid file the stack writes. */
function taskManagerPid(): number {
  const pidFile = stackLayout(config).pidFile('flink-taskmanager');
  return (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
}

/** CPU seconds (user + system) a process has used so far. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Samples a process's CPU time until stopped; `at(t)` interpolates the CPU seconds used by wall-clock time t. */
function cpuSampler(pid: number): { stop: () => void; at: (time: number) => number } {
  const samples: { time: number; cpuSeconds: number }[] = [{ time: Date.now(), cpuSeconds: processCpuSeconds(pid) }];
  const timer = setInterval(() => samples.push({ time: Date.now(), cpuSeconds: processCpuSeconds(pid) }), CPU_SAMPLE_MS);
  return {
    stop: () => clearInterval(timer),
    at: (time) => {
      const after = samples.findIndex((sample) => sample.time >= time);
      if (after <= 0) throw new Error(`no CPU sample around ${new Date(time).toISOString()}`);
      const [a, b] = [samples[after - 1]!, samples[after]!];
      return a.cpuSeconds + ((b.cpuSeconds - a.cpuSeconds) * (time - a.time)) / (b.time - a.time);
    },
  };
}

interface ThreadSample {
  readonly name: string;
  /** CPU seconds (user + system) so far. */
  readonly cpuSeconds: number;
  /** Seconds spent runnable, waiting for a core, so far (schedstat's second field). */
  readonly waitSeconds: number;
}

/** The CPU and run-queue wait of every thread of a process now, by thread id. */
function threadSamples(pid: number): Map<string, ThreadSample> {
  const threads = new Map<string, ThreadSample>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // The process has ended: nothing to sample (the process CPU sampler reports that one).
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const waitNanoseconds = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      // The kernel's 15-character thread name, without the trailing number of a pool's thread.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[-#]?\d+$/, '');
      threads.set(tid, { name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND, waitSeconds: waitNanoseconds / 1e9 });
    } catch {
      // The thread ended between the listing and the read: it is absent from this sample.
    }
  }
  return threads;
}

type ThreadGroup = 'job' | 'compiler' | 'garbageCollector' | 'other';

/** JVM threads by name first: the compiler may start threads of its own while the job runs. */
function threadGroup(name: string, bornAfterSubmission: boolean): ThreadGroup {
  if (/^C[12] CompilerThre/.test(name)) return 'compiler';
  if (/^(GC Thread|G1 |VM Thread)/.test(name)) return 'garbageCollector';
  return bornAfterSubmission ? 'job' : 'other';
}

/**
 * Samples every thread of a process until stopped; `split(from, to, events)` gives CPU
 * microseconds per event by group (see {@link threadGroup}) and the busiest threads by name, with
 * the share of the window they ran and waited runnable, interpolated at the window's ends. Threads
 * absent from the first sample (taken before the job is submitted) count as the job's.
 */
function threadSampler(pid: number) {
  const samples: { time: number; threads: Map<string, ThreadSample> }[] = [{ time: Date.now(), threads: threadSamples(pid) }];
  const timer = setInterval(() => samples.push({ time: Date.now(), threads: threadSamples(pid) }), THREAD_SAMPLE_MS);
  /** A thread's counters at `time`: 0 before it appears, its last sample after it ends. */
  const at = (tid: string, time: number): { cpuSeconds: number; waitSeconds: number } => {
    const after = samples.findIndex((sample) => sample.time >= time);
    const edge = after === 0 ? samples[0]! : samples.at(-1)!;
    const [a, b] = after <= 0 ? [edge, edge] : [samples[after - 1]!, samples[after]!];
    const lastSeen = (until: number) => samples.slice(0, until + 1).reverse().find((sample) => sample.threads.has(tid))?.threads.get(tid);
    const before = a.threads.get(tid) ?? lastSeen(samples.indexOf(a)) ?? { cpuSeconds: 0, waitSeconds: 0 };
    const next = b.threads.get(tid) ?? before;
    const share = b.time === a.time ? 1 : (time - a.time) / (b.time - a.time);
    return { cpuSeconds: before.cpuSeconds + (next.cpuSeconds - before.cpuSeconds) * share, waitSeconds: before.waitSeconds + (next.waitSeconds - before.waitSeconds) * share };
  };
  return {
    stop: () => clearInterval(timer),
    split: (from: number, to: number, events: number) => {
      const seconds = (to - from) / 1000;
      const microsecondsPerEvent = (cpuSeconds: number) => Math.round((cpuSeconds * 1e7) / events) / 10;
      const groups: Record<ThreadGroup, number> = { job: 0, compiler: 0, garbageCollector: 0, other: 0 };
      const byName = new Map<string, { job: boolean; cpuSeconds: number; waitSeconds: number }>();
      const names = new Map<string, string>();
      for (const sample of samples) for (const [tid, thread] of sample.threads) names.set(tid, thread.name);
      for (const [tid, name] of names) {
        const [start, end] = [at(tid, from), at(tid, to)];
        const group = threadGroup(name, !samples[0]!.threads.has(tid));
        const cpuSeconds = end.cpuSeconds - start.cpuSeconds;
        groups[group] += cpuSeconds;
        const key = `${group === 'job' ? 'job' : 'shared'}:${name}`;
        const total = byName.get(key) ?? { job: group === 'job', cpuSeconds: 0, waitSeconds: 0 };
        byName.set(key, { job: total.job, cpuSeconds: total.cpuSeconds + cpuSeconds, waitSeconds: total.waitSeconds + end.waitSeconds - start.waitSeconds });
      }
      return {
        jobMicrosecondsPerEvent: microsecondsPerEvent(groups.job),
        compilerMicrosecondsPerEvent: microsecondsPerEvent(groups.compiler),
        garbageCollectorMicrosecondsPerEvent: microsecondsPerEvent(groups.garbageCollector),
        otherMicrosecondsPerEvent: microsecondsPerEvent(groups.other),
        busiest: [...byName].sort(([, a], [, b]) => b.cpuSeconds - a.cpuSeconds).slice(0, BUSIEST_THREADS).map(([key, thread]) => ({
          thread: key.slice(key.indexOf(':') + 1),
          job: thread.job,
          microsecondsPerEvent: microsecondsPerEvent(thread.cpuSeconds),
          // Shares of the window, summed over the threads of that name.
          running: Math.round((thread.cpuSeconds / seconds) * 100) / 100,
          waitingForCpu: Math.round((thread.waitSeconds / seconds) * 100) / 100,
        })),
      };
    },
  };
}

const loadAverage = (): number[] => loadavg().map((value) => Math.round(value * 100) / 100);

/** Names of the other jobs that ran on the cluster at some time in [from, to]: they shared the TaskManager whose CPU is measured. */
async function jobsOverlapping(jobId: string, from: number, to: number): Promise<string[]> {
  const jobs = await rest.listJobs();
  return jobs.filter((job) => job.jid !== jobId && job['start-time'] < to && (job['end-time'] < 0 || job['end-time'] > from)).map((job) => job.name);
}

/**
 * Records/s of one kafkajs consumer (of a new group, `group`) reading and Avro-decoding the first
 * `total` records of the transactions topic, and the CPU microseconds per record this process used
 * meanwhile (a figure the machine's load changes less than the rate, to set beside the job's).
 */
async function plainRead(total: number, group: string): Promise<{ recordsPerSecond: number; microsecondsPerEvent: number }> {
  const reader = kafka.consumer({ groupId: `bench-${runId}-${group}`, readUncommitted: false, maxWaitTimeInMs: 50 });
  await reader.connect();
  try {
    let decoded = 0;
    let firstAt: number | undefined;
    let lastAt = 0;
    let cpuAtFirst: NodeJS.CpuUsage | undefined;
    let cpuUsed: NodeJS.CpuUsage | undefined;
    await reader.subscribe({ topic: topic('transactions'), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        firstAt ??= Date.now();
        cpuAtFirst ??= process.cpuUsage();
        if (decoded >= total) return;
        await registry.decode(message.value as Buffer);
        decoded += 1;
        lastAt = Date.now();
        if (decoded === total) cpuUsed = process.cpuUsage(cpuAtFirst);
      },
    });
    await until('the plain read of the backlog', () => decoded >= total, RECEIVE_TIMEOUT_MS);
    return {
      recordsPerSecond: Math.round(total / ((lastAt - firstAt!) / 1000)),
      microsecondsPerEvent: Math.round((cpuUsed!.user + cpuUsed!.system) / total),
    };
  } finally {
    await reader.disconnect();
  }
}

async function main(): Promise<void> {
  await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  await admin.createTopics({
    topics: ['transactions', 'labels', 'features', 'training-examples', 'dlq'].map((logical) => ({ topic: topic(logical), numPartitions: 1, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  const schemaId = (await registry.register({ type: SchemaType.AVRO, schema: readFileSync(new URL('../schemas/transaction.avsc', import.meta.url), 'utf8') }, { subject: `${topic('transactions')}-value` })).id;
  await registry.register({ type: SchemaType.AVRO, schema: readFileSync(new URL('../schemas/label.avsc', import.meta.url), 'utf8') }, { subject: `${topic('labels')}-value` });

  // The backlog lies an hour in the past, 50 ms apart, and ends with one transaction far enough
  // after it that the watermark passes every backlog transaction.
  log(`producing a backlog of ${backlog} transactions`);
  const backlogStart = Date.now() - 60 * 60_000 - backlog * 50;
  for (let first = 0; first < backlog; first += 1000) {
    const messages = await Promise.all(Array.from({ length: Math.min(1000, backlog - first) }, async (_, offset) => {
      const index = first + offset;
      return { key: `b${index}`, value: await registry.encode(schemaId, transaction(`b${index}`, index % CARDS, backlogStart + index * 50)) };
    }));
    await producer.send({ topic: topic('transactions'), messages });
  }
  await producer.send({ topic: topic('transactions'), messages: [{ key: 'b-end', value: await registry.encode(schemaId, transaction('b-end', 0, Date.now() - 30 * 60_000)) }] });

  log('reading the backlog with a plain kafkajs consumer (the throughput baseline)');
  const before = await plainRead(backlog, 'plain-read');

  const produced = new Map<string, number>();
  const received = new Map<string, { receivedAt: number; writtenAt: number }>();
  await consumer.subscribe({ topic: topic('features'), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receivedAt = Date.now();
      const decoded = (await registry.decode(message.value as Buffer)) as { transaction_id: string };
      received.set(decoded.transaction_id, { receivedAt, writtenAt: Number(message.timestamp) });
    },
  });

  const loadBefore = loadAverage();
  const cpu = cpuSampler(taskManagerPid());
  const threads = threadSampler(taskManagerPid());
  const submitted = await deployer.submit({
    job: fraudJarJob,
    jobName: `tributary-feature-job-bench-${runId}`,
    jobVersion: `bench-${runId}`,
    argumentOverrides: { 'out-of-orderness-ms': String(outOfOrdernessMs) },
    flinkConfiguration: { 'execution.checkpointing.interval': checkpointInterval },
  });
  try {
    const effectiveInterval = (await rest.checkpointConfig(submitted.jobId)).interval;
    log(`job ${submitted.jobId} running, checkpoint interval ${effectiveInterval} ms; waiting for the backlog's features`);
    await until('the backlog features', () => [...received.keys()].filter((id) => id.startsWith('b') && id !== 'b-end').length >= backlog, RECEIVE_TIMEOUT_MS * 3);
    const backlogWrites = [...received.entries()].filter(([id]) => id.startsWith('b') && id !== 'b-end').map(([, at]) => at.writtenAt);
    // Sorted numerically (not spread into Math.min: a large backlog overflows the call stack).
    const writes = Float64Array.from(backlogWrites).sort();
    const [firstWrite, lastWrite] = [writes[0]!, writes[writes.length - 1]!];
    const throughputSeconds = (lastWrite - firstWrite) / 1000;
    const cpuSeconds = cpu.at(lastWrite) - cpu.at(firstWrite);
    // The second half of the backlog, by write time: the job warm (the JIT compiles a newly
    // submitted job's code during its first second or so, most of a 50k backlog's window).
    const secondHalfFrom = writes[Math.floor(writes.length / 2)]!;
    const secondHalfRecords = writes.length - Math.floor(writes.length / 2);
    const secondHalfSeconds = (lastWrite - secondHalfFrom) / 1000;
    const secondHalfCpuSeconds = cpu.at(lastWrite) - cpu.at(secondHalfFrom);
    cpu.stop();
    threads.stop();
    const loadAfter = loadAverage();
    const byThread = threads.split(firstWrite, lastWrite, backlog);
    const sharedWith = await jobsOverlapping(submitted.jobId, firstWrite, lastWrite);
    log('reading the backlog with a plain kafkajs consumer again, after the job drained it');
    const after = await plainRead(backlog, 'plain-read-after');

    log(`producing ${count} transactions at ${rate}/s`);
    const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
    const started = Date.now();
    let sent = 0;
    let tail = 0;
    const measuredDone = (): boolean => [...produced.keys()].every((id) => received.has(id));
    // Keep producing after the measured transactions (unmeasured) so the watermark moves past them too.
    while (sent < count || !measuredDone()) {
      const now = Date.now();
      const batch = Array.from({ length: perTick }, (_, offset) => {
        const measured = sent < count;
        const id = measured ? `l${sent++}` : `tail${tail++}`;
        return { id, measured, record: transaction(id, (sent + tail + offset) % CARDS, now) };
      });
      const messages = await Promise.all(batch.map(async ({ id, record }) => ({ key: id, value: await registry.encode(schemaId, record) })));
      for (const { id, measured } of batch) if (measured) produced.set(id, now);
      await producer.send({ topic: topic('transactions'), messages });
      if (Date.now() - started > RECEIVE_TIMEOUT_MS + (count / rate) * 1000) throw new Error('latency phase did not finish in time');
      const next = started + ((sent + tail) / perTick) * TICK_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    const endToEnd = [...produced].map(([id, at]) => (received.get(id)?.receivedAt ?? Number.NaN) - at);
    const toSinkWrite = [...produced].map(([id, at]) => (received.get(id)?.writtenAt ?? Number.NaN) - at);
    const achievedRate = count / (((produced.get(`l${count - 1}`) ?? started) - started) / 1000 || 1);

    process.stdout.write(`${JSON.stringify({
      benchmark: 'feature-job',
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
      job: { parallelism: 1, checkpointIntervalMs: effectiveInterval, outOfOrdernessMs, deliveryGuarantee: 'exactly-once', cards: CARDS },
      throughput: {
        transactions: backlog,
        seconds: throughputSeconds,
        recordsPerSecond: Math.round(backlog / throughputSeconds),
        plainReadRecordsPerSecond: before.recordsPerSecond,
        plainReadAfterRecordsPerSecond: after.recordsPerSecond,
        secondHalfRecordsPerSecond: Math.round(secondHalfRecords / secondHalfSeconds),
      },
      cpu: {
        taskManagerCpuSeconds: Math.round(cpuSeconds * 100) / 100,
        microsecondsPerEvent: Math.round((cpuSeconds * 1e6) / backlog),
        coresBusy: Math.round((cpuSeconds / throughputSeconds) * 100) / 100,
        secondHalfMicrosecondsPerEvent: Math.round((secondHalfCpuSeconds * 1e6) / secondHalfRecords),
        otherJobsOnTheTaskManager: sharedWith,
        byThread,
        plainReadMicrosecondsPerEvent: before.microsecondsPerEvent,
        plainReadAfterMicrosecondsPerEvent: after.microsecondsPerEvent,
      },
      latency: {
        transactions: count,
        targetRatePerSecond: rate,
        achievedRatePerSecond: Math.round(achievedRate),
        endToEnd: summary(endToEnd),
        toSinkWrite: summary(toSinkWrite),
      },
    }, null, 2)}\n`);
  } finally {
    cpu.stop();
    threads.stop();
    await deployer.cancel({ jobId: submitted.jobId });
  }
}

try {
  await main();
} finally {
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: ['transactions', 'labels', 'features', 'training-examples', 'dlq'].map(topic) }).catch(() => undefined);
  await admin.disconnect();
}
