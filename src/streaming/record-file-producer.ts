/**
 * Produces JSON lines to a topic, Avro-encoded with the topic's latest registered value schema
 * (`tributary produce`). All or nothing for a file: every line is checked first, and a file with
 * a bad line sends nothing. A stream (stdin) may never end, so it is checked and sent chunk by
 * chunk as it arrives; at a bad line the records before it are sent, nothing from it on, and the
 * error says from which line to send again.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Type } from 'avsc';
import { Partitioners, type Admin, type Kafka, type Message, type PartitionMetadata } from 'kafkajs';
import { reasonOf } from '../errors/tributary-error.js';
import {
  JsonInputInterruptedError,
  JsonInputRejectedError,
  KeyFieldError,
  ProduceError,
  StreamingError,
  SubjectNotRegisteredError,
  TopicAdminError,
  TopicNotFoundError,
  type JsonInputProgress,
  type JsonLineProblem,
} from './errors.js';
import { jsonRecordType, keyFieldProblem, readJsonRecord } from './json-records.js';
import { kafkaAccessError } from './kafka-client.js';
import { lineChunks, type NumberedLine } from './line-chunks.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';
import { valueSubject } from './topic-catalogue.js';
import { frameWithSchemaId } from './wire-format.js';

/** Where the JSON lines come from: a file, read twice (checked whole, then sent), or a stream, read once. */
export type JsonLinesInput = { readonly file: string } | { readonly stream: Readable; readonly name: string };

export interface JsonLinesProducerDependencies {
  /** A client from `createKafka`, so refusals name the principal. */
  readonly kafka: Kafka;
  readonly registry: Pick<SchemaRegistryClient, 'latestSchema'>;
  /** The brokers `kafka` connects to, for messages. */
  readonly brokers: readonly string[];
}

export interface ProduceJsonLinesRequest {
  /** The Kafka topic name, prefix included. */
  readonly topic: string;
  readonly input: JsonLinesInput;
  /** A top-level field whose value keys each record; without it records have no key. */
  readonly keyField?: string;
  /** What to do when no schema is registered for the topic, for the message. */
  readonly howToRegister: string;
  /** What to do when the topic does not exist, for the message. */
  readonly howToCreate: string;
}

export interface JsonLinesProducerOptions {
  /** Most records in one send. @default 500 */
  readonly maxBatch?: number;
  /** Most problems kept for the report; the rest are counted. @default 50 */
  readonly maxProblems?: number;
  /** Retries of a failed send before it fails, so a send to a cluster that went away ends. @default 10 */
  readonly retries?: number;
  /** How long the broker may wait for every in-sync replica (acks=-1). @default 30_000 */
  readonly ackTimeoutMs?: number;
}

export interface ProducedJsonLines {
  readonly topic: string;
  readonly records: number;
  /** Records written to each partition, by partition number. */
  readonly partitions: ReadonlyMap<number, number>;
}

interface JsonWriter {
  readonly schemaId: number;
  readonly type: Type;
}

const inputName = (input: JsonLinesInput): string => ('file' in input ? input.file : input.name);

/** The topic's latest registered value schema, read as JSON records are; refuses a key field it cannot key by. */
async function jsonWriter(registry: JsonLinesProducerDependencies['registry'], request: ProduceJsonLinesRequest): Promise<JsonWriter> {
  const { topic, keyField } = request;
  const subject = valueSubject(topic);
  const latest = await registry.latestSchema(subject);
  if (!latest) throw new SubjectNotRegisteredError(subject, topic, request.howToRegister);
  let type: Type;
  try {
    type = jsonRecordType(JSON.parse(latest.schema) as Parameters<typeof jsonRecordType>[0]);
  } catch (error) {
    throw new StreamingError(`schema id ${latest.id} registered under ${subject} does not parse: ${reasonOf(error)}`, { topic, subject, schemaId: latest.id, cause: error });
  }
  const keyProblem = keyField === undefined ? undefined : keyFieldProblem(type, keyField);
  if (keyProblem !== undefined) throw new KeyFieldError(keyProblem, { topic, subject, schemaId: latest.id });
  return { schemaId: latest.id, type };
}

/** The input's lines in chunks; a file that cannot be read is one error naming it. */
async function* inputLines(input: JsonLinesInput, maxBatch: number): AsyncGenerator<readonly NumberedLine[]> {
  const stream = 'file' in input ? createReadStream(input.file, { encoding: 'utf8' }) : input.stream.setEncoding('utf8');
  try {
    yield* lineChunks(stream as AsyncIterable<string>, maxBatch);
  } catch (error) {
    if ('file' in input) throw new StreamingError(`cannot read ${input.file}: ${reasonOf(error)}`, { file: input.file, cause: error });
    throw error;
  } finally {
    if ('file' in input) stream.destroy();
  }
}

/** Reads a file whole and throws {@link JsonInputRejectedError} listing its problems when any line is bad. */
async function checkFile(request: ProduceJsonLinesRequest, writer: JsonWriter, maxBatch: number, maxProblems: number): Promise<void> {
  const problems: JsonLineProblem[] = [];
  let problemCount = 0;
  let badLineCount = 0;
  for await (const lines of inputLines(request.input, maxBatch)) {
    for (const line of lines) {
      const result = readJsonRecord(writer.type, line.text, request.keyField);
      if (!('problems' in result)) continue;
      badLineCount += 1;
      problemCount += result.problems.length;
      for (const problem of result.problems) if (problems.length < maxProblems) problems.push({ line: line.number, problem });
    }
  }
  if (badLineCount > 0) {
    throw new JsonInputRejectedError(problems, problemCount, badLineCount, { input: inputName(request.input), topic: request.topic, recordsSent: 0, lastLineSent: 0 });
  }
}

