/**
 * The scoring worker against a kafkajs pass-through on the local real stack, in one run, on the
 * same features topic. Four processors, one after another, each in a fresh consumer group:
 * pass-through and scorer, each at-least-once and exactly-once. The pass-through consumes and
 * produces the same bytes (no decoding, no model) with the same chunking, commit scheme and
 * per-partition transactional producers as the scorer, so the difference is the ML work: Avro
 * decoding, vectorising, predict and encoding the scores.
 *
 * Per processor:
 * - throughput: RECORDS features records are produced while it is stopped (its group's offsets
 *   set to the end before), then it drains them; records/s from the moment it joined its group
 *   (the scorer: ready, model loaded) to the last output a read_committed collector receives.
 *   ROUNDS drains per processor, interleaved; the median is reported beside every sample;
 * - latency: RATE records/s for SECONDS seconds while it keeps up; end-to-end latency per record
 *   from just before its send to the collector receiving its output (read_committed, so after
 *   the transaction commits in exactly-once), p50 and p99;
 * - scorer, exactly-once only: the same latency run again while the champion swaps every second
 *   (v1 ↔ v2 through the deployments topic), beside the steady p99.
 *
 * Prints one JSON document.
 *
 *   npm run bench -- scoring                 # RECORDS=30000 RATE=500 SECONDS=10 BATCH=500 ROUNDS=5
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { logLevel, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { createModelRegistry } from '../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../src/serving/deployment-log.js';
import type { ServedModel } from '../src/serving/model-deployment.js';
import { createScorerMetrics } from '../src/serving/scorer-metrics.js';
import type { DeliveryMode } from '../src/serving/scorer-output.js';
import { loadScoringModel } from '../src/serving/scoring-model.js';
import { ScoringWorker } from '../src/serving/scoring-worker.js';
import { ServedModels } from '../src/serving/served-models.js';
import { createAvroProducer, type AvroProducer } from '../src/streaming/avro-producer.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../src/streaming/schema-registry-client.js';
import { topicName } from '../src/streaming/topic-catalogue.js';
import { selectTensorFlowBackend } from '../src/training/backend.js';
import { featureRecords, prepareScoringTopics, registerModelVersions } from '../test/helpers/scoring.js';

const RECORDS = Number(process.env.RECORDS ?? 30_000);
const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 10);
const BATCH = Number(process.env.BATCH ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SEND_EVERY_MS = 20;
const MODEL = 'fraud';

const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench-scoring-${randomUUID().slice(0, 8)}.` } };
const featuresTopic = topicName(config, 'features');
const passThroughTopic = `${config.topics.prefix}pass-through`;

interface Processor {
  stop(): Promise<void>;
}

interface LatencySummary {
  readonly records: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

interface ModeResult {
  readonly throughputPerSecond: number;
  readonly latency: LatencySummary;
}

/** Receives every output (read_committed) and notes when each key first arrived. */
async function startCollector(kafka: Kafka): Promise<{ received: Map<string, number>; consumer: Consumer }> {
  const received = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `${config.topics.prefix}collector`, readUncommitted: false, maxWaitTimeInMs: 10 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: [topicName(config, 'scores'), passThroughTopic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const key = message.key?.toString();
        if (key !== undefined && !received.has(key)) received.set(key, now);
      }
    },
  });
  while (!joined) await sleep(50);
  return { received, consumer };
}

