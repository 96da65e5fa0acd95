/**
 * The offset range reader against the real broker: snapshots stop at the last stable offset,
 * reads return exactly [from, to) per partition, aborted transactions and markers inside a range
 * do not make a read wait, and undecodable values come back with their offsets.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { UndecodableError, type MessageSource } from '../../src/streaming/errors.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import {
  createOffsetRangeReader,
  OffsetRangeUnavailableError,
  type OffsetRangeReader,
  type PartitionRange,
} from '../../src/streaming/offset-range-reader.js';
import { createTopic, uniqueName } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';

/** Values are text; `bad…` stands for bytes that do not decode. */
async function decodeText(value: Buffer, source: MessageSource): Promise<string> {
  const text = value.toString();
  if (text.startsWith('bad')) throw new UndecodableError(`"${text}" is not a record`, source);
  return text;
}

const range = (topic: string, partition: number, fromOffset: number, toOffset: number): PartitionRange => ({
  topic,
  partition,
  fromOffset: String(fromOffset),
  toOffset: String(toOffset),
});

describe('offset range reader (real Kafka)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let reader: OffsetRangeReader;
  const producers: Producer[] = [];

  beforeAll(async () => {
    kafka = createKafka(loadConfig(), { clientIdSuffix: 'offset-range-test' });
    admin = kafka.admin();
    await admin.connect();
    reader = createOffsetRangeReader(kafka, { groupIdPrefix: 'test-range-read' });
  });

  afterAll(async () => {
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await admin.disconnect();
  });

  const producer = async (options: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> => {
    const created = kafka.producer(options);
    producers.push(created);
    await created.connect();
    return created;
  };
  const transactional = (): Promise<Producer> => producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
  const send = async (plain: Producer, topic: string, partition: number, values: readonly string[]): Promise<void> => {
    await plain.send({ topic, messages: values.map((value) => ({ partition, value })) });
  };

  /**
   * The broker writes a transaction's marker after commit or abort returns, and the snapshot
   * (the last stable offset) moves past it only then: wait for the offset the marker implies.
   */
  const stableOffsetReaches = (topic: string, offset: string): Promise<string> =>
    waitFor(`the stable offset of ${topic} to reach ${offset}`, async () => {
      const [partition] = await reader.snapshotEndOffsets(topic);
      return partition?.endOffset === offset ? partition.endOffset : undefined;
    });

  it('reads exactly the requested offsets of each partition and skips empty ranges', async () => {
    const topic = uniqueName('ranges');
    await createTopic(admin, topic, 3);
    const plain = await producer();
    for (const partition of [0, 1, 2]) await send(plain, topic, partition, Array.from({ length: 10 }, (_, index) => `p${partition}-${index}`));

    const snapshot = await reader.snapshotEndOffsets(topic);
    expect(snapshot).toEqual([0, 1, 2].map((partition) => ({ topic, partition, startOffset: '0', endOffset: '10' })));

    const result = await reader.readRange([range(topic, 0, 2, 7), range(topic, 1, 0, 10), range(topic, 2, 5, 5)], decodeText, { timeoutMs: 30_000 });
    expect(result.undecodable).toEqual([]);
    expect(result.records.map((record) => record.value)).toEqual([
      ...['p0-2', 'p0-3', 'p0-4', 'p0-5', 'p0-6'],
      ...Array.from({ length: 10 }, (_, index) => `p1-${index}`),
    ]);
    expect(result.records[0]?.source).toEqual({ topic, partition: 0, offset: '2' });
  });

  it('reads a range larger than one fetch (kafkajs fetches at most 1 MiB of a partition at a time)', async () => {
    const topic = uniqueName('range-large');
    await createTopic(admin, topic, 1);
    const plain = await producer();
    const values = Array.from({ length: 3_000 }, (_, index) => `${index}:${'x'.repeat(1_000)}`);
    for (let start = 0; start < values.length; start += 500) await send(plain, topic, 0, values.slice(start, start + 500));

    const read = await reader.readRange([range(topic, 0, 0, values.length)], decodeText, { timeoutMs: 20_000 });
    expect(read.records.map((record) => record.value)).toEqual(values);
  });

  it('finishes a range that holds or ends in aborted transactions and markers, returning only committed records', async () => {
    const topic = uniqueName('aborted');
    await createTopic(admin, topic, 1);
    const plain = await producer();
    const txn = await transactional();
    await send(plain, topic, 0, ['a0', 'a1', 'a2']); // offsets 0-2
    const aborted = await txn.transaction();
    await aborted.send({ topic, messages: [{ partition: 0, value: 'x3' }, { partition: 0, value: 'x4' }] }); // 3-4
    await aborted.abort(); // marker 5
    const afterAbort = await stableOffsetReaches(topic, '6');
    const committed = await txn.transaction();
    await committed.send({ topic, messages: [{ partition: 0, value: 'c6' }, { partition: 0, value: 'c7' }] }); // 6-7
    await committed.commit(); // marker 8
    const abortedAgain = await txn.transaction();
    await abortedAgain.send({ topic, messages: [{ partition: 0, value: 'x9' }] }); // 9
    await abortedAgain.abort(); // marker 10
    const end = await stableOffsetReaches(topic, '11');

    expect(afterAbort).toBe('6');
    expect(end).toBe('11');
    // Ends right after an abort marker: no record sits at offsets 3-5.
    const upToAbort = await reader.readRange([range(topic, 0, 0, 6)], decodeText, { timeoutMs: 20_000 });
    expect(upToAbort.records.map((record) => record.value)).toEqual(['a0', 'a1', 'a2']);
    // Starts inside the aborted transaction and ends after another one.
    const all = await reader.readRange([range(topic, 0, 3, 11)], decodeText, { timeoutMs: 20_000 });
    expect(all.records.map((record) => [record.source.offset, record.value])).toEqual([
      ['6', 'c6'],
      ['7', 'c7'],
    ]);
    expect(all.undecodable).toEqual([]);
  });

  it('snapshots the last stable offset while a transaction is open, and refuses to read beyond it', async () => {
    const topic = uniqueName('open-txn');
    await createTopic(admin, topic, 1);
    const plain = await producer();
    const txn = await transactional();
    await send(plain, topic, 0, ['s0', 's1']);
    const open = await txn.transaction();
    await open.send({ topic, messages: [{ partition: 0, value: 'pending' }] }); // offset 2
    await send(plain, topic, 0, ['s3']); // offset 3, after the open transaction's first record

    const [whileOpen] = await reader.snapshotEndOffsets(topic);
    expect(whileOpen?.endOffset).toBe('2');
    const beyond = reader.readRange([range(topic, 0, 0, 4)], decodeText, { timeoutMs: 10_000 });
    await expect(beyond).rejects.toBeInstanceOf(OffsetRangeUnavailableError);
    await expect(beyond).rejects.toThrow(/the committed data ends at 2/);

    await open.commit();
    expect(await stableOffsetReaches(topic, '5')).toBe('5');
    const read = await reader.readRange([range(topic, 0, 0, 5)], decodeText, { timeoutMs: 20_000 });
    expect(read.records.map((record) => record.value)).toEqual(['s0', 's1', 'pending', 's3']);
  });

  it('returns undecodable and value-less records separately with their offsets', async () => {
    const topic = uniqueName('undecodable');
    await createTopic(admin, topic, 1);
    const plain = await producer();
    await plain.send({ topic, messages: [{ partition: 0, value: 'ok0' }, { partition: 0, value: 'bad1' }, { partition: 0, value: null }, { partition: 0, value: 'ok3' }] });

    const result = await reader.readRange([range(topic, 0, 0, 4)], decodeText, { timeoutMs: 20_000 });
    expect(result.records.map((record) => record.value)).toEqual(['ok0', 'ok3']);
    expect(result.undecodable).toEqual([
      { topic, partition: 0, offset: '1', code: 'UNDECODABLE', reason: `"bad1" is not a record (topic ${topic}, partition 0, offset 1)` },
      { topic, partition: 0, offset: '2', code: 'NULL_VALUE', reason: 'the record has no value (a tombstone)' },
    ]);
  });

  it('refuses a range whose start was deleted by retention instead of reading other records', async () => {
    const topic = uniqueName('retention');
    await createTopic(admin, topic, 1);
    const plain = await producer();
    await send(plain, topic, 0, ['r0', 'r1', 'r2', 'r3']);
    // kafkajs' deleteTopicRecords finds the leader only among topics whose metadata this client has loaded.
    await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] });

    const [offsets] = await reader.snapshotEndOffsets(topic);
    expect(offsets).toEqual({ topic, partition: 0, startOffset: '2', endOffset: '4' });
    await expect(reader.readRange([range(topic, 0, 0, 4)], decodeText, { timeoutMs: 10_000 })).rejects.toThrow(
      new OffsetRangeUnavailableError(range(topic, 0, 0, 4), 'offsets below 2 were deleted by retention'),
    );
  });
});
