import type { TributaryConfig } from '../config/config.js';
import { createAvroProducer, type KeyedRecord } from './avro-producer.js';
import { createKafka } from './kafka-client.js';
import { createSchemaRegistryClient } from './schema-registry-client.js';
import type { ClosableSimulationSink, SinkRecord } from './simulator/simulation-runner.js';

/**
 * Delivers simulated events to the `transactions` and `labels` topics through the Avro
 * producer, so every event is validated against its registered schema before it is sent.
 */
export async function createKafkaSimulationSink(config: TributaryConfig): Promise<ClosableSimulationSink> {
  const producer = createAvroProducer({
    kafka: createKafka(config, { clientIdSuffix: 'simulator' }),
    registry: createSchemaRegistryClient(config.schemaRegistry),
    config,
  });
  await producer.connect();
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
