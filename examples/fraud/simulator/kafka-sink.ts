/**
 * Delivers simulated events to the fraud pipeline's transactions and labels topics, Avro-encoded
 * with each topic's latest registered value schema, so every event is validated before it is
 * sent. The topics are Kafka names taken from the definition (see fraud-pipeline.ts), not names
 * of the platform's topic catalogue, so this producer looks the writer schemas up itself.
 */
import avro from 'avsc';
import { logLevel, Partitioners, type Kafka } from 'kafkajs';
import type { TributaryConfig } from '../../../src/config/config.js';
import { reasonOf, TributaryError } from '../../../src/errors/tributary-error.js';
import { encodeRecords, type KeyedRecord, type WriterSchema } from '../../../src/streaming/avro-producer.js';
import { ProduceError, StreamingError, SubjectNotRegisteredError } from '../../../src/streaming/errors.js';
import { createKafka, kafkaAccessError } from '../../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../../src/streaming/schema-registry-client.js';
import { valueSubject } from '../../../src/streaming/topic-catalogue.js';
import type { SimulatorTopics } from '../fraud-pipeline.js';
import type { ClosableSimulationSink, SinkRecord } from './simulation-runner.js';

/** What to do when a topic has no schema yet: applying the example creates its topics and registers its schemas. */
const HOW_TO_REGISTER = 'apply the example first: `npx tributary pipeline apply examples/fraud/pipeline.yaml`';

const retriableOf = (error: unknown): boolean => typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;

/** The latest schema registered for `topic`'s values, as the writer of its records. */
async function writerSchema(registry: Pick<SchemaRegistryClient, 'latestSchema'>, topic: string): Promise<WriterSchema> {
  const subject = valueSubject(topic);
  const latest = await registry.latestSchema(subject);
  if (!latest) throw new SubjectNotRegisteredError(subject, topic, HOW_TO_REGISTER);
  try {
    return { topic, subject, schemaId: latest.id, type: avro.Type.forSchema(JSON.parse(latest.schema) as Parameters<typeof avro.Type.forSchema>[0]) };
  } catch (error) {
    throw new StreamingError(`schema id ${latest.id} registered under ${subject} does not parse: ${reasonOf(error)}`, { topic, subject, schemaId: latest.id, cause: error });
  }
}

/**
 * A sink producing to `topics` with an idempotent producer and acks=-1, keyed records on the
 * partition of their key (murmur2, as Java clients and the Flink job choose it).
 */
export async function createKafkaSimulationSink(config: TributaryConfig, topics: SimulatorTopics): Promise<ClosableSimulationSink> {
  // Every failure reaches the caller as one error, so kafkajs's own log (a dozen JSON lines per
  // unreachable broker) would only repeat it.
  const kafka: Kafka = createKafka(config, { clientIdSuffix: 'simulator', logLevel: logLevel.NOTHING });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const producer = kafka.producer({
    idempotent: true,
    // The idempotent producer keeps order across retries only with one request in flight.
    maxInFlightRequests: 1,
    // Bounded, so a send to a cluster that went away ends.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const names = [topics.transactions, topics.labels];
  try {
    await producer.connect();
  } catch (error) {
    // A refused login or ACL is explained as such; anything else is the broker not answering.
    const refusal = kafkaAccessError(kafka, error, { operation: 'write to', topics: names });
    if (refusal) throw refusal;
    if (error instanceof TributaryError) throw error;
    throw new ProduceError(names, `could not connect to Kafka at ${config.kafka.brokers.join(',')}: ${reasonOf(error)}`, { retriable: true, cause: error });
  }
  // Looked up once per topic, on its first batch; a failed lookup is tried again on the next.
  const writers = new Map<string, WriterSchema>();
  const writerOf = async (topic: string): Promise<WriterSchema> => {
    const known = writers.get(topic);
    if (known) return known;
    const writer = await writerSchema(registry, topic);
    writers.set(topic, writer);
    return writer;
  };
  return {
    async send(records: SinkRecord[]) {
      const byTopic = new Map<string, KeyedRecord[]>();
      for (const { topic, key, value } of records) {
        const name = topics[topic];
        const batch = byTopic.get(name) ?? [];
        batch.push({ key, value });
        byTopic.set(name, batch);
      }
      for (const [topic, batch] of byTopic) {
        const messages = encodeRecords(await writerOf(topic), batch);
        try {
          await producer.send({ topic, messages, acks: -1, timeout: 30_000 });
        } catch (error) {
          throw kafkaAccessError(kafka, error, { operation: 'write to', topics: [topic] }) ?? new ProduceError([topic], reasonOf(error), { retriable: retriableOf(error), cause: error });
        }
      }
    },
    close: () => producer.disconnect(),
  };
}
