/**
 * The rollout activities on the real Kafka, Schema Registry and Kafka-backed model registry:
 * - collectLiveMetrics joins scores with labels written (Avro, through the registered schemas)
 *   after the step's offset snapshot, per variant, and counts the DLQ records of the model's
 *   features topic; records from before the snapshot or another model stay out;
 * - the decision path: prepareRollout makes the version challenger, publishRouting puts it in
 *   SPLIT, recordDecision(promote) moves the registry's champion alias (history carries who and
 *   why with the figures) and publishes champion = new, challenger = none on the deployments
 *   topic; recordDecision(rollback) rejects the challenger and serves the champion alone.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRolloutActivities, type PublishedRouting } from '../../src/activities/rollout-activities.js';
import type { LiveMetrics } from '../../src/rollout/live-metrics.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createLiveMetricsReader, type LiveOffsets } from '../../src/rollout/live-metrics-reader.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { schemaRegistryFeatureFields } from '../../src/worker/registered-feature-fields.js';
import { prepareScoringTopics, registerModelVersions, scoringRunConfig } from '../helpers/scoring.js';
import { fraudPipelineStore } from '../helpers/fraud-pipeline.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('rollout');
const MODEL = 'fraud';
const FEATURES_TOPIC = fraudTopic(config, 'features');

let kafka: Kafka;
let admin: Admin;
let producer: AvroProducer;
let registry: KafkaModelRegistry;
let deployments: DeploymentLog;

const liveMetrics = () =>
  createLiveMetricsReader({
    reader: createOffsetRangeReader(kafka, { groupIdPrefix: `${config.topics.prefix}rollout-metrics` }),
    decoder: createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry)),
  });
/** The rollout activities with the fraud example's definition applied as each of `models`: its topics and label fields. */
const rolloutActivities = async (...models: string[]) =>
  createRolloutActivities({ registry, deployments, liveMetrics: liveMetrics(), features: schemaRegistryFeatureFields(config, deployments), pipelines: await fraudPipelineStore(...models), topicPrefix: config.topics.prefix });

beforeAll(async () => {
  kafka = createKafka(config, { clientIdSuffix: 'rollout-test' });
  admin = kafka.admin();
  await admin.connect();
  await prepareScoringTopics(config, admin);
  producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
  await producer.connect();
  registry = await createModelRegistry(config, { readTimeoutMs: 20_000 });
  deployments = await openDeploymentLog(config);
}, 120_000);

afterAll(async () => {
  await deployments?.close();
  await registry?.close();
  await producer?.disconnect();
  await admin?.disconnect();
});

const now = Date.now();
function score(id: string, fields: { variant: 'CHAMPION' | 'CHALLENGER'; version: number; decision: 'POSITIVE' | 'NEGATIVE'; revision: number; ms: number; model?: string; shadow?: { version: number; decision: 'POSITIVE' | 'NEGATIVE' } }) {
  return {
    key: id,
    value: {
      pipeline: fields.model ?? MODEL,
      event_id: id,
      entity_key: `entity-${id}`,
      prediction: fields.decision === 'POSITIVE' ? 0.9 : 0.1,
      threshold: 0.5,
      decision: fields.decision,
      model: fields.model ?? MODEL,
      model_version: fields.version,
      model_runtime: 'tfjs',
      variant: fields.variant,
      shadow: fields.shadow === undefined ? null : { model_version: fields.shadow.version, model_runtime: 'tfjs', prediction: fields.shadow.decision === 'POSITIVE' ? 0.8 : 0.2, decision: fields.shadow.decision },
      deployment_revision: fields.revision,
      feature_job_version: 'feature-job-test',
      event_time: now,
      features_at: now,
      scored_at: now + fields.ms,
      end_to_end_ms: fields.ms * 2,
      scoring_ms: fields.ms,
    },
  };
}
const label = (id: string, fraud: boolean) => ({ key: id, value: { transaction_id: id, is_fraud: fraud, source: fraud ? 'CHARGEBACK' : 'CONFIRMED_LEGITIMATE', label_time: now } });
const deadLetter = (sourceTopic: string, offset: number) => ({
  key: `dl-${offset}`,
  value: { source_topic: sourceTopic, source_partition: 0, source_offset: offset, original_key: null, original_value: Buffer.from('garbage'), error_type: 'UNDECODABLE', reason: 'not Avro', component: 'scorer', failed_at: now },
});

