import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { memory } from '@tensorflow/tfjs';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { ArtifactIntegrityError, RegistryConflictError, RegistryStorageError } from '../../src/registry/errors.js';
import { createModelRegistry, KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { deserialiseModelArtifact, serialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { ModelLineage, NewModelVersion } from '../../src/registry/model-registry.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { topicCatalogue, topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { selectTensorFlowBackend } from '../../src/training/backend.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { predictScores } from '../../src/training/model.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { trainModel } from '../../src/training/training-loop.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_IDENTITY, fraudExamples, fraudVectoriserInputs } from '../helpers/fraud-pipeline.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

/** Every topic, subject and transactional id of this run starts with its own prefix. */
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test-${randomUUID().slice(0, 8)}.` } };
const prepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: 1200, seed: 11 })), fraudVectoriserInputs);
const scoringInput = labelledMatrixOf(prepared.vectoriser, prepared.test, 'test').features;
const alice = { by: 'alice', reason: 'first model' };

const lineage = (seed: number): ModelLineage => ({
  offsetRanges: [{ topic: fraudTopic(config, 'training-examples'), partition: 0, fromOffset: '0', toOffset: String(1000 + seed) }],
  featureSchemaId: 1,
  featureJobVersions: ['feature-job-1'],
  codeVersion: 'test',
  featureVectorVersion: VECTORISER_LAYOUT_VERSION,
  hyperParameters: { seed, hiddenUnits: [8] },
  backend: 'cpu',
  splitBoundaries: { validationFrom: 1, testFrom: 2 },
  trainedBy: 'integration-test',
});

/** Trains a small model for two epochs, serialises it, and keeps its scores of the test split. */
async function trainVersion(seed: number): Promise<{ input: NewModelVersion; sha256: string; scores: Float32Array }> {
  const { model } = await trainModel({ train: prepared.train, validation: prepared.validation }, { hiddenUnits: [8], maxEpochs: 2, batchSize: 128, seed });
  try {
    const { bytes, sha256 } = await serialiseModelArtifact({
      model,
      vectoriser: prepared.spec,
      task: 'binary-classification',
      identity: FRAUD_IDENTITY,
      threshold: 0.5,
      metadata: { model: 'fraud', trainedAt: new Date().toISOString(), backend: 'cpu', codeVersion: 'test' },
    });
    const scores = await predictScores(model, scoringInput);
    return { input: { model: 'fraud', metrics: { rocAuc: 0.9 + seed / 100 }, threshold: 0.5, lineage: lineage(seed), artifact: bytes, tags: { seed: String(seed) } }, sha256, scores };
  } finally {
    model.dispose();
  }
}

describe('model registry on the real Kafka and schema registry', () => {
  let kafka: Kafka;
  let admin: Admin;
  const opened: KafkaModelRegistry[] = [];
  const open = async (): Promise<KafkaModelRegistry> => {
    const registry = await createModelRegistry(config, { readTimeoutMs: 20_000 });
    opened.push(registry);
    return registry;
  };

  beforeAll(async () => {
    await selectTensorFlowBackend({ force: 'cpu', logger: { info: () => undefined, warn: () => undefined } });
    kafka = createKafka(config, { clientIdSuffix: 'model-registry-test' });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicCatalogue(config));
    await registerSchemas(createSchemaRegistryClient(config.schemaRegistry), config);
  });

  afterAll(async () => {
    await Promise.all(opened.map((registry) => registry.close()));
    const ours = (await admin.listTopics()).filter((name) => name.startsWith(config.topics.prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
  });

  it('registers two versions, moves aliases, and a second instance rebuilds the same index and loads identical models', async () => {
    const first = await open();
    const one = await trainVersion(1);
    const two = await trainVersion(2);

    const v1 = await first.registerVersion(one.input, alice);
    const v2 = await first.registerVersion(two.input, { by: 'workflow:training:fraud', reason: 'retrained' });
    expect([v1.version, v2.version, v1.stage]).toEqual([1, 2, 'candidate']);
    expect(v2.artifact).toEqual({ sha256: two.sha256, runtime: 'tfjs', sizeBytes: two.input.artifact.length, topic: topicName(config, 'models'), key: 'fraud:2' });

    await first.setAlias('fraud', 'champion', 1, alice);
    await first.setAlias('fraud', 'challenger', 2, { by: 'workflow:rollout:fraud', reason: 'A/B at 10 %' });
    await first.setAlias('fraud', 'champion', 2, { by: 'bob', reason: 'challenger wins on recall' });

    const second = await open();
    expect(await second.listModels()).toEqual(['fraud']);
    expect(await second.listVersions('fraud')).toEqual(await first.listVersions('fraud'));
    expect(await second.history('fraud')).toEqual(await first.history('fraud'));
    expect((await second.listVersions('fraud')).map((version) => version.stage)).toEqual(['archived', 'champion']);
    expect((await second.resolveAlias('fraud', 'champion'))?.version).toBe(2);
    expect(await second.resolveAlias('fraud', 'challenger')).toBeUndefined();
    expect((await second.history('fraud')).map((change) => ('alias' in change ? `${change.alias}:${change.previousVersion}->${change.version} by ${change.by}` : `v${change.version}:${change.previousStage}->${change.stage} by ${change.by}`))).toEqual([
      'v1:candidate->champion by alice',
      'champion:null->1 by alice',
      'v2:candidate->challenger by workflow:rollout:fraud',
      'challenger:null->2 by workflow:rollout:fraud',
      'v1:champion->archived by bob',
      'challenger:2->null by bob',
      'v2:challenger->champion by bob',
      'champion:1->2 by bob',
    ]);

    const tensorsBefore = memory().numTensors;
    const bytes = await second.loadArtifact('fraud', 2);
    const loaded = await deserialiseModelArtifact(bytes, { sha256: v2.artifact.sha256, model: 'fraud', version: 2 });
    try {
      expect(loaded.sha256).toBe(two.sha256);
      expect(await predictScores(loaded.model, scoringInput)).toEqual(two.scores);
    } finally {
      loaded.model.dispose();
    }
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('gives concurrent registrations of one model distinct versions, each with its own artifact', async () => {
    const [left, right] = [await open(), await open()];
    const three = await trainVersion(3);
    const before = (await left.listVersions('fraud')).length;
    const attempts = await Promise.allSettled([left.registerVersion(three.input, alice), right.registerVersion({ ...three.input, tags: { seed: 'other' } }, alice)]);
    const registered = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value.version] : []));
    const conflicts = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason] : []));
    for (const conflict of conflicts) expect(conflict).toBeInstanceOf(RegistryConflictError);
    expect(new Set(registered).size).toBe(registered.length);
    const versions = (await left.listVersions('fraud')).map((version) => version.version);
    expect(versions).toEqual(Array.from({ length: before + registered.length }, (_, index) => index + 1));
    for (const version of registered) expect(await left.loadArtifact('fraud', version)).toEqual(three.input.artifact);
  });

  it('stores a regression version with no threshold, which a second instance reads back as none', async () => {
    const regression = { model: 'orders', metrics: { mae: 4.2, rmse: 5.1, r2: 0.6 }, threshold: null, lineage: { ...lineage(7), hyperParameters: { task: 'regression' } }, artifact: Uint8Array.of(1, 2) };
    const registered = await (await open()).registerVersion(regression, alice);
    expect(registered.threshold).toBeNull();
    expect((await (await open()).getVersion('orders', registered.version)).threshold).toBeNull();
  });

  it('refuses, saying to run schemas register, a regression version on a prefix whose registry-events subject predates the null threshold', async () => {
    const older: TributaryConfig = { ...config, topics: { prefix: `test-${randomUUID().slice(0, 8)}.` } };
    await ensureTopics(admin, topicCatalogue(older));
    const schemas = createSchemaRegistryClient(config.schemaRegistry);
    const current = readFileSync(new URL('../../schemas/registry-event.avsc', import.meta.url), 'utf8');
    const beforeNullable = current.replace(/"type": \["null", "double"\], "default": null, /, '"type": "double", ');
    expect(beforeNullable).not.toBe(current);
    const eventsSubject = valueSubject(topicName(older, 'model-registry-events'));
    await schemas.register(eventsSubject, JSON.stringify(JSON.parse(beforeNullable)));
    await schemas.register(valueSubject(topicName(older, 'models')), JSON.stringify(JSON.parse(readFileSync(new URL('../../schemas/model-artifact.avsc', import.meta.url), 'utf8'))));
    const registry = await createModelRegistry(older, { readTimeoutMs: 20_000 });
    opened.push(registry);
    try {
      const attempt = registry.registerVersion({ model: 'orders', metrics: { mae: 4.2 }, threshold: null, lineage: { ...lineage(8), hyperParameters: { task: 'regression' } }, artifact: Uint8Array.of(1) }, alice);
      await expect(attempt).rejects.toThrow(RegistryStorageError);
      await expect(attempt).rejects.toThrow(`the schema registered under ${eventsSubject} is older than this release's: run \`tributary schemas register\` (a BACKWARD-compatible upgrade), then try again`);
      expect(await registry.listModels()).toEqual([]);
    } finally {
      const theirs = (await admin.listTopics()).filter((name) => name.startsWith(older.topics.prefix));
      await admin.deleteTopics({ topics: theirs });
    }
  });

  it('refuses an artifact record whose bytes do not match the recorded sha256', async () => {
    const registry = await open();
    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const recorded = await registry.getVersion('fraud', 1);
    const tampered = Buffer.from(await registry.loadArtifact('fraud', 1));
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    try {
      await producer.send('models', [
        {
          key: 'fraud:1',
          value: { model: 'fraud', version: 1, sha256: recorded.artifact.sha256, size_bytes: tampered.length, feature_vector_version: 1, content_type: 'application/vnd.tributary.model-artifact.v1', written_at: Date.now(), artifact: tampered },
        },
      ]);
    } finally {
      await producer.disconnect();
    }
    const attempt = registry.loadArtifact('fraud', 1);
    await expect(attempt).rejects.toThrow(ArtifactIntegrityError);
    await expect(registry.loadArtifact('fraud', 1)).rejects.toThrow(new RegExp(`^refusing artifact of fraud version 1: its sha256 is [0-9a-f]{64}, the registry recorded ${recorded.artifact.sha256}$`));
  });
});
