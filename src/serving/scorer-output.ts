/**
 * Where a scored chunk goes: its scores and dead letters, and the consumed position, made durable
 * together.
 *
 * Exactly-once: one Kafka transaction per chunk holds the score and dlq records AND the consumed
 * offsets (`sendOffsets`), so a read_committed reader sees every input's output exactly once,
 * whatever crashes. Transactional ids are per input partition — `<group>.<topic>.<partition>` —
 * not per process: kafkajs sends offsets without the consumer's generation (KIP-447), so the
 * broker cannot fence a zombie by its group membership. With an id per partition, the worker that
 * gets a partition after a rebalance initialises the same id, which bumps its epoch, aborts the
 * zombie's open transaction and fences its later commits (the classic Kafka Streams EOS-alpha
 * scheme). A producer whose transaction failed is dropped and a fresh one initialised, so a fenced
 * or broken producer is never reused.
 *
 * At-least-once: one idempotent producer sends the records, then the offsets are committed; a
 * crash between the two scores the chunk again.
 *
 * Low-latency: the output of at-least-once; what differs is the input, which the consumer reads
 * read_uncommitted (consumer-lifecycle.ts), so a features record is scored as soon as the feature
 * job writes it, without waiting for the job's checkpoint to commit it. Scores are keyed by the
 * event id in every mode, so a reader that keeps the last score per key sees each event once (see
 * docs/serving.md#low-latency-mode for the exact guarantee).
 */
import avro from 'avsc';
import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import type { TopicNaming } from '../streaming/topic-catalogue.js';
import { encodeRecords, type KeyedRecord, type WriterSchema } from '../streaming/avro-producer.js';
import { ProduceError, StreamingError, SubjectNotRegisteredError, type KafkaAccessAttempt } from '../streaming/errors.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { schemaFilePath, topicDeclaration, topicName, valueSubject } from '../streaming/topic-catalogue.js';
import { COMPATIBILITY_LEVEL } from '../streaming/schema-registrar.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import { frameWithSchemaId } from '../streaming/wire-format.js';
import { reasonOf } from '../errors/tributary-error.js';
import { explainRefusal, kafkaCoordinatorProbe, type CoordinatorKey, type KafkaRefusal } from '../streaming/kafka-refusal.js';
import { missingScoreFields, olderScoreSchemaAdvice } from '../streaming/score-schema.js';
import { ScoreSchemaMismatchError } from './errors.js';

export type DeliveryMode = 'exactly-once' | 'at-least-once' | 'low-latency';
export const DELIVERY_MODES: readonly DeliveryMode[] = ['exactly-once', 'at-least-once', 'low-latency'];

/** Whether the mode reads the features topic read_uncommitted: records the feature job has written but its checkpoint has not committed (or will abort). */
export const readsUncommitted = (mode: DeliveryMode): boolean => mode === 'low-latency';

/** The next offset to read of one consumed partition. */
export interface ConsumedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What one chunk produces. */
export interface ChunkOutput {
  readonly scores: readonly KeyedRecord[];
  readonly deadLetters: readonly KeyedRecord[];
  /** Committed with the records: the offset after the chunk's last consumed record. */
  readonly consumed: ConsumedPosition;
}

export interface ScorerOutput {
  /**
   * Makes the chunk's records and position durable together (see the module comment); throws
   * {@link ProduceError}, retriable unless the records themselves are refused, or the
   * KafkaAuthorizationError / KafkaAuthenticationError of a broker that refuses this principal.
   */
  write(output: ChunkOutput): Promise<void>;
  /**
   * Commits `position` when the consumer moved past records it does not hand to a chunk: a batch
   * of transaction markers or aborted records alone. In low-latency mode a transaction's marker
   * comes after its records were scored, so without this the group would stay a marker behind
   * each partition's end until the next record. At-least-once commits it after the chunks
   * committed before it; exactly-once leaves it to the next chunk's transaction (a commit outside
   * one would race the transactional offsets).
   */
  skip(position: ConsumedPosition): Promise<void>;
  /** After a rebalance: lets go of the producers of partitions this worker no longer owns (their new owner fences them anyway). */
  retain(assigned: readonly ConsumedPosition['partition'][], topic: string): Promise<void>;
  /** Disconnects every producer. */
  close(): Promise<void>;
}

/** The Kafka topics a scorer writes: its pipeline's scores and dead letters. */
export interface ScorerTopics {
  readonly scores: string;
  readonly dlq: string;
}

/** The catalogue's scores and dlq topics under the configured prefix: what a scorer writes when no pipeline names others. */
export function catalogueScorerTopics(config: TopicNaming): ScorerTopics {
  return { scores: topicName(config, 'scores'), dlq: topicName(config, 'dlq') };
}

