/**
 * A blue/green handoff while the scorer lags, on the real stack. The old feature job committed
 * records between the overlap mark and its savepoint that only the old topic holds; the new topic
 * starts after them. The scorer must drain the old topic to where it ended when the topic moved,
 * or those transactions would never be scored.
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
import { featureRecords, prepareScoringTopics, readScores, registerModelVersions, scoreAccounting, scoringRunConfig, startInProcessScorer, waitForGroupCaughtUp, type InProcessScorer } from '../helpers/scoring.js';

const config = scoringRunConfig('scoring-drain');
const MODEL = 'fraud';
const groupId = defaultScorerGroupId(config, MODEL);
const blue = topicName(config, 'features');
const green = `${config.topics.prefix}features-green`;
const featureType = loadSchemaFile(schemaFilePath(topicDeclaration('features').valueSchema)).type;

describe('scoring worker draining the old features topic at a handoff (real Kafka, registry, schema registry)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let raw: Producer;
  let producer: AvroProducer;
  let registry: KafkaModelRegistry;
  let deployments: DeploymentLog;
  let scorer: InProcessScorer | undefined;

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'scoring-drain-test', logLevel: logLevel.NOTHING });
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

  it('scores the records only the old topic holds before it moves, even when it lags behind at the move', async () => {
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
    scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: 20 });
    const logs = scorer.logs;
    onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));

    const records = featureRecords('drain', 0, 3_200);
    const toBlue = (slice: readonly FeatureRecord[]) => producer.send('features', slice.map((value) => ({ key: value.transaction_id, value })));
    await toBlue(records.slice(0, 100));
    await waitForGroupCaughtUp(admin, groupId, blue);
    const overlapFrom = (await admin.fetchTopicOffsets(blue)).map(({ partition, high }) => ({ partition, offset: high }));
    // Committed by the old job between the mark and its savepoint: only blue has them.
    await toBlue(records.slice(100, 3_000));
    // After the savepoint both jobs ran: blue and green both have these; green goes further.
    await toBlue(records.slice(3_000, 3_100));
    const schemaId = (await createSchemaRegistryClient(config.schemaRegistry).latestSchema(valueSubject(blue)))!.id;
    await raw.send({ topic: green, messages: records.slice(3_000, 3_200).map((record) => ({ key: record.transaction_id, value: frameWithSchemaId(schemaId, featureType.toBuffer(record)) })) });

    // The move arrives while the scorer is still busy with blue's burst.
    await deployments.publish(MODEL, { featuresTopic: green, featuresHandoff: { previousTopic: blue, overlapFrom }, updatedBy: 'flink-deploy', reason: 'blue/green feature job upgrade' });

    await waitForGroupCaughtUp(admin, groupId, green);
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    expect(logs.some((line) => line.includes(`draining ${blue} before moving:`))).toBe(true);
  });
});
