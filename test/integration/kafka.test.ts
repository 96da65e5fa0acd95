import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { collectingConsumer, createTopic, uniqueName, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';

describe('Kafka broker (real, KRaft single node)', () => {
  let kafka: Kafka;
  let admin: Admin;
  const consumers: CollectingConsumer[] = [];
  const producers: Producer[] = [];

  beforeAll(async () => {
    kafka = createKafka(loadConfig(), { clientIdSuffix: 'kafka-test' });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.consumer.disconnect()));
    await Promise.all(producers.map((p) => p.disconnect()));
    await admin.disconnect();
  });

  const consumerOf = async (topic: string, options: { readUncommitted?: boolean } = {}): Promise<CollectingConsumer> => {
    const consumer = await collectingConsumer(kafka, topic, options);
    consumers.push(consumer);
    return consumer;
  };
  const producer = async (options: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> => {
    const created = kafka.producer(options);
    producers.push(created);
    await created.connect();
    return created;
  };

  it('delivers produced records to a consumer group in order', async () => {
    const topic = uniqueName('plain');
    await createTopic(admin, topic);
    const plain = await producer();
    await plain.send({ topic, messages: ['one', 'two', 'three'].map((value) => ({ key: 'k', value })) });

    const reader = await consumerOf(topic);
    await waitFor('three records', () => (reader.received.length >= 3 ? true : undefined));
    expect(reader.values()).toEqual(['one', 'two', 'three']);
    expect(reader.received.map((m) => m.message.offset)).toEqual(['0', '1', '2']);
  });

  it('shows a transaction to read_committed readers only after commit, and never after abort', async () => {
    const topic = uniqueName('transactions');
    await createTopic(admin, topic);
    const plain = await producer();
    const transactional = await producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
    const committedReader = await consumerOf(topic);
    const uncommittedReader = await consumerOf(topic, { readUncommitted: true });

    await plain.send({ topic, messages: [{ value: 'before' }] });
    await waitFor('the committed reader to see the first record', () => (committedReader.values().includes('before') ? true : undefined));

    const open = await transactional.transaction();
    await open.send({ topic, messages: [{ value: 'pending-1' }, { value: 'pending-2' }] });
    await waitFor('the uncommitted reader to see the open transaction', () => (uncommittedReader.values().includes('pending-2') ? true : undefined));
    // Three completed fetches after the records are in the log: a read_committed reader
    // stops at the last stable offset, so it must still hold only the first record.
    let fetchesSince = 0;
    const stopCounting = committedReader.consumer.on(committedReader.consumer.events.FETCH, () => {
      fetchesSince += 1;
    });
    await waitFor('three fetches by the committed reader', () => (fetchesSince >= 3 ? true : undefined));
    stopCounting();
    expect(committedReader.values()).toEqual(['before']);

    await open.commit();
    await waitFor('the committed records', () => (committedReader.values().includes('pending-2') ? true : undefined));
    expect(committedReader.values()).toEqual(['before', 'pending-1', 'pending-2']);

    const aborted = await transactional.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();
    await plain.send({ topic, messages: [{ value: 'after' }] });
    // "after" lies beyond the aborted records, so once it arrives they were definitely skipped.
    await waitFor('the record after the aborted transaction', () => (committedReader.values().includes('after') ? true : undefined));
    expect(committedReader.values()).toEqual(['before', 'pending-1', 'pending-2', 'after']);
    expect(uncommittedReader.values()).toEqual(expect.arrayContaining(['aborted-1', 'aborted-2']));
  });

  it('commits consumed offsets inside a producer transaction (consume-transform-produce)', async () => {
    const input = uniqueName('ctp-in');
    const output = uniqueName('ctp-out');
    await createTopic(admin, input);
    await createTopic(admin, output);
    const plain = await producer();
    await plain.send({ topic: input, messages: [1, 2, 3, 4].map((n) => ({ value: String(n) })) });

    const groupId = uniqueName('ctp-group');
    const transactional = await producer({ transactionalId: uniqueName('ctp-txn'), idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let transformed = 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const transaction = await transactional.transaction();
        await transaction.send({ topic: output, messages: batch.messages.map((m) => ({ value: String(Number(m.value?.toString()) * 10) })) });
        const last = batch.messages[batch.messages.length - 1];
        if (!last) return transaction.abort();
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(Number(last.offset) + 1) }] }],
        });
        await transaction.commit();
        transformed += batch.messages.length;
      },
    });
    await waitFor('four transformed records', () => (transformed >= 4 ? true : undefined));
    await consumer.disconnect();

    const committed = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(committed[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '4' })]);
    const reader = await consumerOf(output);
    await waitFor('the transformed output', () => (reader.received.length >= 4 ? true : undefined));
    expect(reader.values()).toEqual(['10', '20', '30', '40']);
  });

  it('refuses to produce to a topic that does not exist (auto-creation is off)', async () => {
    const plain = await producer({ retry: { retries: 1 } });
    const missing = uniqueName('missing');
    await expect(plain.send({ topic: missing, messages: [{ value: 'x' }], acks: -1 })).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|not exist/i);
    const topics = await admin.listTopics();
    expect(topics).not.toContain(missing);
  });
});
