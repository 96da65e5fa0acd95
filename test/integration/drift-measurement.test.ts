/**
 * The drift check against the real Kafka and Schema Registry (topics of a prefix of its own): a
 * champion in the Kafka model registry of that prefix whose lineage pins 3000 synthetic training
 * examples, then live feature records from the same distribution (low PSI) or with amounts
 * shifted twentyfold (high PSI on the amount columns), and the champion's live scores on the
 * scores topic.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { measureDrift } from '../../src/drift/drift-measurement.js';
import { kafkaDriftMeasurement } from '../../src/drift/kafka-drift-measurement.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { serialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { ScoreValue } from '../../src/serving/batch-scorer.js';
import { loadScoringModel } from '../../src/serving/scoring-model.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { generateSyntheticExamples, type FraudExampleRecord as TrainingExample, type FraudFeatureRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const MODEL = 'drift-fraud';

const LABEL_FIELDS = new Set(['is_fraud', 'label_source', 'label_time']);

/** The feature record inside a training example (the features topic carries no label). */
function featuresOf(example: TrainingExample): FeatureRecord {
  return Object.fromEntries(Object.entries(example).filter(([field]) => !LABEL_FIELDS.has(field))) as unknown as FeatureRecord;
}

/** A fresh set of topics per scenario, so "the newest records" are exactly the scenario's. */
async function preparedTopics(): Promise<{ config: TributaryConfig; kafka: Kafka }> {
  const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test-${randomUUID().slice(0, 8)}.` } };
  const kafka = createKafka(config, { clientIdSuffix: 'drift-test' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await prepareFraudTopics(config, admin);
  } finally {
    await admin.disconnect();
  }
  return { config, kafka };
}

/** Registers champion v1 of MODEL trained (by lineage) on every training example now on the topic. */
async function registerChampion(config: TributaryConfig, kafka: Kafka, registry: KafkaModelRegistry): Promise<void> {
  const snapshot = await createOffsetRangeReader(kafka).snapshotEndOffsets(fraudTopic(config, 'training-examples'));
  const network = testNetwork(5);
  const { bytes } = await serialiseModelArtifact({
    model: network,
    vectoriser: testSpec,
    task: 'binary-classification',
    identity: FRAUD_IDENTITY,
    threshold: 0.5,
    metadata: { model: MODEL, trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'test' },
  });
  network.dispose();
  const lineage = {
    offsetRanges: snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset })),
    featureSchemaId: 1,
    featureJobVersions: ['synthetic'],
    codeVersion: 'test',
    featureVectorVersion: VECTORISER_LAYOUT_VERSION,
    hyperParameters: {},
    backend: 'cpu',
    splitBoundaries: {},
    trainedBy: 'test',
  };
  const version = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, lineage, artifact: bytes }, { by: 'test', reason: 'drift test' });
  await registry.setStage(MODEL, version.version, 'champion', { by: 'test', reason: 'drift test' });
  await registry.setAlias(MODEL, 'champion', version.version, { by: 'test', reason: 'drift test' });
}

/** The champion's scores of `records` as the scorer would write them. */
async function championScores(registry: KafkaModelRegistry, records: readonly FeatureRecord[]): Promise<ScoreValue[]> {
  const champion = (await registry.resolveAlias(MODEL, 'champion'))!;
  const scorer = await loadScoringModel(registry, MODEL, { version: champion.version, sha256: champion.artifact.sha256 });
  try {
    const batch = scorer.vectoriser.vectoriseBatch(records);
    const scores = await scorer.score({ rowCount: batch.rowCount, columnCount: scorer.vectoriser.width, values: batch.values });
    return records.map((record, i) => ({
      pipeline: MODEL,
      event_id: record.transaction_id,
      entity_key: record.card_hash,
      prediction: scores[i]!,
      threshold: 0.5,
      decision: scores[i]! >= 0.5 ? 'POSITIVE' : 'NEGATIVE',
      model: MODEL,
      model_version: champion.version,
      model_runtime: scorer.runtime,
      variant: 'CHAMPION',
      shadow: null,
      deployment_revision: 1,
      feature_job_version: record.feature_job_version,
      event_time: record.event_time,
      features_at: record.event_time + 1,
      scored_at: record.event_time + 5,
      end_to_end_ms: 5,
      scoring_ms: 1,
    }));
  } finally {
    scorer.dispose();
  }
}

/** Training examples (seed 1) for the reference, then `live` on the features topic and the champion's scores of them; measured over all of `live`. */
async function scenario(live: readonly FeatureRecord[]) {
  const { config, kafka } = await preparedTopics();
  const registry = await createModelRegistry(config);
  try {
    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    try {
      await producer.send('training-examples', generateSyntheticExamples({ count: 3000, seed: 1 }).map((example) => ({ key: example.card_hash, value: example })));
      await registerChampion(config, kafka, registry);
      await producer.send('features', live.map((record) => ({ key: record.card_hash, value: record })));
      await producer.send('scores', (await championScores(registry, live)).map((score) => ({ key: score.event_id, value: score })));
    } finally {
      await producer.disconnect();
    }
    return await measureDrift(kafkaDriftMeasurement(config, registry), MODEL, { liveRecords: 5000, referenceRecords: 2000 });
  } finally {
    await registry.close();
  }
}

describe('drift measurement on the real Kafka', () => {
  beforeAll(useCpuBackend);

  it('finds low PSI for live features from the training distribution and high PSI for shifted amounts', async () => {
    const same = generateSyntheticExamples({ count: 1500, seed: 2 }).map(featuresOf);
    const stable = await scenario(same);
    expect(stable.kind).toBe('measured');
    if (stable.kind !== 'measured') return;
    console.info(`same distribution: max feature PSI ${stable.figures.maxFeature.psi.toFixed(4)} (${stable.figures.maxFeature.column}), score PSI ${stable.figures.score?.psi.toFixed(4)}`);
    // Every live record (fewer than asked for); the reference's share of each partition's range is rounded up.
    expect(stable.figures).toMatchObject({ championVersion: 1, liveRecords: 1500 });
    expect(stable.figures.referenceRecords).toBeGreaterThanOrEqual(2000);
    expect(stable.figures.referenceRecords).toBeLessThan(2010);
    expect(stable.figures.maxFeature.psi).toBeLessThan(0.1);
    expect(stable.figures.score?.liveScores).toBe(1500);
    expect(stable.figures.score?.psi).toBeLessThan(0.1);

    const shifted = same.map((record) => ({ ...record, amount: record.amount * 20, amount_sum_10m: record.amount_sum_10m * 20, amount_max_10m: record.amount_max_10m * 20 }));
    const drifted = await scenario(shifted);
    expect(drifted.kind).toBe('measured');
    if (drifted.kind !== 'measured') return;
    console.info(`amounts x20: max feature PSI ${drifted.figures.maxFeature.psi.toFixed(4)} (${drifted.figures.maxFeature.column}), score PSI ${drifted.figures.score?.psi.toFixed(4)}`);
    const psiOf = (column: string): number | undefined => drifted.figures.features.find((feature) => feature.column === column)?.psi;
    expect(psiOf('amount:log1p')).toBeGreaterThan(1);
    expect(psiOf('amount_sum_10m:log1p')).toBeGreaterThan(1);
    expect(psiOf('txn_count_24h:standardised')).toBeLessThan(0.1);
  });

  it('skips a model without a champion, naming why', async () => {
    const { config } = await preparedTopics();
    const registry = await createModelRegistry(config);
    try {
      expect(await measureDrift(kafkaDriftMeasurement(config, registry), MODEL)).toEqual({ kind: 'skipped', reason: `model ${MODEL} has no champion yet` });
    } finally {
      await registry.close();
    }
  });
});
