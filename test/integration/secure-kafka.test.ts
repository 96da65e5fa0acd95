/**
 * Secure mode on a real broker: the stack's kafka-secure (SASL_SSL, SCRAM-SHA-512, StandardAuthorizer).
 * Each role connects with its own credentials and may do exactly what its ACLs say: the simulator
 * writes transactions but is refused scores (with a message naming it, the operation and the
 * topic), a wrong password is a one-line authentication error, and the scorer runs an
 * exactly-once scoring worker end to end. No password reaches a log.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it, onTestFailed } from 'vitest';
import { recordPipelineAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { createPipelineStore } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { SECURE_KAFKA_PRINCIPALS } from '../../src/stack/secure-kafka-acls.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/streaming/errors.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { validTransaction } from '../fixtures/valid-records.js';
import {
  featureRecords,
  readScores,
  registerModelVersions,
  scoreAccounting,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { FRAUD_PIPELINE_FILE } from '../helpers/fraud-pipeline.js';
import { runCli, useSecureBroker } from '../helpers/secure-kafka.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const MODEL = 'fraud';

describe('secure Kafka (SASL_SSL + SCRAM-SHA-512 + ACLs, real broker)', () => {
  const broker = useSecureBroker('secure');
  const { base, ctx, files, roleConfig, kafkaOf, cliEnvironment } = broker;
  /** Everything Tributary printed in this test, checked for passwords at the end. */
  const captured: string[] = [];

  it('lets the simulator produce transactions over SASL_SSL', async () => {
    const simulator = await roleConfig('simulator');
    const producer = createAvroProducer({ kafka: kafkaOf(simulator, 'simulator'), registry: createSchemaRegistryClient(simulator.schemaRegistry), config: simulator });
    await producer.connect();
    try {
      const records = Array.from({ length: 5 }, (_, i) => ({ key: `card-${i}`, value: { ...validTransaction, transaction_id: `secure-${i}` } }));
      const metadata = await producer.send('transactions', records);
      expect(metadata.length).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
    }
    const offsets = await broker.admin.fetchTopicOffsets(fraudTopic(base, 'transactions'));
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(5);
  });

  it('refuses the simulator reading or writing scores, naming the principal, the operation and the topic', async () => {
    const simulator = await roleConfig('simulator');
    const kafka = kafkaOf(simulator, 'simulator');
    const scores = topicName(base, 'scores');

    const readRefusal = await createOffsetRangeReader(kafka).snapshotEndOffsets(scores).catch((error: unknown) => error);
    expect(readRefusal).toBeInstanceOf(KafkaAuthorizationError);
    expect((readRefusal as Error).message).toBe(
      `Kafka refused principal User:simulator permission to read topic ${scores} (TOPIC_AUTHORIZATION_FAILED): no ACL allows it; ` +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
    );

    // Writing is refused too (the broker enforces it whatever the client).
    const raw = kafka.producer();
    await raw.connect();
    try {
      const writeRefusal = await raw.send({ topic: scores, messages: [{ value: 'not a score' }] }).catch((error: unknown) => error);
      expect((writeRefusal as { cause?: { type?: string } }).cause?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await raw.disconnect();
    }

    // The same refusal through the CLI: one line, exit 1, no stack trace.
    const cli = runCli(['topics', 'list'], cliEnvironment('simulator'));
    captured.push(cli.output);
    expect(cli.status).toBe(1);
    expect(cli.output.trim().split('\n')).toHaveLength(1);
    expect(cli.output.trim()).toBe(
      `error: Kafka refused principal User:simulator permission to describe topic ${base.topics.prefix}* (TOPIC_AUTHORIZATION_FAILED): no ACL allows it; ` +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
    );
  });

  it('refuses the simulator reading the model registry, through the CLI, in one line', () => {
    const events = topicName(base, 'model-registry-events');
    const cli = runCli(['models', 'list'], cliEnvironment('simulator'));
    captured.push(cli.output);
    expect(cli.status).toBe(1);
    expect(cli.output.trim()).toBe(
      `error: starting to read ${events} failed: Kafka refused principal User:simulator permission to read topic ${events} (TOPIC_AUTHORIZATION_FAILED): no ACL allows it; ` +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
    );
  });

  it('reports a wrong password as one clear authentication error', async () => {
    const simulator = await roleConfig('simulator');
    const wrong = `wrong-${randomUUID()}`;
    const config = { ...simulator, kafka: { ...simulator.kafka, sasl: { mechanism: 'scram-sha-512' as const, username: 'simulator', password: wrong } } };
    const producer = createAvroProducer({ kafka: kafkaOf(config, 'wrong-password'), registry: createSchemaRegistryClient(config.schemaRegistry), config });
    const error = await producer.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect((error as Error).message).toBe(
      `Kafka at ${files.bootstrap} rejected the SCRAM-SHA-512 credentials of user simulator (invalid user name or password); ` +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
    );
    expect((error as Error).message).not.toContain(wrong);

    const env: NodeJS.ProcessEnv = { ...cliEnvironment('simulator'), TRIBUTARY_KAFKA_SASL_PASSWORD: wrong };
    delete env.TRIBUTARY_KAFKA_SASL_PASSWORD_FILE;
    const cli = runCli(['topics', 'list'], env);
    captured.push(cli.output);
    expect(cli.status).toBe(1);
    expect(cli.output.trim()).toMatch(/^error: Kafka at 127\.0\.0\.1:9094 rejected the SCRAM-SHA-512 credentials of user simulator/);
    expect(cli.output.trim().split('\n')).toHaveLength(1);
    expect(cli.output).not.toContain(wrong);
  });

  it('lets the scorer read the applied pipelines, as `tributary serve` does to find its model\'s topics', async () => {
    // The admin, as `pipeline apply` on the secure stack: its principals cannot create the store's topic.
    await recordPipelineAs(broker.adminConfig, FRAUD_PIPELINE_FILE, MODEL);
    const store = await createPipelineStore(await roleConfig('scorer'));
    try {
      expect((await store.current(MODEL))?.definition.features.topic).toBe('features');
    } finally {
      await store.close();
    }
  });

  it('runs an exactly-once scoring worker as the scorer: features in, one score each out', async () => {
    const [trainer, scorerConfig, flink] = await Promise.all([roleConfig('trainer'), roleConfig('scorer'), roleConfig('flink')]);
    let trainerRegistry: KafkaModelRegistry | undefined;
    let trainerDeployments: DeploymentLog | undefined;
    let scorerRegistry: KafkaModelRegistry | undefined;
    let scorerDeployments: DeploymentLog | undefined;
    let scorer: InProcessScorer | undefined;
    try {
      trainerRegistry = await createModelRegistry(trainer);
      trainerDeployments = await openDeploymentLog(trainer);
      const [v1] = await registerModelVersions(trainerRegistry, MODEL, 1);
      await trainerDeployments.publish(MODEL, { champion: v1!, updatedBy: 'secure-kafka-test', reason: 'first champion' });

      scorerRegistry = await createModelRegistry(scorerConfig);
      scorerDeployments = await openDeploymentLog(scorerConfig);
      scorer = await startInProcessScorer(scorerConfig, { registry: scorerRegistry, deployments: scorerDeployments }, { model: MODEL, batchSize: 25, delivery: 'exactly-once' });
      const logs = scorer.logs;
      onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));

      const features = featureRecords('secure', 0, 60);
      const producer = createAvroProducer({ kafka: kafkaOf(flink, 'flink'), registry: createSchemaRegistryClient(flink.schemaRegistry), config: flink });
      await producer.connect();
      try {
        await producer.send('features', features.map((value) => ({ key: value.transaction_id, value })));
      } finally {
        await producer.disconnect();
      }

      await waitForGroupCaughtUp(broker.admin, defaultScorerGroupId(base, MODEL), fraudTopic(base, 'features'));
      const scores = await readScores(kafkaOf(broker.adminConfig, 'audit'), broker.adminConfig);
      expect(scoreAccounting(scores, features.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
      captured.push(...logs);
    } finally {
      await scorer?.stop();
      await scorerDeployments?.close();
      await scorerRegistry?.close();
      await trainerDeployments?.close();
      await trainerRegistry?.close();
    }
  }, 180_000);

  it('never writes a password to the broker log or to what Tributary printed', async () => {
    const passwords = await Promise.all(SECURE_KAFKA_PRINCIPALS.map(async (principal) => (await readFile(files.passwordFile(principal), 'utf8')).trim()));
    const brokerLog = await readFile(ctx.layout.logFile('kafka-secure'), 'utf8');
    expect(brokerLog).toContain('SASL_SSL');
    expect(captured.length).toBeGreaterThan(0);
    for (const password of passwords) {
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(brokerLog).not.toContain(password);
      for (const output of captured) expect(output).not.toContain(password);
    }
  });
});