describe('rollout activities on the real stack', () => {
  it('collectLiveMetrics joins the scores and labels written since the snapshot, per variant, with the DLQ rate', async () => {
    const activities = await rolloutActivities(MODEL);
    const run = randomUUID().slice(0, 8);
    // Before the snapshot: never counted.
    await producer.send('scores', [score(`${run}-old`, { variant: 'CHAMPION', version: 1, decision: 'POSITIVE', revision: 3, ms: 5 })]);
    await producer.send('labels', [label(`${run}-old`, true)]);
    // No source given (a rollout started before sources were passed): read from the pipeline's applied definition.
    const since: LiveOffsets = await new MockActivityEnvironment().run(activities.snapshotLiveOffsets, { model: MODEL });

    await producer.send('scores', [
      score(`${run}-a`, { variant: 'CHAMPION', version: 1, decision: 'POSITIVE', revision: 3, ms: 10 }),
      score(`${run}-b`, { variant: 'CHAMPION', version: 1, decision: 'NEGATIVE', revision: 3, ms: 20, shadow: { version: 2, decision: 'POSITIVE' } }),
      score(`${run}-c`, { variant: 'CHALLENGER', version: 2, decision: 'POSITIVE', revision: 3, ms: 30 }),
      score(`${run}-d`, { variant: 'CHALLENGER', version: 2, decision: 'NEGATIVE', revision: 3, ms: 40 }),
      // Under an older routing, and another model's: out of the variants' figures.
      score(`${run}-e`, { variant: 'CHAMPION', version: 1, decision: 'POSITIVE', revision: 2, ms: 50 }),
      score(`${run}-f`, { variant: 'CHAMPION', version: 1, decision: 'POSITIVE', revision: 3, ms: 60, model: 'other' }),
    ]);
    await producer.send('labels', [label(`${run}-a`, true), label(`${run}-b`, true), label(`${run}-c`, false), label(`${run}-d`, false)]);
    await producer.send('dlq', [deadLetter(FEATURES_TOPIC, 1), deadLetter('some.other.topic', 2)]);

    const heartbeats: unknown[] = [];
    const environment = new MockActivityEnvironment();
    environment.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const metrics: LiveMetrics = await environment.run(activities.collectLiveMetrics, {
      scope: { model: MODEL, championVersion: 1, challengerVersion: 2, fromRevision: 3, confidence: 0.95 },
      since,
      featuresTopic: FEATURES_TOPIC,
    });
    // a: POSITIVE on fraud (TP); b: NEGATIVE on fraud (FN) — and b's shadow POSITIVE on fraud is the challenger's TP; c: POSITIVE on legit (FP); d: NEGATIVE on legit (TN).
    expect(metrics.champion).toMatchObject({ version: 1, scored: 2, confusion: { truePositives: 1, falsePositives: 0, trueNegatives: 0, falseNegatives: 1 }, latencyMs: { p50: 10, p99: 20 } });
    expect(metrics.challenger).toMatchObject({ version: 2, scored: 3, confusion: { truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 0 }, latencyMs: { p50: 30, p99: 40 } });
    expect(metrics.champion.rates.recall).toMatchObject({ successes: 1, trials: 2, rate: 0.5 });
    // 5 scores of the model plus 1 dead letter of its features topic.
    expect(metrics.dlq).toEqual({ records: 1, intake: 6, rate: 1 / 6 });
    expect(metrics).toMatchObject({ scoresRead: 6, labelsRead: 4, undecodable: 0 });
    expect(heartbeats.length).toBeGreaterThan(0);
  });

  it('promotes through the registry and the deployments topic: alias moved with the figures, deployment serving the new champion alone', async () => {
    const activities = await rolloutActivities(MODEL);
    const [v1, v2] = await registerModelVersions(registry, MODEL, 2);
    await registry.setStage(MODEL, v1!.version, 'champion', { by: 'test', reason: 'first champion' });

    const env = new MockActivityEnvironment();
    const prepared = await env.run(activities.prepareRollout, { model: MODEL, challengerVersion: v2!.version, author: { by: 'alice', reason: 'roll out v2' } });
    // What the rollout measures comes from the pipeline's definition: the fraud example names the catalogue's topics.
    expect(prepared).toEqual({
      champion: v1,
      challenger: v2,
      source: { task: 'binary-classification', topics: { scores: topicName(config, 'scores'), labels: fraudTopic(config, 'labels'), dlq: topicName(config, 'dlq') }, labelKey: 'transaction_id', labelField: 'is_fraud', pipelineRevision: 1 },
      rollout: { plan: 'standard' },
    });
    expect((await registry.resolveAlias(MODEL, 'challenger'))?.version).toBe(v2!.version);

    // The model was never deployed: the routing puts the champion in place too.
    expect(await deployments.latest(MODEL)).toBeUndefined();
    const routed: PublishedRouting = await env.run(activities.publishRouting, { model: MODEL, champion: v1!, challenger: v2!, mode: 'SPLIT' as const, share: 0.1, author: { by: 'workflow:rollout:fraud', reason: 'step 2/4' } });
    expect(await deployments.latest(MODEL)).toMatchObject({ revision: routed.revision, champion: v1, challenger: v2, challengerMode: 'SPLIT', challengerShare: 0.1 });
    // A retried attempt finds the routing in place and publishes nothing.
    expect(await env.run(activities.publishRouting, { model: MODEL, champion: v1!, challenger: v2!, mode: 'SPLIT' as const, share: 0.1, author: { by: 'workflow:rollout:fraud', reason: 'step 2/4' } })).toEqual(routed);

    const reason = 'looks better | champion v1: 1000 labelled of 1000, recall 0.7000; challenger v2: recall 0.9500';
    const promoted: PublishedRouting = await env.run(activities.recordDecision, { model: MODEL, action: 'promote' as const, champion: v1!, challenger: v2!, author: { by: 'alice', reason } });
    expect(promoted.revision).toBe(routed.revision + 1);
    expect((await registry.resolveAlias(MODEL, 'champion'))?.version).toBe(v2!.version);
    expect(await registry.resolveAlias(MODEL, 'challenger')).toBeUndefined();
    expect((await registry.getVersion(MODEL, v1!.version)).stage).toBe('archived');
    const championChange = (await registry.history(MODEL)).filter((change) => 'alias' in change && change.alias === 'champion').at(-1);
    expect(championChange).toMatchObject({ version: v2!.version, previousVersion: v1!.version, by: 'alice', reason });

    // Read back through a log of its own, as a scorer on another machine would.
    const reader = await openDeploymentLog(config);
    try {
      expect(await reader.latest(MODEL)).toMatchObject({ revision: promoted.revision, champion: v2, challenger: null, challengerMode: 'NONE', challengerShare: 0, updatedBy: 'alice', reason });
    } finally {
      await reader.close();
    }
  });

  it('rolls back through the registry and the deployments topic: challenger rejected, the champion served alone', async () => {
    const model = `${MODEL}-rollback`;
    const activities = await rolloutActivities(model);
    const [v1, v2] = await registerModelVersions(registry, model, 2);
    await registry.setStage(model, v1!.version, 'champion', { by: 'test', reason: 'first champion' });
    const env = new MockActivityEnvironment();
    await env.run(activities.prepareRollout, { model, challengerVersion: v2!.version, author: { by: 'alice', reason: 'roll out v2' } });
    await env.run(activities.publishRouting, { model, champion: v1!, challenger: v2!, mode: 'SHADOW' as const, share: 0, author: { by: 'workflow:rollout', reason: 'step 1/4' } });

    const reason = 'guardrail: FPR worse | figures';
    await env.run(activities.recordDecision, { model, action: 'rollback' as const, champion: v1!, challenger: v2!, author: { by: 'workflow:rollout', reason } });
    expect((await registry.getVersion(model, v2!.version)).stage).toBe('rejected');
    expect(await registry.resolveAlias(model, 'challenger')).toBeUndefined();
    expect((await registry.resolveAlias(model, 'champion'))?.version).toBe(v1!.version);
    expect((await registry.history(model)).at(-1)).toMatchObject({ by: 'workflow:rollout', reason });
    expect(await deployments.latest(model)).toMatchObject({ champion: v1, challenger: null, challengerMode: 'NONE', reason });
  });
});
