/**
 * A blue/green feature-job upgrade seen by the scorer, on the real stack: the deployment moves the
 * features topic from blue to green with a handoff. Green repeats blue's records from the overlap
 * on, and blue keeps writing a little after the move. The scorer leaves blue, skips in green the
 * transactions it already scored from blue, and scores everything else: every transaction of
 * either topic has exactly one score.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { schemaFilePath, topicDeclaration, topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { frameWithSchemaId } from '../../src/streaming/wire-format.js';
import type { FeatureRecord } from '../../src/training/training-example.js';
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

const config = scoringRunConfig('scoring-handoff');
const MODEL = 'fraud';
const groupId = defaultScorerGroupId(config, MODEL);
const blue = topicName(config, 'features');
const green = `${config.topics.prefix}features-green`;
const featureType = loadSchemaFile(schemaFilePath(topicDeclaration('features').valueSchema)).type;

describe('scoring worker across a features-topic handoff (real Kafka, registry, schema registry)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let raw: Producer;
  let producer: AvroProducer;
  let registry: KafkaModelRegistry;
  let deployments: DeploymentLog;
  let scorer: InProcessScorer | undefined;

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'scoring-handoff-test', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await prepareScoringTopics(config, admin);
    await createTopic(admin, green, 3);
    raw = kafka.producer();
    await raw.connect();
    producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    registry = await createModelRegistry(config);
    deployments = await openDeploymentLog(config);
  });

  afterAll(async () => {
    await scorer?.stop();
    await deployments?.close();
    await registry?.close();
    await producer?.disconnect();
    await raw?.disconnect();
    await admin?.disconnect();
  });

  it('skips in the new topic exactly the transactions already scored from the old one', async () => {
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
    scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: 50 });
    const logs = scorer.logs;
    onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));

    const records = featureRecords('handoff', 0, 300);
    const toBlue = (slice: readonly FeatureRecord[]) => producer.send('features', slice.map((value) => ({ key: value.transaction_id, value })));
    await toBlue(records.slice(0, 100));
    const overlapFrom = (await admin.fetchTopicOffsets(blue)).map(({ partition, high }) => ({ partition, offset: high }));
    await toBlue(records.slice(100, 200));
    // Green started at the overlap: it repeats blue's records from there on, then goes further.
    const schemaId = (await createSchemaRegistryClient(config.schemaRegistry).latestSchema(valueSubject(blue)))!.id;
    await raw.send({ topic: green, messages: records.slice(100, 300).map((record) => ({ key: record.transaction_id, value: frameWithSchemaId(schemaId, featureType.toBuffer(record)) })) });
    await waitForGroupCaughtUp(admin, groupId, blue);

    await deployments.publish(MODEL, { featuresTopic: green, featuresHandoff: { previousTopic: blue, overlapFrom }, updatedBy: 'flink-deploy', reason: 'blue/green feature job upgrade' });
    // Blue still writes for a while after the move; green has these records too.
    await toBlue(records.slice(200, 250));

    await waitForGroupCaughtUp(admin, groupId, green);
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    const skipped = await metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'skipped' });
    // At least blue's 100 overlapping records scored before the move; any of 200–249 it scored before leaving, too.
    expect(skipped).toBeGreaterThanOrEqual(100);
    expect(skipped).toBeLessThanOrEqual(150);
    expect(logs.some((line) => line.includes(`features topic moved from ${blue} to ${green}`))).toBe(true);
    expect(logs.some((line) => line.includes(`handoff from ${blue}: ${skipped} transactions scored there from the overlap on are skipped in ${green}`))).toBe(true);
  });
});
