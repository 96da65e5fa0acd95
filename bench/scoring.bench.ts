/**
 * The scoring worker against a kafkajs pass-through on the local real stack, in one run, on the
 * same features topic, with both model runtimes. Five processors, one after another, each in a
 * fresh consumer group: pass-through and the TensorFlow.js scorer, each at-least-once and
 * exactly-once, and the scorer serving the same network exported to ONNX (`exportNetworkToOnnx`,
 * run by ONNX Runtime) exactly-once only: the runtime comparison is made in the mode the platform runs
 * by default, and leaving out its at-least-once twin keeps the run near its length before ONNX
 * (about five minutes on 2 cores). The pass-through consumes and produces the same bytes (no
 * decoding, no model) with the same chunking, commit scheme and per-partition transactional
 * producers as the scorer, so the difference is the ML work: Avro decoding, vectorising, predict
 * and encoding the scores; between the two scorers, only the runtime.
 *
 * Per processor:
 * - throughput: RECORDS features records are produced while it is stopped (its group's offsets
 *   set to the end before), then it drains them; records/s from the moment it joined its group
 *   (the scorer: ready, with the runtime's model loaded) to the last output a read_committed
 *   collector receives. ROUNDS drains per processor, interleaved; the median is reported beside
 *   every sample;
 * - latency: RATE records/s for SECONDS seconds while it keeps up; end-to-end latency per record
 *   from just before its send to the collector receiving its output (read_committed, so after
 *   the transaction commits in exactly-once), p50 and p99;
 * - each scorer, exactly-once only: the same latency run again while the champion swaps every
 *   second through the deployments topic, beside the steady p99: the tfjs scorer between two tfjs
 *   versions (v1 ↔ v2), the onnx scorer across runtimes (the onnx version ↔ v1, its tfjs twin).
 *
 * Prints one JSON document: `results` keyed `passThrough.<delivery>`, `scorer.<delivery>` (tfjs)
 * and `scorer.onnx.exactly-once`, each scorer's with its runtime.
 *
 *   npm run bench -- scoring                 # RECORDS=30000 RATE=500 SECONDS=10 BATCH=500 ROUNDS=5
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { logLevel, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../src/registry/kafka-model-registry.js';
import { serialiseOnnxArtifact } from '../src/registry/model-artifact.js';
import { openDeploymentLog, type DeploymentLog } from '../src/serving/deployment-log.js';
import type { ServedModel } from '../src/serving/model-deployment.js';
import { createScorerMetrics } from '../src/serving/scorer-metrics.js';
import type { DeliveryMode } from '../src/serving/scorer-output.js';
import { exportedSignature, exportNetworkToOnnx } from '../src/models/onnx-export.js';
import { loadScoringModel } from '../src/serving/scoring-model.js';
import { ScoringWorker } from '../src/serving/scoring-worker.js';
import { ServedModels } from '../src/serving/served-models.js';
import { createAvroProducer, type AvroProducer } from '../src/streaming/avro-producer.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../src/streaming/schema-registry-client.js';
import { topicName } from '../src/streaming/topic-catalogue.js';
import { selectTensorFlowBackend } from '../src/training/backend.js';
import { createClassifierNetwork } from '../src/training/model.js';
import { fitVectoriser } from '../src/vectoriser/fit-vectoriser.js';
import { VECTORISER_LAYOUT_VERSION } from '../src/vectoriser/vectoriser-spec.js';
import { FRAUD_FEATURE_FIELDS, FRAUD_IDENTITY, fraudDefinition } from '../test/helpers/fraud-pipeline.js';
import { featureRecords, prepareScoringTopics, registerModelVersions } from '../test/helpers/scoring.js';
import { fraudTopic } from '../test/helpers/fraud-topics.js';

const RECORDS = Number(process.env.RECORDS ?? 30_000);
const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 10);
const BATCH = Number(process.env.BATCH ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SEND_EVERY_MS = 20;
const MODEL = 'fraud';

const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `bench-scoring-${randomUUID().slice(0, 8)}.` } };
const featuresTopic = fraudTopic(config, 'features');
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

/** One processor of the run; a scorer serves `champion` and, exactly-once, swaps it with `swapWith` every second. */
type ProcessorKind =
  | { readonly name: string; readonly kind: 'passThrough'; readonly delivery: DeliveryMode }
  | { readonly name: string; readonly kind: 'scorer'; readonly delivery: DeliveryMode; readonly runtime: 'tfjs' | 'onnx'; readonly champion: ServedModel; readonly swapWith?: ServedModel };

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