/** kafkajs consume → produce of the same bytes, chunked and committed like the scorer. */
async function startPassThrough(kafka: Kafka, groupId: string, delivery: DeliveryMode): Promise<Processor> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
  const producers = new Map<number, Producer>();
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  if (delivery === 'at-least-once') await idempotent.connect();
  const transactional = async (partition: number): Promise<Producer> => {
    let producer = producers.get(partition);
    if (!producer) {
      producer = kafka.producer({ transactionalId: `${groupId}.${partition}`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      producers.set(partition, producer);
    }
    return producer;
  };
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: [featuresTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let start = 0; start < batch.messages.length; start += BATCH) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(start, start + BATCH);
        const lastOffset = start + BATCH >= batch.messages.length ? batch.lastOffset() : chunk[chunk.length - 1]!.offset;
        const next = (BigInt(lastOffset) + 1n).toString();
        const messages = chunk.map((message) => ({ key: message.key, value: message.value }));
        const offsets = { topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] };
        if (delivery === 'exactly-once') {
          const transaction = await (await transactional(batch.partition)).transaction();
          await transaction.send({ topic: passThroughTopic, messages, acks: -1 });
          await transaction.sendOffsets({ consumerGroupId: groupId, topics: [offsets] });
          await transaction.commit();
        } else {
          await idempotent.send({ topic: passThroughTopic, messages, acks: -1 });
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        }
        resolveOffset(lastOffset);
        await heartbeat();
      }
    },
  });
  while (!joined) await sleep(5);
  return {
    stop: async () => {
      await consumer.disconnect();
      await Promise.all([...producers.values()].map((producer) => producer.disconnect()));
      await idempotent.disconnect();
    },
  };
}

async function startScorer(kafka: Kafka, groupId: string, delivery: DeliveryMode, dependencies: { registry: Awaited<ReturnType<typeof createModelRegistry>>; deployments: DeploymentLog }): Promise<Processor> {
  const worker = await ScoringWorker.start(
    {
      config,
      kafka,
      schemaRegistry: createSchemaRegistryClient(config.schemaRegistry),
      deployments: dependencies.deployments,
      servedModels: new ServedModels((model, served) => loadScoringModel(dependencies.registry, model, served)),
      metrics: createScorerMetrics({ bench: delivery }),
      log: () => undefined,
    },
    { model: MODEL, groupId, delivery, batchSize: BATCH },
  );
  while (!worker.readiness().ready) await sleep(5);
  return { stop: () => worker.stop() };
}

/** Points a new group at the current end of the features topic, so it reads only what is produced after. */
async function startGroupAtEnd(admin: Admin, groupId: string): Promise<void> {
  const ends = await admin.fetchTopicOffsets(featuresTopic);
  await admin.setOffsets({ groupId, topic: featuresTopic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
}

async function produceBacklog(producer: AvroProducer, runId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < RECORDS; from += 1_000) {
    const records = featureRecords(runId, from, Math.min(1_000, RECORDS - from));
    await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
    ids.push(...records.map((record) => record.transaction_id));
  }
  return ids;
}

/** Produces RATE records/s for SECONDS seconds; returns each key's send time. */
async function produceSteadily(producer: AvroProducer, runId: string, duringEachSecond?: (second: number) => Promise<void>): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  const perSend = Math.max(1, Math.round((RATE * SEND_EVERY_MS) / 1000));
  const began = Date.now();
  const sideWork: Promise<void>[] = [];
  let nextSecond = 1;
  for (let sent = 0; sent < RATE * SECONDS; sent += perSend) {
    const due = began + (sent / RATE) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    if (duringEachSecond && Date.now() - began >= nextSecond * 1000) sideWork.push(duringEachSecond(nextSecond++));
    const records = featureRecords(runId, sent, perSend);
    const now = Date.now();
    for (const record of records) sentAt.set(record.transaction_id, now);
    await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
  }
  await Promise.all(sideWork);
  return sentAt;
}