export interface ScorerOutputDependencies {
  readonly kafka: Kafka;
  /** Registers the platform's record under a subject that has none yet (see {@link writerSchemas}). */
  readonly registry: Pick<SchemaRegistryClient, 'latestSchema' | 'register' | 'setCompatibilityLevel'>;
  /** Its Kafka settings connect the probe that explains a refused coordinator (see kafka-refusal.ts). */
  readonly config: TopicNaming & Pick<TributaryConfig, 'kafka'>;
  readonly topics: ScorerTopics;
  readonly groupId: string;
  /** At-least-once commits through the consumer. */
  readonly commitOffsets: (positions: readonly ConsumedPosition[]) => Promise<void>;
}

const SEND_TIMEOUT_MS = 30_000;
/** Long enough for a chunk under a slow broker; a crashed worker's open transaction is aborted by the broker after it. */
const TRANSACTION_TIMEOUT_MS = 60_000;
const producerRetry = { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 };

/**
 * The registered writer schema of the scores and dlq topics, looked up once (again after a
 * failure). A subject with no schema yet gets the platform's own record (score.avsc,
 * dead-letter.avsc) under BACKWARD, as `schemas register` does for the catalogue: a pipeline's
 * scores and dlq topics hold Tributary's records, not the pipeline's, so nobody else registers them.
 */
function writerSchemas(registry: ScorerOutputDependencies['registry'], topics: ScorerTopics): (logical: 'scores' | 'dlq') => Promise<WriterSchema> {
  const cache = new Map<string, Promise<WriterSchema>>();
  const load = async (logical: 'scores' | 'dlq'): Promise<WriterSchema> => {
    const topic = topics[logical];
    const subject = valueSubject(topic);
    let latest = await registry.latestSchema(subject);
    if (!latest) {
      await registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
      await registry.register(subject, loadSchemaFile(schemaFilePath(topicDeclaration(logical).valueSchema)).text);
      latest = await registry.latestSchema(subject);
    }
    if (!latest) throw new SubjectNotRegisteredError(subject, topic);
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(JSON.parse(latest.schema) as Parameters<typeof avro.Type.forSchema>[0]);
    } catch (error) {
      throw new StreamingError(`schema id ${latest.id} registered under ${subject} does not parse: ${reasonOf(error)}`, { topic, subject, schemaId: latest.id, cause: error });
    }
    const missing = logical === 'scores' ? missingScoreFields(type) : [];
    // Otherwise every chunk would fail on its first score with a list of undeclared fields.
    if (missing.length > 0) throw new ScoreSchemaMismatchError(topic, olderScoreSchemaAdvice(subject, missing));
    return { topic, subject, schemaId: latest.id, type };
  };
  return (logical) => {
    let writer = cache.get(logical);
    if (!writer) {
      writer = load(logical);
      cache.set(logical, writer);
      writer.catch(() => cache.delete(logical));
    }
    return writer;
  };
}

/**
 * {@link encodeRecords} with a fast path for the hot loop: one strict validity check per record
 * (types and undeclared fields, the same rules); only when a record fails does encodeRecords run,
 * to name every issue and refuse the chunk. Its detailed two-pass check cost more than the model
 * on the scorer's profile.
 */
function encodeValidated(writer: WriterSchema, records: readonly KeyedRecord[]): Message[] {
  if (!records.every((record) => writer.type.isValid(record.value, { noUndeclaredFields: true }))) return encodeRecords(writer, records);
  return records.map((record) => ({ key: record.key, value: frameWithSchemaId(writer.schemaId, writer.type.toBuffer(record.value)) }));
}

const retriableOf = (error: unknown): boolean => !(error instanceof StreamingError) || error.retriable;

/** Opens the output of one worker in the given delivery mode. */
export function createScorerOutput(mode: DeliveryMode, dependencies: ScorerOutputDependencies): ScorerOutput {
  const writerOf = writerSchemas(dependencies.registry, dependencies.topics);
  const encode = async (output: ChunkOutput): Promise<TopicMessages[]> => {
    const batches: TopicMessages[] = [];
    for (const [logical, records] of [['scores', output.scores], ['dlq', output.deadLetters]] as const) {
      if (records.length === 0) continue;
      const writer = await writerOf(logical);
      const messages: Message[] = encodeValidated(writer, records);
      batches.push({ topic: writer.topic, messages });
    }
    return batches;
  };
  const { kafka, config, groupId } = dependencies;
  const probe = kafkaCoordinatorProbe(config);
  const failure: Failure = async (batches, output, error, step) => {
    const written = batches.length > 0 ? batches.map((batch) => batch.topic) : [dependencies.topics.scores, dependencies.topics.dlq];
    const [attempt, coordinator]: [KafkaAccessAttempt, CoordinatorKey | undefined] =
      step.kind === 'commit'
        ? [{ operation: 'read', topics: [output.consumed.topic], group: groupId }, { group: groupId }]
        : [{ operation: 'write to', topics: written, transactionalId: step.transactionalId }, step.transactionalId === undefined ? undefined : { transactionalId: step.transactionalId }];
    const refusal = await explainRefusal(kafka, error, attempt, coordinator && { key: coordinator, probe });
    if (refusal !== undefined) return refusal;
    if (error instanceof ProduceError) return error;
    return new ProduceError(batches.length > 0 ? batches.map((batch) => batch.topic) : [output.consumed.topic], reasonOf(error), { retriable: retriableOf(error), cause: error });
  };
  return mode === 'exactly-once' ? transactionalOutput(dependencies, encode, failure) : idempotentOutput(dependencies, encode, failure);
}

