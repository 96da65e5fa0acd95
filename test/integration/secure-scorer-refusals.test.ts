/**
 * The scoring worker refused by the real secure broker (the stack's kafka-secure: SASL_SSL,
 * SCRAM-SHA-512, ACLs). Whatever it is refused — its consumer group, its transactional id, its
 * output topic, its login — it stops at once with one line naming the principal, the operation,
 * the resource and the code, never loops, and writes nothing; `tributary serve` prints that line
 * and exits 1.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import type { DeliveryMode } from '../../src/serving/scorer-output.js';
import type { SecureKafkaPrincipal } from '../../src/stack/secure-kafka-acls.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/streaming/errors.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { featureRecords, readScores, registerModelVersions, startInProcessScorer, type InProcessScorer } from '../helpers/scoring.js';
import { runCli, useSecureBroker } from '../helpers/secure-kafka.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const MODEL = 'fraud';
const REMEDY = 'no ACL allows it; use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)';
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the scorer refused by the secure broker (real kafka-secure)', () => {
  const broker = useSecureBroker('refusals');
  const { base, files, roleConfig, kafkaOf } = broker;
  const FEATURES = fraudTopic(base, 'features');
  const SCORES = topicName(base, 'scores');
  const closers: (() => Promise<void>)[] = [];

  /** An in-process scorer whose registry, deployments and Kafka clients all authenticate as `principal`. */
  async function scorerAs(principal: SecureKafkaPrincipal, options: { groupId: string; delivery: DeliveryMode }): Promise<InProcessScorer> {
    const config = await roleConfig(principal);
    const registry: KafkaModelRegistry = await createModelRegistry(config);
    closers.push(() => registry.close());
    const deployments: DeploymentLog = await openDeploymentLog(config);
    closers.push(() => deployments.close());
    const scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: 20, name: principal, ...options });
    closers.push(() => scorer.stop());
    onTestFailed(() => console.error(`scorer log:\n${scorer.logs.join('\n')}`));
    return scorer;
  }

  /** The worker stopped on the first refusal (after `crashes` consumer crashes: the group's refusal is one), never retried, and said it stopped. */
  function expectStoppedWithoutLooping(scorer: InProcessScorer, crashes: number): void {
    const count = (pattern: RegExp): number => scorer.logs.filter((line) => pattern.test(line)).length;
    expect(count(/ crashed: /)).toBe(crashes);
    expect(count(/ failed \(attempt |trying again/)).toBe(0);
    expect(count(/the broker refused scorer of fraud/)).toBe(1);
    expect(scorer.logs.at(-1)).toMatch(/ scorer of fraud stopped$/);
  }

  /** The group committed no offset of any features partition. */
  async function expectNothingCommitted(groupId: string): Promise<void> {
    const [committed] = await broker.admin.fetchOffsets({ groupId, topics: [FEATURES] });
    const partitions = (await broker.admin.fetchTopicOffsets(FEATURES)).length;
    expect(committed?.partitions.map((partition) => partition.offset)).toEqual(Array.from({ length: partitions }, () => '-1'));
  }

  beforeAll(async () => {
    // A champion published by the trainer, and features written by the feature job's principal.
    const trainer = await roleConfig('trainer');
    const registry = await createModelRegistry(trainer);
    const deployments = await openDeploymentLog(trainer);
    try {
      const [v1] = await registerModelVersions(registry, MODEL, 1);
      await deployments.publish(MODEL, { champion: v1!, updatedBy: 'secure-scorer-refusals-test', reason: 'first champion' });
    } finally {
      await deployments.close();
      await registry.close();
    }
    const flink = await roleConfig('flink');
    const producer = createAvroProducer({ kafka: kafkaOf(flink, 'flink'), registry: createSchemaRegistryClient(flink.schemaRegistry), config: flink });
    await producer.connect();
    try {
      await producer.send('features', featureRecords('refusals', 0, 40).map((value) => ({ key: value.transaction_id, value })));
    } finally {
      await producer.disconnect();
    }
  }, 120_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }, 60_000);

  it('stops a scorer whose consumer group no ACL covers, naming the group, without looping or writing a score', async () => {
    const group = `${base.topics.prefix}other-group`;
    const scorer = await scorerAs('scorer', { groupId: group, delivery: 'exactly-once' });

    const refusal = await scorer.worker.failed;
    expect(refusal).toBeInstanceOf(KafkaAuthorizationError);
    expect(refusal.message).toBe(`Kafka refused principal User:scorer permission to use consumer group ${group} to read topic ${FEATURES} (GROUP_AUTHORIZATION_FAILED): ${REMEDY}`);
    expect(refusal).toMatchObject({ principal: 'scorer', code: 'GROUP_AUTHORIZATION_FAILED', retriable: false });
    expect(scorer.worker.readiness()).toEqual({ ready: false, reason: `stopped: ${refusal.message}` });
    expectStoppedWithoutLooping(scorer, 1);
    expect(await readScores(kafkaOf(broker.adminConfig, 'audit'), broker.adminConfig)).toEqual([]);
  });

  it('stops a principal that may read features but not use the scorer\'s transactional ids, naming the id', async () => {
    // The trainer may use any group of the prefix and read features, but its transactional ids are the registry's and the deployments'.
    const group = `${base.topics.prefix}scorer.as-trainer-exactly-once`;
    const scorer = await scorerAs('trainer', { groupId: group, delivery: 'exactly-once' });

    const refusal = await scorer.worker.failed;
    expect(refusal).toBeInstanceOf(KafkaAuthorizationError);
    const partition = new RegExp(
      `^Kafka refused principal User:trainer permission to use transactional id ${escape(`${group}.${FEATURES}.`)}(\\d+) to write to topic ${escape(SCORES)} ` +
        `\\(TRANSACTIONAL_ID_AUTHORIZATION_FAILED\\): ${escape(REMEDY)}$`,
    ).exec(refusal.message)?.[1];
    expect(partition, refusal.message).toBeDefined();
    expect(Number(partition)).toBeLessThan((await broker.admin.fetchTopicOffsets(FEATURES)).length);
    expectStoppedWithoutLooping(scorer, 0);
    await expectNothingCommitted(group);
    expect(await readScores(kafkaOf(broker.adminConfig, 'audit'), broker.adminConfig)).toEqual([]);
  });

  it('stops a principal that may read features but not write scores (at-least-once), naming the topic', async () => {
    const group = `${base.topics.prefix}scorer.as-trainer-at-least-once`;
    const scorer = await scorerAs('trainer', { groupId: group, delivery: 'at-least-once' });

    const refusal = await scorer.worker.failed;
    expect(refusal).toBeInstanceOf(KafkaAuthorizationError);
    expect(refusal.message).toBe(`Kafka refused principal User:trainer permission to write to topic ${SCORES} (TOPIC_AUTHORIZATION_FAILED): ${REMEDY}`);
    expectStoppedWithoutLooping(scorer, 0);
    await expectNothingCommitted(group);
    expect(await readScores(kafkaOf(broker.adminConfig, 'audit'), broker.adminConfig)).toEqual([]);
  });

  it('refuses to start a worker whose password the broker rejects, without the password in the message', async () => {
    const scorerConfig = await roleConfig('scorer');
    const wrong = `wrong-${randomUUID()}`;
    const config: TributaryConfig = { ...scorerConfig, kafka: { ...scorerConfig.kafka, sasl: { mechanism: 'scram-sha-512', username: 'scorer', password: wrong } } };
    // The registry and the routing table as the real scorer, so only the worker's own clients carry the wrong password.
    const registry = await createModelRegistry(scorerConfig);
    closers.push(() => registry.close());
    const deployments = await openDeploymentLog(scorerConfig);
    closers.push(() => deployments.close());

    const error = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, name: 'wrong-password' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect((error as Error).message).toBe(
      `Kafka at ${files.bootstrap} rejected the SCRAM-SHA-512 credentials of user scorer (invalid user name or password); ` +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
    );
    expect((error as Error).message).not.toContain(wrong);
  });

  it('tributary serve prints the refusal as its one error line and exits 1, without the password', async () => {
    const group = `${base.topics.prefix}cli-other-group`;
    const { status, output } = runCli(['serve', '--model', MODEL, '--group', group, '--metrics-port', '0'], broker.cliEnvironment('scorer'), 150_000);
    onTestFailed(() => console.error(`tributary serve printed:\n${output}`));
    const expected = `Kafka refused principal User:scorer permission to use consumer group ${group} to read topic ${FEATURES} (GROUP_AUTHORIZATION_FAILED): ${REMEDY}`;

    expect(status).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('error:'))).toEqual([`error: ${expected}`]);
    expect(lines.at(-1)).toBe(`error: ${expected}`);
    // Said once, and nothing else of the failure: no kafkajs log, no stack trace, no retry.
    expect(output.split(expected)).toHaveLength(2);
    expect(output).not.toContain('"logger":"kafkajs"');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('trying again');
    const password = (await readFile(files.passwordFile('scorer'), 'utf8')).trim();
    expect(output).not.toContain(password);
  }, 180_000);
});
