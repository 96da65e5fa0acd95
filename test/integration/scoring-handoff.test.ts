/**
 * A blue/green feature-job upgrade seen by the scorer, on the real stack: the deployment moves the
 * features topic from blue to green with a handoff. Green repeats blue's records from the overlap
 * on. The scorer drains blue to where it ended at the move, leaves it, skips in green the
 * transactions it already scored from blue, and scores everything else: every transaction of
 * either topic has exactly one score — whether the scorer was caught up at the move or lagging
 * behind with records only blue holds (committed by the old job before its savepoint).
 */
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import type { PartitionOffset } from '../../src/serving/model-deployment.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { valueSubject } from '../../src/streaming/topic-catalogue.js';
import { frameWithSchemaId } from '../../src/streaming/wire-format.js';
import type { FraudFeatureRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { createTopic } from '../helpers/kafka.js';
import {
  featureRecords,
  metricValue,
  prepareScoringTopics,
  readScores,
  registerModelVersions,
  scoreAccounting,
  scoringRunConfig,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { FRAUD_SCHEMA_DIRECTORY, fraudTopic } from '../helpers/fraud-topics.js';

const MODEL = 'fraud';
const featureType = loadSchemaFile(join(FRAUD_SCHEMA_DIRECTORY, 'feature.avsc')).type;

/** One run's topics (blue = the catalogue's features topic, green = its successor), clients and scorer, set up and torn down around a describe block. */
function handoffEnvironment(purpose: string) {
  const config: TributaryConfig = scoringRunConfig(purpose);
  const env = {
    config,
    groupId: defaultScorerGroupId(config, MODEL),
    blue: fraudTopic(config, 'features'),
    green: `${config.topics.prefix}features-green`,
    kafka: undefined as unknown as Kafka,
    admin: undefined as unknown as Admin,
    raw: undefined as unknown as Producer,
    producer: undefined as unknown as AvroProducer,
    registry: undefined as unknown as KafkaModelRegistry,
    deployments: undefined as unknown as DeploymentLog,
    scorer: undefined as InProcessScorer | undefined,
    /** Starts the scorer on blue with champion v1; its log is printed when the test fails. */
    async startScorer(batchSize: number): Promise<InProcessScorer> {
      const [v1] = await registerModelVersions(env.registry, MODEL, 1);
      await env.deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
      const scorer = await startInProcessScorer(config, { registry: env.registry, deployments: env.deployments }, { model: MODEL, batchSize });
      env.scorer = scorer;
      onTestFailed(() => console.error(`scorer log:\n${scorer.logs.join('\n')}`));
      return scorer;
    },
    toBlue: (slice: readonly FeatureRecord[]) => env.producer.send('features', slice.map((value) => ({ key: value.transaction_id, value }))),
    async toGreen(slice: readonly FeatureRecord[]): Promise<void> {
      const schemaId = (await createSchemaRegistryClient(config.schemaRegistry).latestSchema(valueSubject(env.blue)))!.id;
      await env.raw.send({ topic: env.green, messages: slice.map((record) => ({ key: record.transaction_id, value: frameWithSchemaId(schemaId, featureType.toBuffer(record)) })) });
    },
    /** Blue's committed end offsets now: the overlap mark. */
    markOverlap: async (): Promise<PartitionOffset[]> => (await env.admin.fetchTopicOffsets(env.blue)).map(({ partition, high }) => ({ partition, offset: high })),
    moveToGreen: (overlapFrom: readonly PartitionOffset[]) =>
      env.deployments.publish(MODEL, { featuresTopic: env.green, featuresHandoff: { previousTopic: env.blue, overlapFrom }, updatedBy: 'flink-deploy', reason: 'blue/green feature job upgrade' }),
  };

  beforeAll(async () => {
    env.kafka = createKafka(config, { clientIdSuffix: `${purpose}-test`, logLevel: logLevel.NOTHING });
    env.admin = env.kafka.admin();
    await env.admin.connect();
    await prepareScoringTopics(config, env.admin);
    await createTopic(env.admin, env.green, 3);
    env.raw = env.kafka.producer();
    await env.raw.connect();
    env.producer = createAvroProducer({ kafka: env.kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await env.producer.connect();
    env.registry = await createModelRegistry(config);
    env.deployments = await openDeploymentLog(config);
  });

  afterAll(async () => {
    await env.scorer?.stop();
    await env.deployments?.close();
    await env.registry?.close();
    await env.producer?.disconnect();
    await env.raw?.disconnect();
    await env.admin?.disconnect();
  });

  return env;
}

describe('scoring worker across a features-topic handoff (real Kafka, registry, schema registry)', () => {
  const env = handoffEnvironment('scoring-handoff');

  it('skips in the new topic exactly the events already scored from the old one (by the event id field)', async () => {
    const { admin, blue, green, groupId } = env;
    const scorer = await env.startScorer(50);
    const logs = scorer.logs;

    const records = featureRecords('handoff', 0, 300);
    await env.toBlue(records.slice(0, 100));
    const overlapFrom = await env.markOverlap();
    await env.toBlue(records.slice(100, 200));
    // Green started at the overlap: it repeats blue's records from there on, then goes further.
    await env.toGreen(records.slice(100, 300));
    await waitForGroupCaughtUp(admin, groupId, blue);

    await env.moveToGreen(overlapFrom);
    // Blue still writes for a while after the move; green has these records too.
    await env.toBlue(records.slice(200, 250));

    await waitForGroupCaughtUp(admin, groupId, green);
    const scores = await readScores(env.kafka, env.config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    const skipped = await metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'skipped' });
    // At least blue's 100 overlapping records scored before the move; any of 200–249 it scored before leaving, too.
    expect(skipped).toBeGreaterThanOrEqual(100);
    expect(skipped).toBeLessThanOrEqual(150);
    expect(logs.some((line) => line.includes(`features topic moved from ${blue} to ${green}`))).toBe(true);
    expect(logs.some((line) => line.includes(`handoff from ${blue}: ${skipped} events scored there from the overlap on are skipped in ${green}`))).toBe(true);
  });
});

describe('scoring worker draining the old features topic at a handoff (real Kafka, registry, schema registry)', () => {
  const env = handoffEnvironment('scoring-drain');

  it('scores the records only the old topic holds before it moves, even when it lags behind at the move', async () => {
    const { admin, blue, green, groupId } = env;
    const scorer = await env.startScorer(20);

    const records = featureRecords('drain', 0, 3_200);
    await env.toBlue(records.slice(0, 100));
    await waitForGroupCaughtUp(admin, groupId, blue);
    const overlapFrom = await env.markOverlap();
    // Committed by the old job between the mark and its savepoint: only blue has them.
    await env.toBlue(records.slice(100, 3_000));
    // After the savepoint both jobs ran: blue and green both have these; green goes further.
    await env.toBlue(records.slice(3_000, 3_100));
    await env.toGreen(records.slice(3_000, 3_200));

    // The move arrives while the scorer is still busy with blue's burst.
    await env.moveToGreen(overlapFrom);

    await waitForGroupCaughtUp(admin, groupId, green);
    const scores = await readScores(env.kafka, env.config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    expect(scorer.logs.some((line) => line.includes(`draining ${blue} before moving:`))).toBe(true);
  });
});
