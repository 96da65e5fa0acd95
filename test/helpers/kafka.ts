import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { waitFor } from './wait-for.js';

/** A topic name no other test or run uses. */
export const uniqueName = (purpose: string): string => `test.${purpose}.${randomUUID().slice(0, 8)}`;

export async function createTopic(admin: Admin, topic: string, numPartitions = 1): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
}

/** A consumer that collects every message it receives, started from the earliest offset. */
export interface CollectingConsumer {
  readonly consumer: Consumer;
  readonly received: EachMessagePayload[];
  values(): string[];
}

export async function collectingConsumer(
  kafka: Kafka,
  topic: string,
  options: { readUncommitted?: boolean; groupId?: string } = {},
): Promise<CollectingConsumer> {
  const consumer = kafka.consumer({
    groupId: options.groupId ?? uniqueName('group'),
    readUncommitted: options.readUncommitted ?? false,
    maxWaitTimeInMs: 200,
  });
  const received: EachMessagePayload[] = [];
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async (payload) => {
      received.push(payload);
    },
  });
  await waitFor(`consumer to join its group on ${topic}`, () => (joined ? true : undefined), 30_000);
  return { consumer, received, values: () => received.map((m) => m.message.value?.toString() ?? '') };
}
