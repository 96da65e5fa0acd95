/**
 * What `produceJsonLines` sends, and what it says it sent, against a fake Kafka that records every
 * send: a file is all or nothing; a stream is sent up to its first bad line; a failed send names the
 * lines that are out and those that may be. The real cluster is in test/integration/produce.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import avro, { type Schema } from 'avsc';
import type { Kafka, Message, ProducerRecord } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonInputInterruptedError, JsonInputRejectedError, KeyFieldError, SubjectNotRegisteredError, TopicNotFoundError } from '../../src/streaming/errors.js';
import { produceJsonLines, type JsonLinesInput, type JsonLinesProducerOptions } from '../../src/streaming/record-file-producer.js';
import type { RegisteredSchema } from '../../src/streaming/schema-registry-client.js';
import { WIRE_HEADER_BYTES } from '../../src/streaming/wire-format.js';

const TOPIC = 'test.unit.orders';
const SCHEMA_ID = 41;
const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

interface FakeKafka {
  readonly kafka: Kafka;
  readonly sends: ProducerRecord[];
  connected: boolean;
}

/** A cluster with TOPIC on three partitions (or none), whose producer records sends and fails the `failOnSend`-th. */
function fakeKafka(options: { readonly topicExists?: boolean; readonly failOnSend?: number } = {}): FakeKafka {
  const fake: FakeKafka = {
    sends: [],
    connected: false,
    kafka: {
      admin: () => ({
        connect: async () => {},
        disconnect: async () => {},
        listTopics: async () => (options.topicExists === false ? [] : [TOPIC]),
        fetchTopicMetadata: async () => ({
          topics: [{ name: TOPIC, partitions: [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] })) }],
        }),
      }),
      producer: () => ({
        connect: async () => {
          fake.connected = true;
        },
        disconnect: async () => {},
        send: async (record: ProducerRecord) => {
          if (fake.sends.length + 1 === options.failOnSend) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
          fake.sends.push(record);
          return [];
        },
      }),
    } as unknown as Kafka,
  };
  return fake;
}

const registry = (registered = true) => ({
  latestSchema: async (subject: string): Promise<RegisteredSchema | undefined> => (registered ? { subject, version: 1, id: SCHEMA_ID, schema: SCHEMA } : undefined),
});

