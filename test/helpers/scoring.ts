/**
 * What the scoring worker's integration tests and benchmark share: a run's own topics and
 * schemas, small real models registered in the real registry, feature records produced through
 * the registered schema, an in-process worker, and reading back every committed score.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { serialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { ScoreValue } from '../../src/serving/batch-scorer.js';
import type { DeadLetterValue } from '../../src/serving/dead-letters.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import type { ServedModel } from '../../src/serving/model-deployment.js';
import { createScorerMetrics, type ScorerMetrics } from '../../src/serving/scorer-metrics.js';
import type { DeliveryMode } from '../../src/serving/scorer-output.js';
import { loadScoringModel } from '../../src/serving/scoring-model.js';
import { ScoringWorker } from '../../src/serving/scoring-worker.js';
import { ServedModels } from '../../src/serving/served-models.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createOffsetRangeReader, type DecodedRecord } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { createClassifierNetwork } from '../../src/training/model.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_IDENTITY, FRAUD_FEATURE_FIELDS, fraudDefinition } from './fraud-pipeline.js';
import { prepareFraudTopics } from './fraud-topics.js';
import { generateSyntheticExamples, type FraudExampleRecord, type FraudFeatureRecord } from './synthetic-examples.js';
import { waitFor } from './wait-for.js';

/** The configuration with a topic prefix (and so subjects and transactional ids) of this run alone. */
export function scoringRunConfig(purpose: string): TributaryConfig {
  return { ...loadConfig(), topics: { prefix: `test-${purpose}-${randomUUID().slice(0, 8)}.` } };
}

/** Creates the run's topics and registers its schemas: the platform's and the fraud example's ({@link prepareFraudTopics}). */
export const prepareScoringTopics = prepareFraudTopics;

/** What a test of a scorer process uses on the real stack; `close` releases all of it. */
export interface ScoringStack {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: KafkaModelRegistry;
  readonly deployments: DeploymentLog;
  /** Connected; produces through the run's registered schemas. */
  readonly producer: AvroProducer;
  close(): Promise<void>;
}

/**
 * Connects an admin, prepares the run's topics and schemas, and opens the registry, the deployment
 * log and a producer; what was opened is released again when a later step fails.
 */
export async function openScoringStack(config: TributaryConfig, clientIdSuffix: string): Promise<ScoringStack> {
  const kafka = createKafka(config, { clientIdSuffix, logLevel: logLevel.NOTHING });
  const opened: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const release of opened.reverse()) await release();
  };
  try {
    const admin = kafka.admin();
    await admin.connect();
    opened.push(() => admin.disconnect());
    await prepareScoringTopics(config, admin);
    const registry = await createModelRegistry(config);
    opened.push(() => registry.close());
    const deployments = await openDeploymentLog(config);
    opened.push(() => deployments.close());
    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    opened.push(() => producer.disconnect());
    return { kafka, admin, registry, deployments, producer, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Feature records as the feature job writes them, with this run's transaction ids and event time now. */
export function featureRecords(runId: string, from: number, count: number): FraudFeatureRecord[] {
  const now = Date.now();
  return generateSyntheticExamples({ count, seed: 7 + from, startTime: now }).map((example, index): FraudFeatureRecord => {
    const features: { -readonly [Field in keyof FraudExampleRecord]?: FraudExampleRecord[Field] } = { ...example, transaction_id: `${runId}-${from + index}`, event_time: now, feature_job_version: 'feature-job-test' };
    // The label fields are not in feature.avsc; the Avro producer refuses undeclared fields.
    delete features.is_fraud;
    delete features.label_source;
    delete features.label_time;
    return features as FraudFeatureRecord;
  });
}

/**
 * Registers `count` small untrained models (distinct seeds, so distinct weights and sha256) as
 * versions of `model`; real artifacts, loaded and verified by the scorer like trained ones.
 */
export async function registerModelVersions(registry: KafkaModelRegistry, model: string, count: number): Promise<ServedModel[]> {
  const spec = fitVectoriser(fraudDefinition.model.inputs, featureRecords('vectoriser', 0, 200), FRAUD_FEATURE_FIELDS);
  const served: ServedModel[] = [];
  for (let seed = 1; seed <= count; seed += 1) {
    const network = createClassifierNetwork({ inputWidth: spec.columns.length, hiddenUnits: [8], seed });
    try {
      const { bytes } = await serialiseModelArtifact({
        model: network,
        vectoriser: spec,
        task: 'binary-classification',
        identity: FRAUD_IDENTITY,
        threshold: 0.5,
        metadata: { model, trainedAt: new Date().toISOString(), backend: 'test', codeVersion: 'test' },
      });
      const version = await registry.registerVersion(
        {
          model,
          metrics: { rocAuc: 0.5 },
          threshold: 0.5,
          artifact: bytes,
          lineage: {
            offsetRanges: [],
            featureSchemaId: 1,
            featureJobVersions: ['feature-job-test'],
            codeVersion: 'test',
            featureVectorVersion: VECTORISER_LAYOUT_VERSION,
            hyperParameters: { seed },
            backend: 'test',
            splitBoundaries: {},
            trainedBy: 'scoring-test',
          },
        },
        { by: 'scoring-test', reason: `test model ${seed}` },
      );
      served.push({ version: version.version, sha256: version.artifact.sha256 });
    } finally {
      network.dispose();
    }
  }
  return served;
}

/** Every committed record of a topic of the run's prefix (named without it), decoded (read_committed, from the log start to the last stable offset). */
export async function readTopic<Value>(kafka: Kafka, config: TributaryConfig, unprefixed: string): Promise<DecodedRecord<Value>[]> {
  const topic = `${config.topics.prefix}${unprefixed}`;
  const reader = createOffsetRangeReader(kafka, { groupIdPrefix: `${config.topics.prefix}read-back` });
  const ends = await reader.snapshotEndOffsets(topic);
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry));
  const ranges = ends.map(({ partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset }));
  const read = await reader.readRange(ranges, async (value, source) => (await decoder.decode(value, source)).value as Value, { timeoutMs: 120_000 });
  if (read.undecodable.length > 0) throw new Error(`${read.undecodable.length} records of ${topic} do not decode: ${read.undecodable[0]?.reason}`);
  return [...read.records];
}

