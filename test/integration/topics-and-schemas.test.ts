import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliEnvironment } from '../../src/cli/cli-environment.js';
import { schemasCommand } from '../../src/cli/schemas-command.js';
import { topicsCommand } from '../../src/cli/topics-command.js';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createAvroProducer, createTransactionalAvroProducer, type AvroProducer, type TransactionalAvroProducer } from '../../src/streaming/avro-producer.js';
import {
  NotAvroWireFormatError,
  RecordRejectedError,
  SchemaFileError,
  SchemaRegistrationRefusedError,
  SchemaRegistryUnreachableError,
} from '../../src/streaming/errors.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { checkSchema, registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { SCHEMA_DIRECTORY, topicCatalogue, topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { FRAUD_SCHEMA_DIRECTORY, prepareFraudTopics } from '../helpers/fraud-topics.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';
import { validTransaction } from '../fixtures/valid-records.js';

const DAY_MS = 86_400_000;
const base = loadConfig();
/** Every topic and subject of this run starts with its own prefix, so runs never see each other's data. */
const withPrefix = (prefix: string): TributaryConfig => ({ ...base, topics: { prefix } });
const config = withPrefix(`test-${randomUUID().slice(0, 8)}.`);
/** A topic of this run's prefix: the catalogue's, or the fraud example's once its definition's topics exist. */
const topic = (name: string): string => `${config.topics.prefix}${name}`;
const subject = (name: string): string => valueSubject(topic(name));

const transactionSchema = loadSchemaFile(join(FRAUD_SCHEMA_DIRECTORY, 'transaction.avsc'));
const deadLetterSchema = loadSchemaFile(join(SCHEMA_DIRECTORY, 'dead-letter.avsc'));
const deadLetterFields = (JSON.parse(deadLetterSchema.text) as { fields: { name: string; type: unknown }[] }).fields;
const transactionFields = (JSON.parse(transactionSchema.text) as { fields: { name: string; type: unknown }[] }).fields;

const transaction = validTransaction;
const label = { transaction_id: 't-1', is_fraud: true, source: 'CHARGEBACK', label_time: 1_700_000_600_000 };