/** The step of a chunk's output that failed: writing its records (in exactly-once through a transactional id), or committing its consumed offsets as the group. */
type OutputStep = { readonly kind: 'write'; readonly transactionalId?: string } | { readonly kind: 'commit' };
type Encode = (output: ChunkOutput) => Promise<TopicMessages[]>;
/** What write() throws: the broker's refusal of this principal (final), or a ProduceError. */
type Failure = (batches: readonly TopicMessages[], output: ChunkOutput, error: unknown, step: OutputStep) => Promise<ProduceError | KafkaRefusal>;

function transactionalOutput({ kafka, groupId }: ScorerOutputDependencies, encode: Encode, failure: Failure): ScorerOutput {
  const producers = new Map<string, Promise<Producer>>();
  const transactionalIdOf = (position: ConsumedPosition): string => `${groupId}.${position.topic}.${position.partition}`;
  const producerFor = (position: ConsumedPosition): Promise<Producer> => {
    const transactionalId = transactionalIdOf(position);
    let producer = producers.get(transactionalId);
    if (!producer) {
      const created = kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        allowAutoTopicCreation: false,
        retry: producerRetry,
      });
      producer = created.connect().then(() => created);
      producers.set(transactionalId, producer);
    }
    return producer;
  };
  const drop = async (transactionalId: string): Promise<void> => {
    const producer = producers.get(transactionalId);
    producers.delete(transactionalId);
    await producer?.then((connected) => connected.disconnect()).catch(() => undefined);
  };
  return {
    async write(output) {
      let batches: TopicMessages[] = [];
      const transactionalId = transactionalIdOf(output.consumed);
      let step: OutputStep = { kind: 'write', transactionalId };
      try {
        batches = await encode(output);
        const producer = await producerFor(output.consumed);
        const transaction = await producer.transaction();
        try {
          if (batches.length > 0) await transaction.sendBatch({ topicMessages: batches, acks: -1, timeout: SEND_TIMEOUT_MS });
          const { topic, partition, offset } = output.consumed;
          step = { kind: 'commit' };
          await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset }] }] });
          step = { kind: 'write', transactionalId };
          await transaction.commit();
        } catch (error) {
          if (transaction.isActive()) await transaction.abort().catch(() => undefined);
          throw error;
        }
      } catch (error) {
        // A fenced or failed producer is not reused: the next attempt initialises the id afresh.
        await drop(transactionalId);
        throw await failure(batches, output, error, step);
      }
    },
    skip: () => Promise.resolve(),
    async retain(assigned, topic) {
      const kept = new Set(assigned.map((partition) => `${groupId}.${topic}.${partition}`));
      await Promise.all(
        [...producers.keys()].filter((transactionalId) => !kept.has(transactionalId)).map((transactionalId) => drop(transactionalId)),
      );
    },
    async close() {
      const all = [...producers.values()];
      producers.clear();
      await Promise.all(all.map((producer) => producer.then((connected) => connected.disconnect()).catch(() => undefined)));
    },
  };
}

function idempotentOutput({ kafka, commitOffsets }: ScorerOutputDependencies, encode: Encode, failure: Failure): ScorerOutput {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: producerRetry });
  let connected: Promise<void> | undefined;
  // Commits one after another, so a skip's commit never lands after a later chunk's and moves the group back.
  let commits: Promise<unknown> = Promise.resolve();
  const commitInOrder = (position: ConsumedPosition): Promise<void> => {
    const commit = commits.then(() => commitOffsets([position]));
    commits = commit.catch(() => undefined);
    return commit;
  };
  return {
    async write(output) {
      let batches: TopicMessages[] = [];
      let step: OutputStep = { kind: 'write' };
      try {
        batches = await encode(output);
        connected ??= producer.connect().catch((error: unknown) => {
          connected = undefined;
          throw error;
        });
        await connected;
        if (batches.length > 0) await producer.sendBatch({ topicMessages: batches, acks: -1, timeout: SEND_TIMEOUT_MS });
        step = { kind: 'commit' };
        await commitInOrder(output.consumed);
      } catch (error) {
        throw await failure(batches, output, error, step);
      }
    },
    skip: (position) => commitInOrder(position),
    retain: () => Promise.resolve(),
    close: () => producer.disconnect(),
  };
}