export const readScores = async (kafka: Kafka, config: TributaryConfig): Promise<ScoreValue[]> => (await readTopic<ScoreValue>(kafka, config, 'scores')).map((record) => record.value);
export const readDeadLetters = async (kafka: Kafka, config: TributaryConfig): Promise<DeadLetterValue[]> => (await readTopic<DeadLetterValue>(kafka, config, 'dlq')).map((record) => record.value);

/**
 * Waits until the group has committed every partition of `topic` up to its end: all its output is
 * then committed too. The end is the last stable offset (the admin client lists offsets
 * read_committed): records of a transaction whose commit markers are not written yet lie beyond it.
 */
export async function waitForGroupCaughtUp(admin: Admin, groupId: string, topic: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `group ${groupId} to commit ${topic} to its end`,
    async () => {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      // A partition that never held a record has nothing to commit (its committed offset stays -1).
      const behind = ends.filter(({ partition, high, low }) => high !== low && BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1') < BigInt(high));
      return behind.length === 0 ? true : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Event ids scored more than once, and inputs not scored at all. */
export function scoreAccounting(scores: readonly ScoreValue[], inputIds: readonly string[]): { duplicates: string[]; missing: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const score of scores) counts.set(score.event_id, (counts.get(score.event_id) ?? 0) + 1);
  const expected = new Set(inputIds);
  return {
    duplicates: [...counts].filter(([, count]) => count > 1).map(([id]) => id),
    missing: inputIds.filter((id) => !counts.has(id)),
    unexpected: [...counts.keys()].filter((id) => !expected.has(id)),
  };
}

export interface InProcessScorer {
  readonly worker: ScoringWorker;
  readonly metrics: ScorerMetrics;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** A scoring worker in this process, on its own Kafka client and served models, as `tributary serve` builds it. */
export async function startInProcessScorer(
  config: TributaryConfig,
  dependencies: { registry: KafkaModelRegistry; deployments: DeploymentLog },
  options: { model: string; groupId?: string; delivery?: DeliveryMode; batchSize?: number; name?: string; schemaRegistry?: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById' | 'register' | 'setCompatibilityLevel'> },
): Promise<InProcessScorer> {
  const logs: string[] = [];
  const metrics = createScorerMetrics({ worker: options.name ?? 'test' });
  const worker = await ScoringWorker.start(
    {
      config,
      kafka: createKafka(config, { clientIdSuffix: `scorer-${options.name ?? 'test'}`, logLevel: logLevel.NOTHING }),
      schemaRegistry: options.schemaRegistry ?? createSchemaRegistryClient(config.schemaRegistry),
      deployments: dependencies.deployments,
      servedModels: new ServedModels((model, served) => loadScoringModel(dependencies.registry, model, served)),
      metrics,
      log: (line) => logs.push(`${new Date().toISOString()} ${line}`),
    },
    options,
  );
  return { worker, metrics, logs, stop: () => worker.stop() };
}

/** The value of one series of a metrics registry (sum over the label sets matching `labels`). */
export async function metricValue(metrics: ScorerMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted)).reduce((sum, value) => sum + value.value, 0);
}

