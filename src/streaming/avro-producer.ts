import avro, { type Type } from 'avsc';
import { Partitioners, type Kafka, type Message, type ProducerConfig, type RecordMetadata } from 'kafkajs';
import { ProduceError, RecordRejectedError, StreamingError, SubjectNotRegisteredError, type RecordIssue } from './errors.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';
import { LOGICAL_TOPIC_NAMES, valueSubject, type TopicNaming } from './topic-catalogue.js';
import { kafkaAccessError } from './kafka-client.js';
import type { KafkaAccessAttempt } from './errors.js';
import { frameWithSchemaId } from './wire-format.js';
import { reasonOf } from '../errors/tributary-error.js';

/** A record to produce: a string key (records with one key keep their order) and a value its topic's schema accepts. */
export interface KeyedRecord<Value = unknown> {
  readonly key: string;
  readonly value: Value;
}

/** Records for one topic, named without the configured prefix (`scores`, or a pipeline's `features`). */
export interface TopicBatch {
  readonly topic: string;
  readonly records: readonly KeyedRecord[];
}

/** The registered schema a producer writes a topic's values with. */
export interface WriterSchema {
  readonly topic: string;
  readonly subject: string;
  readonly schemaId: number;
  readonly type: Type;
}

export interface AvroProducerDependencies {
  readonly kafka: Kafka;
  /** Where the writer schema of each topic comes from: the latest version of `<topic>-value`. */
  readonly registry: Pick<SchemaRegistryClient, 'latestSchema'>;
  readonly config: TopicNaming;
}

export interface AvroProducerOptions {
  /** No duplicates from the producer's own retries. @default true */
  readonly idempotent?: boolean;
  /** How long the broker may wait for every in-sync replica to acknowledge a send (acks=-1). @default 30_000 */
  readonly ackTimeoutMs?: number;
  /**
   * Retries of a failed request before the send fails. Bounded, so a send to an unreachable
   * cluster ends; kafkajs warns that this weakens idempotence, because a caller that sends
   * again after a failure may write a duplicate. A transaction is aborted instead. @default 10
   */
  readonly retries?: number;
}

export interface TransactionalAvroProducerOptions extends Omit<AvroProducerOptions, 'idempotent'> {
  /** Identifies the producer across restarts, so the broker fences a zombie instance. */
  readonly transactionalId: string;
  /** How long a transaction may stay open before the broker aborts it. @default 60_000 */
  readonly transactionTimeoutMs?: number;
}

/**
 * Produces Avro values to topics of the configured prefix, each named without the prefix (the
 * catalogue's or a pipeline's); refuses a record its topic's schema rejects before anything is sent.
 */
