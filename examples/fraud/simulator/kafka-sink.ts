import { logLevel } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf, TributaryError } from '../errors/tributary-error.js';
import { createAvroProducer, type KeyedRecord } from './avro-producer.js';
import { ProduceError } from './errors.js';
import { createKafka } from './kafka-client.js';
import { createSchemaRegistryClient } from './schema-registry-client.js';
import { topicName } from './topic-catalogue.js';
import type { ClosableSimulationSink, SinkRecord } from './simulator/simulation-runner.js';

/**
 * Delivers simulated events to the `transactions` and `labels` topics through the Avro
 * producer, so every event is validated against its registered schema before it is sent.
 */
export async function createKafkaSimulationSink(config: TributaryConfig): Promise<ClosableSimulationSink> {
  const producer = createAvroProducer({
    // Every failure reaches the caller as one error, so kafkajs's own log (a dozen JSON lines per
    // unreachable broker) would only repeat it.
    kafka: createKafka(config, { clientIdSuffix: 'simulator', logLevel: logLevel.NOTHING }),
    registry: createSchemaRegistryClient(config.schemaRegistry),
    config,
  });
  try {
    await producer.connect();
  } catch (error) {
    // A refused login or ACL is already explained; anything else is the broker not answering.
    if (error instanceof TributaryError) throw error;
    throw new ProduceError([topicName(config, 'transactions'), topicName(config, 'labels')], `could not connect to Kafka at ${config.kafka.brokers.join(',')}: ${reasonOf(error)}`, { retriable: true, cause: error });
  }
  return {
    async send(records: SinkRecord[]) {
      const byTopic = new Map<SinkRecord['topic'], KeyedRecord[]>();
      for (const { topic, key, value } of records) {
        const batch = byTopic.get(topic) ?? [];
        batch.push({ key, value });
        byTopic.set(topic, batch);
      }
      for (const [topic, batch] of byTopic) await producer.send(topic, batch);
    },
    close: () => producer.disconnect(),
  };
}
