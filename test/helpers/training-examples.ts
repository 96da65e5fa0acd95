/** Fills a training-examples topic with synthetic examples, for tests that need data but not the feature job. */
import type { Kafka } from 'kafkajs';
import type { TributaryConfig } from '../../src/config/config.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { generateSyntheticExamples } from './synthetic-examples.js';

const BATCH = 2_000;

/** Produces `count` synthetic examples (Avro, through the registered schema) to the config's training-examples topic. */
export async function produceSyntheticExamples(kafka: Kafka, config: TributaryConfig, count: number, seed: number): Promise<void> {
  const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
  await producer.connect();
  try {
    const examples = generateSyntheticExamples({ count, seed });
    for (let start = 0; start < examples.length; start += BATCH) {
      await producer.send('training-examples', examples.slice(start, start + BATCH).map((example) => ({ key: example.transaction_id, value: example })));
    }
  } finally {
    await producer.disconnect();
  }
}