export interface AvroProducer {
  connect(): Promise<void>;
  /** Validates every record, then sends them all with acks=-1. Throws {@link RecordRejectedError} or {@link ProduceError}. */
  send(topic: string, records: readonly KeyedRecord[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

/** Produces Avro values to topics of the configured prefix in Kafka transactions: all of a call's records become visible together, or none. */
export interface TransactionalAvroProducer {
  connect(): Promise<void>;
  /**
   * Validates every record of every batch, then sends them in one transaction and commits it.
   * On a failure the transaction is aborted, so read_committed consumers see none of it.
   * Calls run one after another.
   */
  sendInTransaction(batches: readonly TopicBatch[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

const retriableOf = (error: unknown): boolean => typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;
const LONGEST_VALUE_SHOWN = 80;

/** Connects, turning a rejected login or a refused transactional id into the error that says so. */
async function connectExplained(kafka: Kafka, producer: { connect(): Promise<void> }, attempt: KafkaAccessAttempt): Promise<void> {
  try {
    await producer.connect();
  } catch (error) {
    throw kafkaAccessError(kafka, error, attempt) ?? error;
  }
}

/** Describes what an Avro type accepts, as a person reads it. */
function describeType(type: Type): string {
  if (type instanceof avro.types.EnumType) return `one of ${type.symbols.join(', ')}`;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) return type.types.map(describeType).join(' or ');
  if (type instanceof avro.types.RecordType) return `record ${type.name ?? '(anonymous)'}`;
  if (type instanceof avro.types.ArrayType) return `array of ${describeType(type.itemsType)}`;
  if (type instanceof avro.types.MapType) return `map of ${describeType(type.valuesType as Type)}`;
  if (type instanceof avro.types.FixedType) return `${type.size} bytes`;
  if (type instanceof avro.types.LogicalType) return describeType(type.underlyingType);
  return type.typeName;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'no value (the field is missing)';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Buffer.isBuffer(value)) return `${value.length} bytes`;
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > LONGEST_VALUE_SHOWN ? `${shown.slice(0, LONGEST_VALUE_SHOWN - 1)}…` : shown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);

/**
 * Every place where `value` breaks the schema `type`: wrong types, missing fields without a
 * default, enum values outside the symbols, and fields the schema does not declare (which
 * encoding would otherwise drop silently).
 */
export function recordIssues(type: Type, value: unknown): RecordIssue[] {
  const issues: RecordIssue[] = [];
  type.isValid(value, {
    errorHook: (path, found, expected) => issues.push({ path: path.join('.'), value: describeValue(found), expected: describeType(expected) }),
  });
  // avsc reports a record with undeclared fields as a whole and looks no deeper, so this pass only names those fields.
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path, found, expected) => {
      if (!(expected instanceof avro.types.RecordType) || !isPlainObject(found)) return;
      const declared = new Set(expected.fields.map((field) => field.name));
      for (const [name, fieldValue] of Object.entries(found)) {
        if (!declared.has(name)) issues.push({ path: [...path, name].join('.'), value: describeValue(fieldValue), expected: `no such field (${expected.name ?? 'the record'} does not declare it)` });
      }
    },
  });
  return issues;
}

/**
 * Validates every record against the writer schema and encodes it in the registry wire
 * format. Throws {@link RecordRejectedError} naming the first rejected record, each offending
 * field path and value, and how many records were rejected; then nothing is encoded.
 */
export function encodeRecords(writer: WriterSchema, records: readonly KeyedRecord[]): Message[] {
  const rejected = records.map((record, index) => ({ record, index, issues: recordIssues(writer.type, record.value) })).filter((entry) => entry.issues.length > 0);
  const first = rejected[0];
  if (first) {
    throw new RecordRejectedError({
      topic: writer.topic,
      subject: writer.subject,
      schemaId: writer.schemaId,
      recordName: writer.type.name ?? writer.subject,
      index: first.index,
      key: first.record.key,
      issues: first.issues,
      rejectedCount: rejected.length,
    });
  }
  return records.map((record) => ({ key: record.key, value: frameWithSchemaId(writer.schemaId, writer.type.toBuffer(record.value)) }));
}

/** Looks up each topic's writer schema once and keeps it; a failed lookup is tried again next time. */
function writerSchemas({ registry, config }: AvroProducerDependencies): (unprefixed: string) => Promise<WriterSchema> {
  const cache = new Map<string, Promise<WriterSchema>>();
  const load = async (unprefixed: string): Promise<WriterSchema> => {
    const topic = `${config.topics.prefix}${unprefixed}`;
    const subject = valueSubject(topic);
    const latest = await registry.latestSchema(subject);
    if (!latest) {
      // `schemas register` registers the catalogue's subjects; a pipeline's are registered when it is applied.
      const catalogued = (LOGICAL_TOPIC_NAMES as readonly string[]).includes(unprefixed);
      throw new SubjectNotRegisteredError(subject, topic, catalogued ? undefined : 'apply the pipeline that names the topic first (`tributary pipeline apply <file>`)');
    }
    try {
      return { topic, subject, schemaId: latest.id, type: avro.Type.forSchema(JSON.parse(latest.schema) as Parameters<typeof avro.Type.forSchema>[0]) };
    } catch (error) {
      throw new StreamingError(`schema id ${latest.id} registered under ${subject} does not parse: ${reasonOf(error)}`, { topic, subject, schemaId: latest.id, cause: error });
    }
  };
  return (unprefixed) => {
    let writer = cache.get(unprefixed);
    if (!writer) {
      writer = load(unprefixed);
      cache.set(unprefixed, writer);
      void writer.catch(() => cache.delete(unprefixed));
    }
    return writer;
  };
}

/** What both producers share: bounded retries, no topic auto-creation, and Java's key partitioning. */
function commonProducerConfig(options: AvroProducerOptions): ProducerConfig {
  return {
    retry: { retries: options.retries ?? 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    allowAutoTopicCreation: false,
    // murmur2 of the key, as Java clients and Flink's Kafka sink partition, so one key lands on one partition whoever writes it.
    createPartitioner: Partitioners.DefaultPartitioner,
  };
}

/** Creates a producer that validates and encodes values with each topic's registered schema and sends with acks=-1. */
export function createAvroProducer(dependencies: AvroProducerDependencies, options: AvroProducerOptions = {}): AvroProducer {
  const idempotent = options.idempotent ?? true;
  const producer = dependencies.kafka.producer({
    idempotent,
    // The idempotent producer keeps order across retries only with one request in flight.
    maxInFlightRequests: idempotent ? 1 : undefined,
    ...commonProducerConfig(options),
  });
  const writerOf = writerSchemas(dependencies);
  return {
    connect: () => connectExplained(dependencies.kafka, producer, { operation: 'write to' }),
    disconnect: () => producer.disconnect(),
    async send(topic, records) {
      if (records.length === 0) return [];
      const writer = await writerOf(topic);
      const messages = encodeRecords(writer, records);
      try {
        return await producer.send({ topic: writer.topic, messages, acks: -1, timeout: options.ackTimeoutMs ?? 30_000 });
      } catch (error) {
        throw kafkaAccessError(dependencies.kafka, error, { operation: 'write to', topics: [writer.topic] }) ?? new ProduceError([writer.topic], reasonOf(error), { retriable: retriableOf(error), cause: error });
      }
    },
  };
}

/** Creates a transactional producer (exactly-once within Kafka): every call is one transaction over all its batches. */
export function createTransactionalAvroProducer(dependencies: AvroProducerDependencies, options: TransactionalAvroProducerOptions): TransactionalAvroProducer {
  const producer = dependencies.kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
    ...commonProducerConfig(options),
  });
  const writerOf = writerSchemas(dependencies);
  // kafkajs allows one open transaction per producer, so calls queue up behind each other.
  let previous: Promise<unknown> = Promise.resolve();