/** Starts a scorer and waits until it has joined its group serving `champion` (already published). */
async function startScorer(kafka: Kafka, groupId: string, delivery: DeliveryMode, champion: ServedModel, dependencies: { registry: KafkaModelRegistry; deployments: DeploymentLog }): Promise<Processor> {
  const servedModels = new ServedModels((model, served) => loadScoringModel(dependencies.registry, model, served));
  const worker = await ScoringWorker.start(
    {
      config,
      kafka,
      schemaRegistry: createSchemaRegistryClient(config.schemaRegistry),
      deployments: dependencies.deployments,
      servedModels,
      metrics: createScorerMetrics({ bench: delivery }),
      log: () => undefined,
    },
    { model: MODEL, groupId, delivery, batchSize: BATCH },
  );
  while (!worker.readiness().ready || servedModels.current()?.champion?.version !== champion.version) await sleep(5);
  return { stop: () => worker.stop() };
}

/**
 * Registers the network `registerModelVersions` registers as version `seed` (the same vectoriser
 * fit, the same seeded weights) again, exported to ONNX as registration exports a trained network:
 * the same model for the other runtime.
 */
async function registerOnnxTwin(registry: KafkaModelRegistry, seed: number): Promise<ServedModel> {
  const spec = fitVectoriser(fraudDefinition.model.inputs, featureRecords('vectoriser', 0, 200), FRAUD_FEATURE_FIELDS);
  const network = createClassifierNetwork({ inputWidth: spec.columns.length, hiddenUnits: [8], seed });
  try {
    const { bytes } = serialiseOnnxArtifact({
      onnx: exportNetworkToOnnx(network),
      ...exportedSignature(spec.columns.length),
      vectoriser: spec,
      task: 'binary-classification',
      identity: FRAUD_IDENTITY,
      threshold: 0.5,
      metadata: { model: MODEL, trainedAt: new Date().toISOString(), backend: 'onnx', codeVersion: 'bench' },
    });
    const lineage = { offsetRanges: [], featureSchemaId: 1, featureJobVersions: ['feature-job-test'], codeVersion: 'bench', featureVectorVersion: VECTORISER_LAYOUT_VERSION, hyperParameters: { seed }, backend: 'onnx', splitBoundaries: {}, trainedBy: 'bench' };
    const version = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, artifact: bytes, runtime: 'onnx', lineage }, { by: 'bench', reason: `onnx twin of seed ${seed}` });
    return { version: version.version, sha256: version.artifact.sha256 };
  } finally {
    network.dispose();
  }
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
    const onnx = await registerOnnxTwin(registry, 1);
    let deployed = v1;
    await deployments.publish(MODEL, { champion: v1, updatedBy: 'bench', reason: 'first champion' });

    const results: Record<string, ModeResult & { runtime?: string; throughputSamples: number[]; duringSwaps?: LatencySummary & { swaps: number } }> = {};
    const kinds: readonly ProcessorKind[] = [
      { name: 'passThrough.at-least-once', kind: 'passThrough', delivery: 'at-least-once' },
      { name: 'passThrough.exactly-once', kind: 'passThrough', delivery: 'exactly-once' },
      { name: 'scorer.at-least-once', kind: 'scorer', delivery: 'at-least-once', runtime: 'tfjs', champion: v1 },
      { name: 'scorer.exactly-once', kind: 'scorer', delivery: 'exactly-once', runtime: 'tfjs', champion: v1, swapWith: v2 },
      { name: 'scorer.onnx.exactly-once', kind: 'scorer', delivery: 'exactly-once', runtime: 'onnx', champion: onnx, swapWith: v1 },
    ];
    const samples = new Map<string, number[]>();
    // Rounds interleave the processors, so a burst of load from elsewhere on the machine hits all of them alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const processorKind of kinds) {
        const { name, delivery } = processorKind;
        const groupId = `${config.topics.prefix}bench.${name}.${round}`;
        await startGroupAtEnd(admin, groupId);
        const backlog = await produceBacklog(producer, `${name}-backlog-${round}`);
        let processor: Processor;
        if (processorKind.kind === 'scorer') {
          const { champion } = processorKind;
          if (deployed.version !== champion.version) {
            await deployments.publish(MODEL, { champion, updatedBy: 'bench', reason: `serve the ${processorKind.runtime} version` });
            deployed = champion;
          }
          processor = await startScorer(kafka, groupId, delivery, champion, { registry, deployments });
        } else {
          processor = await startPassThrough(kafka, groupId, delivery);
        }
        const startedAt = Date.now();
        try {
          await waitForAll(collector.received, backlog);
          samples.set(name, [...(samples.get(name) ?? []), throughputOf(backlog, collector.received, startedAt)]);
          if (round < ROUNDS) continue;
          const steady = await produceSteadily(producer, `${name}-steady`);
          await waitForAll(collector.received, steady.keys());
          const throughputSamples = samples.get(name)!;
          results[name] = {
            ...(processorKind.kind === 'scorer' ? { runtime: processorKind.runtime } : {}),
            throughputPerSecond: median(throughputSamples),
            throughputSamples,
            latency: latencyOf(steady, collector.received),
          };
          if (processorKind.kind === 'scorer' && processorKind.swapWith !== undefined) {
            const { champion, swapWith } = processorKind;
            let swaps = 0;
            const swapping = await produceSteadily(producer, `${name}-swaps`, async (second) => {
              deployed = second % 2 === 1 ? swapWith : champion;
              await deployments.publish(MODEL, { champion: deployed, updatedBy: 'bench', reason: `swap ${second}` });
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

    const share = (value: number): number => Math.round(value * 1000) / 1000;
    const mlOverhead = (scorer: string, delivery: DeliveryMode): number => share(1 - results[scorer]!.throughputPerSecond / results[`passThrough.${delivery}`]!.throughputPerSecond);
    const swapRatio = (scorer: string): number | null => {
      const { duringSwaps, latency } = results[scorer]!;
      return duringSwaps ? Math.round((duringSwaps.p99Ms / latency.p99Ms) * 100) / 100 : null;
    };
    const onnxResult = results['scorer.onnx.exactly-once']!;
    const tfjsResult = results['scorer.exactly-once']!;
    console.log(
      JSON.stringify(
        {
          benchmark: 'scoring',
          machine: { cpus: cpus().length, tfjsBackend: backend.name },
          settings: { backlogRecords: RECORDS, rounds: ROUNDS, steadyRatePerSecond: RATE, steadySeconds: SECONDS, batchSize: BATCH },
          loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
          results,
          mlOverheadShareOfPassThroughThroughput: {
            'at-least-once': mlOverhead('scorer.at-least-once', 'at-least-once'),
            'exactly-once': mlOverhead('scorer.exactly-once', 'exactly-once'),
            'onnx.exactly-once': mlOverhead('scorer.onnx.exactly-once', 'exactly-once'),
          },
          onnxOverTfjs: {
            throughput: Math.round((onnxResult.throughputPerSecond / tfjsResult.throughputPerSecond) * 100) / 100,
            p99: Math.round((onnxResult.latency.p99Ms / tfjsResult.latency.p99Ms) * 100) / 100,
          },
          swapP99OverSteadyP99: swapRatio('scorer.exactly-once'),
          crossRuntimeSwapP99OverSteadyP99: swapRatio('scorer.onnx.exactly-once'),
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