async function waitForAll(received: Map<string, number>, keys: Iterable<string>, timeoutMs = 300_000): Promise<void> {
  const wanted = [...keys];
  const deadline = Date.now() + timeoutMs;
  while (wanted.some((key) => !received.has(key))) {
    if (Date.now() > deadline) throw new Error(`only ${wanted.filter((key) => received.has(key)).length} of ${wanted.length} outputs arrived in ${timeoutMs} ms`);
    await sleep(100);
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function latencyOf(sentAt: Map<string, number>, received: Map<string, number>): LatencySummary {
  const latencies = [...sentAt].map(([key, sent]) => received.get(key)! - sent).sort((a, b) => a - b);
  return { records: latencies.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies[latencies.length - 1] ?? Number.NaN };
}

/** Records per second from the moment the processor joined its group to the last output received. */
function throughputOf(ids: readonly string[], received: Map<string, number>, startedAt: number): number {
  const finishedAt = Math.max(...ids.map((id) => received.get(id)!));
  return Math.round(ids.length / ((finishedAt - startedAt) / 1000));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const backend = await selectTensorFlowBackend({ logger: { info: () => undefined, warn: () => undefined } });
  const kafka = createKafka(config, { clientIdSuffix: 'bench-scoring', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await prepareScoringTopics(config, admin);
  await admin.createTopics({ topics: [{ topic: passThroughTopic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const registry = await createModelRegistry(config);
  const deployments = await openDeploymentLog(config);
  const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
  await producer.connect();
  const collector = await startCollector(kafka);
  try {
    const [v1, v2] = (await registerModelVersions(registry, MODEL, 2)) as [ServedModel, ServedModel];
    await deployments.publish(MODEL, { champion: v1, updatedBy: 'bench', reason: 'first champion' });

    const results: Record<string, ModeResult & { throughputSamples: number[]; duringSwaps?: LatencySummary & { swaps: number } }> = {};
    const kinds = [
      ['passThrough', 'at-least-once'],
      ['passThrough', 'exactly-once'],
      ['scorer', 'at-least-once'],
      ['scorer', 'exactly-once'],
    ] as const;
    const samples = new Map<string, number[]>();
    // Rounds interleave the processors, so a burst of load from elsewhere on the machine hits all of them alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const [kind, delivery] of kinds) {
        const name = `${kind}.${delivery}`;
        const groupId = `${config.topics.prefix}bench.${kind}.${delivery}.${round}`;
        await startGroupAtEnd(admin, groupId);
        const backlog = await produceBacklog(producer, `${name}-backlog-${round}`);
        const processor = kind === 'scorer' ? await startScorer(kafka, groupId, delivery, { registry, deployments }) : await startPassThrough(kafka, groupId, delivery);
        const startedAt = Date.now();
        try {
          await waitForAll(collector.received, backlog);
          samples.set(name, [...(samples.get(name) ?? []), throughputOf(backlog, collector.received, startedAt)]);
          if (round < ROUNDS) continue;
          const steady = await produceSteadily(producer, `${name}-steady`);
          await waitForAll(collector.received, steady.keys());
          const throughputSamples = samples.get(name)!;
          results[name] = { throughputPerSecond: median(throughputSamples), throughputSamples, latency: latencyOf(steady, collector.received) };
          if (kind === 'scorer' && delivery === 'exactly-once') {
            let swaps = 0;
            const swapping = await produceSteadily(producer, `${name}-swaps`, async (second) => {
              await deployments.publish(MODEL, { champion: second % 2 === 1 ? v2 : v1, updatedBy: 'bench', reason: `swap ${second}` });
              swaps += 1;
            });
            await waitForAll(collector.received, swapping.keys());
            results[name] = { ...results[name]!, duringSwaps: { ...latencyOf(swapping, collector.received), swaps } };
          }
          process.stderr.write(`${name}: ${JSON.stringify(results[name])}\n`);
        } finally {
          await processor.stop();
        }
      }
    }

    const mlOverhead = (delivery: DeliveryMode): number => {
      const pass = results[`passThrough.${delivery}`]!.throughputPerSecond;
      return Math.round((1 - results[`scorer.${delivery}`]!.throughputPerSecond / pass) * 1000) / 1000;
    };
    const eos = results['scorer.exactly-once']!;
    console.log(
      JSON.stringify(
        {
          benchmark: 'scoring',
          machine: { cpus: cpus().length, tfjsBackend: backend.name },
          settings: { backlogRecords: RECORDS, rounds: ROUNDS, steadyRatePerSecond: RATE, steadySeconds: SECONDS, batchSize: BATCH },
          loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
          results,
          mlOverheadShareOfPassThroughThroughput: { 'at-least-once': mlOverhead('at-least-once'), 'exactly-once': mlOverhead('exactly-once') },
          swapP99OverSteadyP99: eos.duringSwaps ? Math.round((eos.duringSwaps.p99Ms / eos.latency.p99Ms) * 100) / 100 : null,
        },
        null,
        2,
      ),
    );
  } finally {
    await collector.consumer.disconnect();
    await producer.disconnect();
    await deployments.close();
    await registry.close();
    await admin.disconnect();
  }
}

await main();