/** Connects an admin client, runs `work`, and always disconnects; refusals and an unreachable cluster are one error each. */
async function withAdmin<T>(dependencies: JsonLinesProducerDependencies, topic: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = dependencies.kafka.admin();
  const refusal = (error: unknown) => kafkaAccessError(dependencies.kafka, error, { operation: 'describe', topics: [topic] });
  try {
    await admin.connect();
  } catch (error) {
    const brokers = dependencies.brokers.join(',');
    const advice = 'is it running? `tributary stack status` shows the local stack, TRIBUTARY_KAFKA_BROKERS sets the address';
    throw refusal(error) ?? new TopicAdminError(`connecting to Kafka at ${brokers}`, `${reasonOf(error)}; ${advice}`, { topic, retriable: true, cause: error });
  }
  try {
    return await work(admin);
  } catch (error) {
    throw refusal(error) ?? new TopicAdminError(`describing topic ${topic}`, reasonOf(error), { topic, retriable: true, cause: error });
  } finally {
    await admin.disconnect();
  }
}

/** The topic's partitions, which the records are spread over here so the report can count them; throws {@link TopicNotFoundError}. */
async function topicPartitions(dependencies: JsonLinesProducerDependencies, request: ProduceJsonLinesRequest): Promise<PartitionMetadata[]> {
  const { topic } = request;
  const exists = await withAdmin(dependencies, topic, async (admin) => (await admin.listTopics()).includes(topic));
  if (!exists) throw new TopicNotFoundError(topic, dependencies.brokers, request.howToCreate);
  return withAdmin(dependencies, topic, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? []);
}

/**
 * Checks the input against the topic's registered schema and produces it, Avro-encoded in the
 * registry wire format, with an idempotent producer and acks=-1. Keyed records go to the
 * partition of their key (murmur2, as Java clients and Flink choose it); records without a key
 * are spread round-robin.
 *
 * Throws {@link SubjectNotRegisteredError}, {@link KeyFieldError}, {@link TopicNotFoundError},
 * {@link JsonInputRejectedError} (bad lines; for a file, before anything is sent) and
 * {@link JsonInputInterruptedError} (a send failed; says which lines are out).
 */
export async function produceJsonLines(
  dependencies: JsonLinesProducerDependencies,
  request: ProduceJsonLinesRequest,
  options: JsonLinesProducerOptions = {},
): Promise<ProducedJsonLines> {
  const maxBatch = options.maxBatch ?? 500;
  const { topic, keyField } = request;
  const writer = await jsonWriter(dependencies.registry, request);
  if ('file' in request.input) await checkFile(request, writer, maxBatch, options.maxProblems ?? 50);
  const partitionMetadata = await topicPartitions(dependencies, request);

  const producer = dependencies.kafka.producer({
    idempotent: true,
    // The idempotent producer keeps order across retries only with one request in flight.
    maxInFlightRequests: 1,
    retry: { retries: options.retries ?? 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    allowAutoTopicCreation: false,
  });
  try {
    await producer.connect();
  } catch (error) {
    throw kafkaAccessError(dependencies.kafka, error, { operation: 'write to', topics: [topic] }) ?? new ProduceError([topic], reasonOf(error), { retriable: true, cause: error });
  }
  // kafkajs's own partitioner: murmur2 of the key, or round-robin over the available partitions.
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitions = new Map<number, number>();
  let progress: JsonInputProgress = { input: inputName(request.input), topic, recordsSent: 0, lastLineSent: 0 };

  async function send(messages: readonly Message[], firstLine: number, lastLine: number): Promise<void> {
    try {
      await producer.send({ topic, messages: [...messages], acks: -1, timeout: options.ackTimeoutMs ?? 30_000 });
    } catch (error) {
      throw kafkaAccessError(dependencies.kafka, error, { operation: 'write to', topics: [topic] }) ?? new JsonInputInterruptedError(progress, { first: firstLine, last: lastLine }, reasonOf(error), error);
    }
    for (const message of messages) partitions.set(message.partition!, (partitions.get(message.partition!) ?? 0) + 1);
    progress = { ...progress, recordsSent: progress.recordsSent + messages.length, lastLineSent: lastLine };
  }

  try {
    for await (const lines of inputLines(request.input, maxBatch)) {
      const messages: Message[] = [];
      let lastGood = 0;
      let rejected: { readonly line: number; readonly problems: readonly string[] } | undefined;
      for (const line of lines) {
        const result = readJsonRecord(writer.type, line.text, keyField);
        if ('problems' in result) {
          rejected = { line: line.number, problems: result.problems };
          break;
        }
        const message: Message = { key: result.record.key, value: frameWithSchemaId(writer.schemaId, writer.type.toBuffer(result.record.value)) };
        messages.push({ ...message, partition: partitionOf({ topic, partitionMetadata, message }) });
        lastGood = line.number;
      }
      // Records before a bad line go out, so what was sent is exactly the lines before it.
      if (messages.length > 0) await send(messages, lines[0]!.number, lastGood);
      if (rejected) {
        const problems = rejected.problems.map((problem) => ({ line: rejected.line, problem }));
        throw new JsonInputRejectedError(problems, problems.length, 1, progress);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return { topic, records: progress.recordsSent, partitions };
}
