import avro from 'avsc';
import type { Kafka, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createAvroProducer, encodeRecords, recordIssues, type WriterSchema } from '../../src/streaming/avro-producer.js';
import { RecordRejectedError, SubjectNotRegisteredError } from '../../src/streaming/errors.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import type { RegisteredSchema } from '../../src/streaming/schema-registry-client.js';
import { FRAUD_SCHEMA_DIRECTORY } from '../helpers/fraud-topics.js';
import { validTransaction } from '../fixtures/valid-records.js';

const transactionSchema = loadSchemaFile(`${FRAUD_SCHEMA_DIRECTORY}/transaction.avsc`);
const writer: WriterSchema = { topic: 'acme.transactions', subject: 'acme.transactions-value', schemaId: 42, type: transactionSchema.type };

const transaction = validTransaction;

describe('producer validation against the writer schema', () => {
  it('encodes a valid record in the wire format: magic byte, schema id, Avro bytes', () => {
    const [message] = encodeRecords(writer, [{ key: '4111', value: transaction }]);
    const bytes = message?.value as Buffer;
    expect(message?.key).toBe('4111');
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(42);
    expect(transactionSchema.type.fromBuffer(bytes.subarray(5))).toEqual(transaction);
  });

  it('names each offending field path, the value and what the schema expects', () => {
    const attempt = (): unknown => encodeRecords(writer, [{ key: '4111', value: { ...transaction, amount: '12.5', channel: 'ATM' } }]);
    expect(attempt).toThrow(RecordRejectedError);
    expect(attempt).toThrow(
      'refusing to produce to acme.transactions: record 0 (key "4111") does not match dev.tributary.events.Transaction ' +
        '(subject acme.transactions-value, schema id 42): amount: expected double, got "12.5"; channel: expected one of CARD_PRESENT, ONLINE, got "ATM"',
    );
  });

  it('names a missing field and a field the schema does not declare', () => {
    const withoutAmount: Record<string, unknown> = { ...transaction, merchant: 'Corner shop' };
    delete withoutAmount.amount;
    expect(recordIssues(transactionSchema.type, withoutAmount)).toEqual([
      { path: 'amount', value: 'no value (the field is missing)', expected: 'double' },
      { path: 'merchant', value: '"Corner shop"', expected: 'no such field (dev.tributary.events.Transaction does not declare it)' },
    ]);
  });

  it('names the first rejected record of a batch and counts the others', () => {
    const records = [
      { key: 'a', value: transaction },
      { key: 'b', value: { ...transaction, event_time: 1.5 } },
      { key: 'c', value: { ...transaction, latitude: null } },
    ];
    expect(() => encodeRecords(writer, records)).toThrow(
      'refusing to produce to acme.transactions: record 1 (key "b") does not match dev.tributary.events.Transaction ' +
        '(subject acme.transactions-value, schema id 42): event_time: expected long, got 1.5 (and 1 more rejected record)',
    );
  });

  it('describes unions, nested records, arrays and a value that is not a record at all', () => {
    const type = avro.Type.forSchema({
      type: 'record',
      name: 'Shipment',
      fields: [
        { name: 'weight', type: ['null', 'double'], default: null },
        { name: 'origin', type: { type: 'record', name: 'Place', fields: [{ name: 'latitude', type: 'double' }] } },
        { name: 'parcels', type: { type: 'array', items: 'int' } },
      ],
    });
    expect(recordIssues(type, { weight: 'heavy', origin: { latitude: 'north' }, parcels: [1, 'two'] })).toEqual([
      { path: 'weight', value: '"heavy"', expected: 'null or double' },
      { path: 'origin.latitude', value: '"north"', expected: 'double' },
      { path: 'parcels.1', value: '"two"', expected: 'int' },
    ]);
    expect(recordIssues(type, null)).toEqual([{ path: '', value: 'null', expected: 'record Shipment' }]);
  });
});

/** A Kafka whose producer records what it was asked to send, and a registry that counts lookups. */
function fakes(registered: RegisteredSchema | undefined) {
  const sent: ProducerRecord[] = [];
  const lookups: string[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (record: ProducerRecord) => {
        sent.push(record);
        return [];
      },
    }),
  } as unknown as Kafka;
  const registry = {
    latestSchema: async (subject: string) => {
      lookups.push(subject);
      return registered;
    },
  };
  return { kafka, registry, sent, lookups, config: { topics: { prefix: 'acme.' } } };
}

describe('Avro producer', () => {
  const registered: RegisteredSchema = { subject: 'acme.transactions-value', version: 1, id: 42, schema: transactionSchema.text };

  it('sends nothing when a record is rejected, and looks the schema up once', async () => {
    const { kafka, registry, sent, lookups, config } = fakes(registered);
    const producer = createAvroProducer({ kafka, registry, config });
    await expect(producer.send('transactions', [{ key: 'k', value: { ...transaction, amount: 'lots' } }])).rejects.toThrow(/amount: expected double, got "lots"$/);
    expect(sent).toEqual([]);

    await producer.send('transactions', [{ key: 'k', value: transaction }]);
    expect(sent.map((record) => [record.topic, record.acks, record.messages.length])).toEqual([['acme.transactions', -1, 1]]);
    expect(lookups).toEqual(['acme.transactions-value']);
  });

  it("refuses a subject with nothing registered, naming what registers it: `schemas register` for the platform's topics, a pipeline's apply for its own", async () => {
    const { kafka, registry, config } = fakes(undefined);
    const producer = createAvroProducer({ kafka, registry, config });
    await expect(producer.send('dlq', [{ key: 'k', value: {} }])).rejects.toThrow(SubjectNotRegisteredError);
    await expect(producer.send('dlq', [{ key: 'k', value: {} }])).rejects.toThrow(
      'no schema is registered under acme.dlq-value, so nothing can be produced to acme.dlq; run `tributary schemas register` first',
    );
    await expect(producer.send('labels', [{ key: 'k', value: {} }])).rejects.toThrow(
      'no schema is registered under acme.labels-value, so nothing can be produced to acme.labels; apply the pipeline that names the topic first (`tributary pipeline apply <file>`)',
    );
  });
});