describe('topic catalogue and schemas on the real Kafka and registry', () => {
  let kafka: Kafka;
  let admin: Admin;
  let registry: SchemaRegistryClient;
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
  const consumers: CollectingConsumer[] = [];
  const producers: (AvroProducer | TransactionalAvroProducer)[] = [];

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'topics-test' });
    admin = kafka.admin();
    await admin.connect();
    registry = createSchemaRegistryClient(config.schemaRegistry);
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.consumer.disconnect()));
    await Promise.all(producers.map((p) => p.disconnect()));
    // The run's topics hold a 5 MiB artifact among others; its subjects stay, as registry history.
    const ours = (await admin.listTopics()).filter((name) => name.startsWith(config.topics.prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Writes a variant of a schema with the given fields to a scratch file. */
  const variant = (schema: { text: string }, name: string, fields: readonly object[]): string => {
    const file = join(scratch, name);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(schema.text), fields }));
    return file;
  };
  const transactionVariant = (name: string, fields: readonly object[]): string => variant(transactionSchema, name, fields);
  const endOffsetTotal = async (name: string): Promise<number> => (await admin.fetchTopicOffsets(topic(name))).reduce((sum, partition) => sum + Number(partition.high), 0);
  const producer = async (): Promise<AvroProducer> => {
    const created = createAvroProducer({ kafka, registry, config });
    producers.push(created);
    await created.connect();
    return created;
  };
  const reader = async (name: string): Promise<CollectingConsumer> => {
    const created = await collectingConsumer(kafka, topic(name));
    consumers.push(created);
    return created;
  };

  describe('topics', () => {
    it("creates the platform's five topics as declared, and a second run creates none", async () => {
      const catalogue = topicCatalogue(config);
      const first = await ensureTopics(admin, catalogue);
      expect(first.map((report) => [report.topic.name, report.state])).toEqual(catalogue.map((declared) => [declared.name, 'created']));

      const metadata = await admin.fetchTopicMetadata({ topics: catalogue.map((declared) => declared.name) });
      expect(Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]))).toEqual(Object.fromEntries(catalogue.map((declared) => [declared.name, declared.partitions])));
      const described = await admin.describeConfigs({
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic('models'), configNames: ['cleanup.policy', 'max.message.bytes'] }],
        includeSynonyms: false,
      });
      expect(described.resources[0]?.configEntries.map((entry) => [entry.configName, entry.configValue]).sort()).toEqual([
        ['cleanup.policy', 'compact'],
        ['max.message.bytes', '16777216'],
      ]);

      const second = await ensureTopics(admin, catalogue);
      expect(second.map((report) => report.state)).toEqual(Array(5).fill('ok'));
    });

    it('takes a model artifact larger than the broker default of 1 MiB on the models topic only', async () => {
      const plain = kafka.producer({ retry: { retries: 1 } });
      await plain.connect();
      try {
        const artifact = Buffer.alloc(5 * 1024 * 1024, 7);
        await plain.send({ topic: topic('models'), acks: -1, messages: [{ key: 'fraud:v1', value: artifact }] });
        expect(await endOffsetTotal('models')).toBe(1);
        await expect(plain.send({ topic: topic('dlq'), acks: -1, messages: [{ key: 'big', value: artifact }] })).rejects.toThrow(/larger than the max message size/);
      } finally {
        await plain.disconnect();
      }
    });

    it('reports topics altered out of band as drift, with declared and actual values, and leaves them as they are', async () => {
      await admin.createPartitions({ topicPartitions: [{ topic: topic('scores'), count: 5 }] });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic('dlq'), configEntries: [{ name: 'retention.ms', value: String(DAY_MS) }] }],
      });
      await waitFor('the scores topic to show 5 partitions', async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic('scores')] });
        return topics[0]?.partitions.length === 5 ? true : undefined;
      });

      const reports = await ensureTopics(admin, topicCatalogue(config));
      expect(reports.filter((report) => report.state !== 'ok').map(({ topic: t, state, differences }) => ({ topic: t.name, state, differences }))).toEqual([
        { topic: topic('scores'), state: 'drift', differences: [{ setting: 'partitions', declared: '3', actual: '5' }] },
        { topic: topic('dlq'), state: 'drift', differences: [{ setting: 'retention.ms', declared: String(30 * DAY_MS), actual: String(DAY_MS) }] },
      ]);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic('scores')] });
      expect(topics[0]?.partitions).toHaveLength(5);
    });

    it('prints the drift through `topics ensure` as a table and fails the command', async () => {
      const cli = capturingCli(config);
      await topicsCommand(cli).exitOverride().parseAsync(['ensure'], { from: 'user' });
      const lines = cli.printed.join('\n').split('\n');
      expect(lines[0]).toMatch(/^TOPIC\s+STATE\s+SETTING\s+DECLARED\s+ACTUAL$/);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${escape(topic('scores'))}\\s+drift\\s+partitions\\s+3\\s+5$`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${escape(topic('models'))}\\s+ok$`)));
      expect(cli.failures).toEqual([`2 topics differ from the catalogue (${topic('scores')}, ${topic('dlq')}); nothing was changed: alter them deliberately, or change the catalogue`]);
    });
  });

  describe('schemas', () => {
    it('registers every catalogue schema under <topic>-value with BACKWARD, and a second run changes nothing', async () => {
      const first = await registerSchemas(registry, config);
      expect(first.registered.map((entry) => [entry.subject, entry.outcome, entry.version])).toEqual(
        ['scores', 'models', 'model-registry-events', 'deployments', 'dlq'].map((logical) => [subject(logical), 'new-subject', 1]),
      );
      for (const entry of first.registered) expect(await registry.compatibilityLevel(entry.subject)).toBe('BACKWARD');

      const second = await registerSchemas(registry, config);
      expect(second.registered.map((entry) => [entry.outcome, entry.schemaId, entry.version])).toEqual(first.registered.map((entry) => ['unchanged', entry.schemaId, 1]));
    });

    it('accepts a field added with a default, and an old reader still reads records of both versions', async () => {
      // A pipeline's topics and subjects, as `pipeline apply` creates them: the fraud example's.
      await prepareFraudTopics(config, admin);
      const oldWriter = await producer();
      await oldWriter.send('transactions', [{ key: 'card-1', value: transaction }]);

      const v2 = transactionVariant('transaction-v2.avsc', [...transactionFields, { name: 'merchant_name', type: 'string', default: '' }]);
      const check = await checkSchema(registry, v2, subject('transactions'));
      expect(check).toEqual({ verdict: 'compatible', subject: subject('transactions'), file: v2, latestVersion: 1, compatibilityLevel: 'BACKWARD', reasons: [] });
      const v2Id = await registry.register(subject('transactions'), loadSchemaFile(v2).text);

      const newWriter = await producer();
      await newWriter.send('transactions', [{ key: 'card-1', value: { ...transaction, transaction_id: 't-2', merchant_name: 'Corner shop' } }]);

      const consumed = await reader('transactions');
      await waitFor('both transactions', () => (consumed.received.length >= 2 ? true : undefined));
      const values = consumed.received.map((m) => m.message.value as Buffer).sort((a, b) => a.readInt32BE(1) - b.readInt32BE(1));
      const oldReader = createAvroDecoder(registry, { readerSchema: transactionSchema.type });
      const decoded = await Promise.all(values.map((value) => oldReader.decode(value)));
      expect(decoded.map((d) => d.value)).toEqual([transaction, { ...transaction, transaction_id: 't-2' }]);
      expect(decoded[1]?.schemaId).toBe(v2Id);
      const newest = await createAvroDecoder(registry).decode(values[1] as Buffer);
      expect(newest.value).toEqual({ ...transaction, transaction_id: 't-2', merchant_name: 'Corner shop' });
    });

    it('rejects a changed type and a field added without a default with the registry\'s reason, and registers nothing', async () => {
      const retyped = transactionVariant('transaction-amount-string.avsc', transactionFields.map((field) => (field.name === 'amount' ? { ...field, type: 'string' } : field)));
      expect(await checkSchema(registry, retyped, subject('transactions'))).toMatchObject({
        verdict: 'incompatible',
        latestVersion: 2,
        reasons: ['reader type: STRING not compatible with writer type: DOUBLE at /fields/5/type'],
      });

      const required = transactionVariant('transaction-required-field.avsc', [...transactionFields, { name: 'risk_score', type: 'double' }]);
      expect(await checkSchema(registry, required, subject('transactions'))).toMatchObject({ verdict: 'incompatible', reasons: ['risk_score at /fields/13'] });
      expect((await registry.latestSchema(subject('transactions')))?.version).toBe(2);
    });

    it('accepts a removed field under BACKWARD: the new reader skips what old writers wrote', async () => {
      const removed = transactionVariant('transaction-without-device.avsc', transactionFields.filter((field) => field.name !== 'device_id'));
      expect(await checkSchema(registry, removed, subject('transactions'))).toMatchObject({ verdict: 'compatible', reasons: [] });
    });

    it('reports a subject that does not exist yet as new', async () => {
      expect(await checkSchema(registry, join(FRAUD_SCHEMA_DIRECTORY, 'label.avsc'), `${topic('labels')}-missing-value`)).toEqual({
        verdict: 'new-subject',
        subject: `${topic('labels')}-missing-value`,
        file: join(FRAUD_SCHEMA_DIRECTORY, 'label.avsc'),
      });
    });

    it('prints an incompatible check through `schemas check`, finding the catalogue topic from the record name', async () => {
      const retyped = variant(deadLetterSchema, 'dead-letter-partition-string.avsc', deadLetterFields.map((field) => (field.name === 'source_partition' ? { ...field, type: 'string' } : field)));
      const cli = capturingCli(config);
      const run = schemasCommand(cli).exitOverride().parseAsync(['check', retyped], { from: 'user' });
      await expect(run).rejects.toThrow(
        `${retyped} is not BACKWARD compatible with version 1 of ${subject('dlq')}: reader type: STRING not compatible with writer type: INT at /fields/1/type`,
      );

      const compatible = variant(deadLetterSchema, 'dead-letter-same.avsc', deadLetterFields);
      await schemasCommand(cli).exitOverride().parseAsync(['check', compatible, '--topic', 'dlq'], { from: 'user' });
      expect(cli.printed).toEqual([`${compatible} is BACKWARD compatible with version 1 of ${subject('dlq')}`]);
    });

    it('registers nothing when one catalogue schema is incompatible, and names it with the reason', async () => {
      const other = withPrefix(`test-${randomUUID().slice(0, 8)}.`);
      const deadLetters = valueSubject(topicName(other, 'dlq'));
      // Every field of dead-letter.avsc, one of them with another type.
      const conflicting = { ...JSON.parse(deadLetterSchema.text), fields: deadLetterFields.map((field) => (field.name === 'source_offset' ? { ...field, type: 'string' } : field)) };
      await registry.setCompatibilityLevel(deadLetters, 'BACKWARD');
      await registry.register(deadLetters, JSON.stringify(conflicting));

      const refusal = await registerSchemas(registry, other).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(refusal).toBeInstanceOf(SchemaRegistrationRefusedError);
      const { incompatibilities, message } = refusal as SchemaRegistrationRefusedError;
      expect(message.split('\n')[0]).toBe('registered nothing: 1 of 5 schemas are incompatible with what is registered:');
      expect(message.split('\n')[1]).toMatch(`  ${join(SCHEMA_DIRECTORY, 'dead-letter.avsc')} is not BACKWARD compatible with version 1 of ${deadLetters}: `);
      expect(incompatibilities).toEqual([
        {
          subject: deadLetters,
          file: join(SCHEMA_DIRECTORY, 'dead-letter.avsc'),
          latestVersion: 1,
          reasons: ['reader type: LONG not compatible with writer type: STRING at /fields/2/type'],
        },
      ]);
      expect(await registry.latestSchema(valueSubject(topicName(other, 'scores')))).toBeUndefined();
      expect((await registry.latestSchema(deadLetters))?.version).toBe(1);
    });

    it('names the file and the reason when a schema file does not parse, before asking the registry', async () => {
      const broken = join(scratch, 'broken.avsc');
      writeFileSync(broken, '{"type": "record", "name": "Broken", "fields": [}');
      const unreachable = createSchemaRegistryClient({ url: 'http://127.0.0.1:1', auth: undefined });
      const attempt = checkSchema(unreachable, broken, subject('transactions'));
      await expect(attempt).rejects.toThrow(SchemaFileError);
      await expect(checkSchema(unreachable, broken, subject('transactions'))).rejects.toThrow(
        `schema file ${broken} is not valid JSON: Unexpected token '}', ..."fields": [}" is not valid JSON`,
      );
    });

    it('fails with one line naming the URL when the registry is unreachable', async () => {
      const unreachable = createSchemaRegistryClient({ url: 'http://127.0.0.1:1', auth: undefined }, { retryDelayMs: 10 });
      const error = await registerSchemas(unreachable, config).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(SchemaRegistryUnreachableError);
      expect((error as Error).message).toBe('schema registry at http://127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1 (3 attempts)');
    });
  });

  describe('producing and decoding', () => {
    it('refuses an invalid transaction naming the field path, and nothing reaches the topic', async () => {
      const writer = await producer();
      const before = await endOffsetTotal('transactions');
      const latest = await registry.latestSchema(subject('transactions'));
      const attempt = writer.send('transactions', [{ key: 'card-9', value: { ...transaction, amount: 'twelve', channel: 'ATM' } }]);
      await expect(attempt).rejects.toThrow(RecordRejectedError);
      await expect(writer.send('transactions', [{ key: 'card-9', value: { ...transaction, amount: 'twelve', channel: 'ATM' } }])).rejects.toThrow(
        `refusing to produce to ${topic('transactions')}: record 0 (key "card-9") does not match dev.tributary.events.Transaction ` +
          `(subject ${subject('transactions')}, schema id ${latest?.id}): amount: expected double, got "twelve"; channel: expected one of CARD_PRESENT, ONLINE, got "ATM"`,
      );
      expect(await endOffsetTotal('transactions')).toBe(before);

      await writer.send('transactions', [{ key: 'card-9', value: transaction }]);
      expect(await endOffsetTotal('transactions')).toBe(before + 1);
    });

    it('sends batches for several topics in one transaction, and none of them when one record is invalid', async () => {
      const transactional = createTransactionalAvroProducer({ kafka, registry, config }, { transactionalId: `test-${randomUUID()}` });
      producers.push(transactional);
      await transactional.connect();
      const labelsBefore = await endOffsetTotal('labels');
      const labelsReader = await reader('labels');

      const invalid = transactional.sendInTransaction([
        { topic: 'labels', records: [{ key: 't-1', value: label }] },
        { topic: 'transactions', records: [{ key: 'card-1', value: { ...transaction, event_time: 'yesterday' } }] },
      ]);
      await expect(invalid).rejects.toThrow(/event_time: expected long, got "yesterday"$/);
      expect(await endOffsetTotal('labels')).toBe(labelsBefore);

      await transactional.sendInTransaction([
        { topic: 'labels', records: [{ key: 't-1', value: label }] },
        { topic: 'transactions', records: [{ key: 'card-1', value: { ...transaction, transaction_id: 't-3' } }] },
      ]);
      await waitFor('the committed label', () => (labelsReader.received.length >= 1 ? true : undefined));
      const decoded = await createAvroDecoder(registry).decode(labelsReader.received[0]?.message.value as Buffer);
      expect(decoded.value).toEqual(label);
    });

    it('classifies a consumed value that is not Avro, with its topic, partition and offset', async () => {
      const plain = kafka.producer();
      await plain.connect();
      try {
        await plain.send({ topic: topic('dlq'), acks: -1, messages: [{ key: 'raw', value: 'not avro' }] });
      } finally {
        await plain.disconnect();
      }
      const consumed = await reader('dlq');
      await waitFor('the raw record', () => consumed.received[0]);
      const { topic: from, partition, message } = consumed.received[0] ?? expect.unreachable();
      const attempt = createAvroDecoder(registry).decode(message.value as Buffer, { topic: from, partition, offset: message.offset });
      await expect(attempt).rejects.toThrow(NotAvroWireFormatError);
      await expect(createAvroDecoder(registry).decode(message.value as Buffer, { topic: from, partition, offset: message.offset })).rejects.toThrow(
        `value starts with byte 0x6e, not the registry wire format's magic byte 0x00 (topic ${topic('dlq')}, partition ${partition}, offset ${message.offset})`,
      );
    });
  });
});

/** A CLI environment that keeps what commands print and report, with this run's configuration. */
function capturingCli(config: TributaryConfig): CliEnvironment & { printed: string[]; failures: string[] } {
  const printed: string[] = [];
  const failures: string[] = [];
  return {
    printed,
    failures,
    config: () => config,
    print: (text) => printed.push(text),
    fail: (message) => failures.push(message),
    setExitCode: () => undefined,
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