const scratch = mkdtempSync(join(tmpdir(), 'tributary-produce-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fileOf(name: string, lines: readonly string[]): JsonLinesInput {
  const file = join(scratch, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file };
}

/** stdin as it arrives: each string is one chunk of the pipe. */
const streamOf = (...chunks: string[]): JsonLinesInput => ({ stream: Readable.from(chunks.map((chunk) => Buffer.from(chunk))), name: 'stdin' });

const order = (id: number, amount: unknown = id * 1.5): string => JSON.stringify({ order_id: `o-${id}`, amount });

async function produce(fake: FakeKafka, input: JsonLinesInput, extra: { keyField?: string; registered?: boolean; options?: JsonLinesProducerOptions } = {}) {
  return produceJsonLines(
    { kafka: fake.kafka, registry: registry(extra.registered), brokers: ['127.0.0.1:9092'] },
    { topic: TOPIC, input, keyField: extra.keyField, howToRegister: 'register it', howToCreate: 'create it' },
    extra.options,
  );
}

const sentMessages = (fake: FakeKafka): Message[] => fake.sends.flatMap((send) => send.messages);
const orderType = avro.Type.forSchema(JSON.parse(SCHEMA) as Schema);
const orderIds = (fake: FakeKafka): string[] =>
  sentMessages(fake).map((message) => (orderType.fromBuffer((message.value as Buffer).subarray(WIRE_HEADER_BYTES)) as { order_id: string }).order_id);

describe('produceJsonLines', () => {
  it('sends every record in the wire format with acks=-1 and counts them per partition', async () => {
    const fake = fakeKafka();
    const result = await produce(fake, fileOf('good.jsonl', [order(1), '', order(2), order(3)]), { keyField: 'order_id' });
    expect(result.records).toBe(3);
    expect([...result.partitions.values()].reduce((sum, count) => sum + count, 0)).toBe(3);
    expect(fake.sends.every((send) => send.acks === -1 && send.topic === TOPIC)).toBe(true);
    const messages = sentMessages(fake);
    expect(messages.map((message) => message.key)).toEqual(['o-1', 'o-2', 'o-3']);
    expect(orderIds(fake)).toEqual(['o-1', 'o-2', 'o-3']);
    // Magic byte 0, then the schema id big-endian.
    expect([...(messages[0]!.value as Buffer).subarray(0, WIRE_HEADER_BYTES)]).toEqual([0, 0, 0, 0, SCHEMA_ID]);
    for (const message of messages) expect(result.partitions.has(message.partition!)).toBe(true);
  });

  it('a file with a bad line sends nothing and lists every problem with its line, up to maxProblems', async () => {
    const fake = fakeKafka();
    const input = fileOf('bad.jsonl', [order(1), order(2, '12,50'), order(3), '{"order_id": ', order(5, 'x'), order(6, 'y')]);
    const error = await produce(fake, input, { options: { maxProblems: 3 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonInputRejectedError);
    const rejected = error as JsonInputRejectedError;
    expect(rejected.problems.map((problem) => problem.line)).toEqual([2, 4, 5]);
    expect(rejected.problems[0]!.problem).toBe('field "amount": expected double, got "12,50"');
    expect(rejected.problemCount).toBe(4);
    expect(rejected.badLineCount).toBe(4);
    expect(rejected.message).toBe(`nothing was sent to ${TOPIC}: 4 problems on 4 lines of ${(input as { file: string }).file}; fix them and run the command again`);
    expect(fake.connected).toBe(false);
    expect(fake.sends).toEqual([]);
  });

  it('a stream is sent up to its first bad line: the records before it go out, nothing from it on', async () => {
    const fake = fakeKafka();
    const error = await produce(fake, streamOf(`${order(1)}\n${order(2)}\n`, `${order(3)}\n\n${order(5, '12,50')}\n${order(6)}\n`, `${order(7)}\n`)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonInputRejectedError);
    const rejected = error as JsonInputRejectedError;
    expect(rejected.problems).toEqual([{ line: 5, problem: 'field "amount": expected double, got "12,50"' }]);
    expect(rejected.sent).toEqual({ input: 'stdin', topic: TOPIC, recordsSent: 3, lastLineSent: 3 });
    expect(orderIds(fake)).toEqual(['o-1', 'o-2', 'o-3']);
    expect(rejected.message).toContain('nothing from line 5 on was sent');
    expect(rejected.message).toContain('tail -n +5');
  });

  it('a failed send names the lines that were acknowledged and those that may be partly written', async () => {
    const fake = fakeKafka({ failOnSend: 2 });
    const error = await produce(fake, streamOf(`${order(1)}\n${order(2)}\n`, `${order(3)}\n${order(4)}\n`, `${order(5)}\n`)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonInputInterruptedError);
    const interrupted = error as JsonInputInterruptedError;
    expect(interrupted.sent).toEqual({ input: 'stdin', topic: TOPIC, recordsSent: 2, lastLineSent: 2 });
    expect(interrupted.failedLines).toEqual({ first: 3, last: 4 });
    expect(interrupted.message).toBe(
      `producing lines 3 to 4 of stdin to ${TOPIC} failed: Connection error: connect ECONNREFUSED 127.0.0.1:9092; 2 records up to line 2 were acknowledged, ` +
        `lines 3 to 4 may be partly written and nothing after line 4 was sent: check the end of ${TOPIC} before sending lines 3 to 4 again ` +
        '(sending them again may write some twice), then send the rest with `tail -n +5`',
    );
  });

  it('refuses before reading or connecting when no schema is registered, the key field cannot key, or the topic does not exist', async () => {
    const fake = fakeKafka({ topicExists: false });
    const input = fileOf('one.jsonl', [order(1)]);
    await expect(produce(fake, input, { registered: false })).rejects.toThrow(
      new SubjectNotRegisteredError(`${TOPIC}-value`, TOPIC, 'register it'),
    );
    await expect(produce(fake, input, { keyField: 'amount' })).rejects.toThrow(KeyFieldError);
    await expect(produce(fake, input)).rejects.toThrow(new TopicNotFoundError(TOPIC, ['127.0.0.1:9092'], 'create it'));
    expect(fake.connected).toBe(false);
  });
});
