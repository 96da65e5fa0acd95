import type { Admin, Kafka } from 'kafkajs';
import { kafkaAccessError } from '../streaming/kafka-client.js';
import type { TopicProgress } from './deployment-health.js';
import type { ObservedTopics } from './deployment-spec.js';

/** Reads how far a job's input and output topics have grown, for the health window. */
export interface TopicProgressReader {
  /** Summed last stable offsets of the inputs and of the outputs. */
  read(topics: ObservedTopics): Promise<TopicProgress>;
}

/**
 * {@link TopicProgressReader} over Kafka. kafkajs' `fetchTopicOffsets` asks for read_committed
 * end offsets (the last stable offset), so output counts only once a checkpoint committed it.
 * Offsets include transaction markers, so the sums are an upper bound of records, which is
 * all "did it grow" needs.
 */
export class KafkaTopicProgressReader implements TopicProgressReader {
  constructor(private readonly kafka: Kafka) {}

  async read(topics: ObservedTopics): Promise<TopicProgress> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return { inputRecords: await sumOfEnds(admin, topics.inputs), outputRecords: await sumOfEnds(admin, topics.outputs) };
    } catch (error) {
      // A secured broker's refusal names the principal and the topics; the health check cannot pass without them.
      throw kafkaAccessError(this.kafka, error, { operation: 'describe', topics: [...topics.inputs, ...topics.outputs] }) ?? error;
    } finally {
      await admin.disconnect();
    }
  }
}

async function sumOfEnds(admin: Admin, topics: readonly string[]): Promise<number> {
  let sum = 0;
  for (const topic of topics) for (const partition of await admin.fetchTopicOffsets(topic)) sum += Number(partition.high);
  return sum;
}
