/**
 * Reaction time of the threshold trigger on the local real stack (Kafka and Temporal). Measured
 * per crossing: from the moment the producer's send of the record that makes the committed end
 * offset of a real Kafka topic reach the threshold is acknowledged (acks=all, so the high
 * watermark — what the trigger snapshots — has reached it), to the start time Temporal records
 * for the training workflow the trigger starts as its child (read with the client; server and
 * client share this machine's clock). The real thresholdTrigger runs with its real snapshot of
 * end offsets; the count confirms every offset as an example (no Avro decoding), and the
 * started `trainingPipeline` is a stub that returns at once. Before each crossing the bench
 * waits for a poll to see threshold − 1 new offsets, then a random share of a poll interval, so
 * crossings fall at random phases of the poll cycle. Expect about half a poll interval plus the
 * snapshot, count and child-start round trips. Prints one JSON document.
 *
 *   npx tsx bench/trigger-reaction.bench.ts      # CROSSINGS=25 POLL_MS=1000 THRESHOLD=10
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { logLevel } from 'kafkajs';
import type { ExampleActivities, ExampleCount } from '../src/activities/example-activities.js';
import { loadConfig } from '../src/config/config.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { createOffsetRangeReader, type PartitionRange } from '../src/streaming/offset-range-reader.js';
import { statusQuery, type thresholdTrigger, type ThresholdTriggerState } from '../src/workflows/threshold-trigger.js';

const CROSSINGS = Number(process.env.CROSSINGS ?? 25);
const POLL_MS = Number(process.env.POLL_MS ?? 1_000);
const THRESHOLD = Number(process.env.THRESHOLD ?? 10);
/** Bound on each wait for the trigger: several poll intervals. */
const WAIT_MS = 30_000 + 10 * POLL_MS;

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

async function waitUntil<T>(description: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Worker and core logs go to stderr (core's own go to stdout otherwise), so stdout carries only the JSON.
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => process.stderr.write(`${entry.level} ${entry.message}\n`)),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
});

const config = loadConfig();
const runId = randomUUID().slice(0, 8);
const topic = `bench.trigger-reaction.${runId}`;
const taskQueue = `bench-trigger-reaction-${runId}`;
const model = `bench-reaction-${runId}`;

const kafka = createKafka(config, { clientIdSuffix: `trigger-reaction-bench-${runId}`, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
const producer = kafka.producer();
await producer.connect();
const reader = createOffsetRangeReader(kafka);

/** Snapshot as in production; every offset counts as one example. */
const activities: Pick<ExampleActivities, 'snapshotTrainingExampleOffsets' | 'countTrainingExamples'> = {
  snapshotTrainingExampleOffsets: () => reader.snapshotEndOffsets(topic),
  countTrainingExamples: (ranges: readonly PartitionRange[]): Promise<ExampleCount> =>
    Promise.resolve({ examples: ranges.reduce((sum, range) => sum + Number(BigInt(range.toOffset) - BigInt(range.fromOffset)), 0), positives: 0, undecodable: 0 }),
};

const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
const worker = await Worker.create({
  connection: workerConnection,
  namespace: config.temporal.namespace,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./trigger-reaction-workflows.ts', import.meta.url)),
  activities,
});
const running = worker.run();
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });

const produce = (count: number) => producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, index) => ({ value: `${index}` })) });
let trigger: WorkflowHandle<typeof thresholdTrigger> | undefined;
const reactionsMs: number[] = [];
try {
  trigger = await client.workflow.start<typeof thresholdTrigger>('thresholdTrigger', {
    taskQueue,
    workflowId: `threshold-trigger:${model}`,
    args: [model, { threshold: THRESHOLD, cooldownMs: 0, pollIntervalMs: POLL_MS }],
  });
  const status = (): Promise<ThresholdTriggerState> => trigger!.query(statusQuery);
  for (let crossing = 1; crossing <= CROSSINGS; crossing += 1) {
    await produce(THRESHOLD - 1);
    await waitUntil('a poll that sees one offset less than the threshold', async () => ((await status()).lastPoll?.newOffsets === THRESHOLD - 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_MS));
    await produce(1);
    const crossedAt = Date.now();
    const started = await waitUntil(`training run ${crossing}`, async () => {
      const state = await status();
      return state.trainingsStarted >= crossing ? state.lastStarted : undefined;
    });
    const child = await client.workflow.getHandle(started!.workflowId).describe();
    reactionsMs.push(child.startTime.getTime() - crossedAt);
  }
} finally {
  await trigger?.terminate('bench finished').catch(() => undefined);
  worker.shutdown();
  await running;
  await workerConnection.close();
  await connection.close();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

const sorted = [...reactionsMs].sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      benchmark: 'trigger-reaction',
      measured: 'ms from the acknowledged produce that makes the committed end offset reach the threshold to the Temporal start time of the training workflow the trigger starts (stub pipeline)',
      crossings: sorted.length,
      pollIntervalMs: POLL_MS,
      threshold: THRESHOLD,
      medianMs: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      minMs: sorted[0],
      maxMs: sorted[sorted.length - 1],
      samplesMs: reactionsMs,
    },
    null,
    2,
  ),
);