  async function sendAll(batches: readonly TopicBatch[]): Promise<RecordMetadata[]> {
    const topicMessages = await Promise.all(
      batches.map(async (batch) => {
        const writer = await writerOf(batch.topic);
        return { topic: writer.topic, messages: encodeRecords(writer, batch.records) };
      }),
    );
    if (topicMessages.every((batch) => batch.messages.length === 0)) return [];
    const topics = [...new Set(topicMessages.map((batch) => batch.topic))];
    const transaction = await producer.transaction();
    try {
      const metadata = await transaction.sendBatch({ topicMessages, acks: -1, timeout: options.ackTimeoutMs ?? 30_000 });
      await transaction.commit();
      return metadata;
    } catch (error) {
      const abortFailure = await transaction.abort().then(
        () => undefined,
        (abortError: unknown) => abortError,
      );
      const outcome = abortFailure === undefined ? 'the transaction was aborted' : `aborting the transaction failed too: ${reasonOf(abortFailure)}`;
      const refusal = kafkaAccessError(dependencies.kafka, error, { operation: 'write to', topics, transactionalId: options.transactionalId });
      if (refusal) throw refusal;
      throw new ProduceError(topics, `${reasonOf(error)}; ${outcome}`, { retriable: retriableOf(error), cause: error });
    }
  }

  return {
    connect: () => connectExplained(dependencies.kafka, producer, { operation: 'write to', transactionalId: options.transactionalId }),
    disconnect: () => producer.disconnect(),
    sendInTransaction(batches) {
      const run = previous.then(() => sendAll(batches));
      previous = run.catch(() => undefined);
      return run;
    },
  };
}
