/**
 * The registry's storage on Kafka: decisions on the `model-registry-events` topic (one partition,
 * kept forever), artifacts on the compacted `models` topic keyed `<model>:<version>`. Every reader
 * folds the event log into its own index; writers of one model are serialised by a transactional
 * id per model, so a second writer fences the first, and the artifact and its registration event
 * become visible together in one transaction.
 */
import avro, { type Type } from 'avsc';
import type { Admin, Kafka, Transaction } from 'kafkajs';
import { createAvroDecoder, type AvroDecoder } from '../streaming/avro-decoder.js';
import { encodeRecords, type KeyedRecord, type WriterSchema } from '../streaming/avro-producer.js';
import { openCaughtUp } from '../streaming/caught-up-open.js';
import { kafkaErrorTypeBehind, MessageDecodeError, RecordRejectedError, TransactionAbortError } from '../streaming/errors.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { appendAsSingleWriter, FENCED_ERROR_TYPES, type Appended } from '../streaming/single-writer-append.js';
import { schemaFilePath, topicDeclaration, topicName, valueSubject, type LogicalTopicName, type TopicNaming } from '../streaming/topic-catalogue.js';
import { ArtifactNotFoundError, RegistryConflictError, RegistryError, RegistryStorageError } from './errors.js';
import type { RegistryStore } from './event-sourced-registry.js';
import { PartitionFollower } from './partition-follower.js';
import { assertModelName } from './registry-decisions.js';
import {
  decodeRegistryEvent,
  encodeRegistryEvent,
  MODEL_ARTIFACT_CONTENT_TYPE,
  type ModelArtifactValue,
  type RegistryEventValue,
} from './registry-event-codec.js';
import type { RegistryEvent } from './registry-events.js';
import { RegistryIndex, type IndexedVersion } from './registry-index.js';
import { reasonOf } from '../errors/tributary-error.js';

export interface KafkaRegistryStoreOptions {
  /** How long reading the event log (or an artifact) to its end offset may take. @default 30_000 */
  readonly readTimeoutMs?: number;
  /** How long a write's transaction may stay open before the broker aborts it. @default 60_000 */
  readonly transactionTimeoutMs?: number;
  /** How long the broker may wait for every in-sync replica to acknowledge a send. @default 30_000 */
  readonly ackTimeoutMs?: number;
}

export interface KafkaRegistryStoreDependencies {
  readonly kafka: Kafka;
  /** Connected admin client; the store uses it and leaves disconnecting it to its owner. */
  readonly admin: Admin;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById'>;
  readonly config: TopicNaming;
}

const retriableOf = (error: unknown): boolean => typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;

/** The reader schema of a catalogue topic: its `.avsc` file, so records of every compatible writer version decode into one shape. */
function readerType(logical: LogicalTopicName): Type {
  return loadSchemaFile(schemaFilePath(topicDeclaration(logical).valueSchema)).type;
}

export class KafkaRegistryStore implements RegistryStore {
  readonly index = new RegistryIndex();
  readonly artifactTopic: string;
  private readonly eventTopic: string;
  private readonly readTimeoutMs: number;
  private readonly eventDecoder: AvroDecoder;
  private readonly artifactDecoder: AvroDecoder;
  private readonly writerSchemas = new Map<LogicalTopicName, Promise<WriterSchema>>();
  private follower: PartitionFollower | undefined;

  private constructor(
    private readonly dependencies: KafkaRegistryStoreDependencies,
    private readonly options: KafkaRegistryStoreOptions,
  ) {
    this.artifactTopic = topicName(dependencies.config, 'models');
    this.eventTopic = topicName(dependencies.config, 'model-registry-events');
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.eventDecoder = createAvroDecoder(dependencies.schemaRegistry, { readerSchema: readerType('model-registry-events') });
    this.artifactDecoder = createAvroDecoder(dependencies.schemaRegistry, { readerSchema: readerType('models') });
  }

  /** Starts following the event log from its beginning and returns once the index holds everything committed so far. */
  static async open(dependencies: KafkaRegistryStoreDependencies, options: KafkaRegistryStoreOptions = {}): Promise<KafkaRegistryStore> {
    const store = new KafkaRegistryStore(dependencies, options);
    store.follower = await PartitionFollower.start({
      kafka: dependencies.kafka,
      admin: dependencies.admin,
      topic: store.eventTopic,
      groupIdPrefix: `${dependencies.config.topics.prefix}model-registry-reader`,
      onMessage: async (message) => store.replay(message.value, message.offset),
    });
    return openCaughtUp(store, (opened) => opened.catchUp());
  }

  async catchUp(): Promise<void> {
    await this.following().catchUp(this.readTimeoutMs);
  }

  async write(model: string, decide: () => RegistryEvent | undefined, artifact?: Uint8Array): Promise<RegistryEvent | undefined> {
    assertModelName(model);
    const appended = await appendAsSingleWriter({
      kafka: this.dependencies.kafka,
      transactionalId: `${this.dependencies.config.topics.prefix}model-registry.${model}`,
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? 60_000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
      reader: this.following(),
      readTimeoutMs: this.readTimeoutMs,
      decide,
      append: (transaction, decided) => this.append(transaction, decided, artifact),
      classifyFailure: (error) => this.classifyWriteFailure(model, error),
    });
    if (!appended) return undefined;
    const { written: event, offset } = appended;
    if (!this.index.hasApplied(event.eventId)) {
      throw new RegistryConflictError(model, this.index.refusalOf(event.eventId)?.reason ?? `event ${event.eventId} at offset ${offset} was committed but not applied`);
    }
    return event;
  }

  async readArtifact({ version, artifactOffset }: IndexedVersion): Promise<Uint8Array> {
    let latest: ModelArtifactValue | undefined;
    const follower = await PartitionFollower.start({
      kafka: this.dependencies.kafka,
      admin: this.dependencies.admin,
      topic: version.artifact.topic,
      groupIdPrefix: `${this.dependencies.config.topics.prefix}model-artifact-reader`,
      // The record written at registration, or a later one with its key: the one compaction would keep.
      fromOffset: artifactOffset ?? '0',
      onMessage: async (message) => {
        if (message.key?.toString('utf8') !== version.artifact.key || !message.value) return;
        const source = { topic: version.artifact.topic, partition: 0, offset: message.offset };
        latest = (await this.artifactDecoder.decode(message.value, source)).value as ModelArtifactValue;
      },
    });
    try {
      await follower.catchUp(this.readTimeoutMs);
    } finally {
      await follower.stop();
    }
    if (!latest) throw new ArtifactNotFoundError(version.model, version.version, version.artifact.topic, version.artifact.key);
    return new Uint8Array(latest.artifact);
  }

  async close(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    await follower?.stop();
  }

  private following(): PartitionFollower {
    if (!this.follower) throw new RegistryStorageError(`reading ${this.eventTopic}`, 'the registry is closed');
    return this.follower;
  }

  /** Sends the artifact (when given), then the event naming the artifact's offset, in the open transaction; returns the event as sent and its offset. */
  private async append(transaction: Transaction, event: RegistryEvent, artifact: Uint8Array | undefined): Promise<Appended<RegistryEvent>> {
    const registered = event.changes.find((change) => change.kind === 'version-registered');
    let appended = event;
    if (registered && artifact) {
      const { version } = registered;
      const record: ModelArtifactValue = {
        model: version.model,
        version: version.version,
        sha256: version.artifact.sha256,
        size_bytes: version.artifact.sizeBytes,
        feature_vector_version: version.lineage.featureVectorVersion,
        content_type: MODEL_ARTIFACT_CONTENT_TYPE,
        written_at: Date.parse(event.at),
        artifact: Buffer.from(artifact),
      };
      const artifactOffset = await this.send(transaction, 'models', { key: version.artifact.key, value: record });
      appended = { ...event, changes: event.changes.map((change) => (change === registered ? { ...registered, artifactOffset } : change)) };
    }
    const offset = await this.send(transaction, 'model-registry-events', { key: event.model, value: encodeRegistryEvent(appended) });
    return { written: appended, offset };
  }

  /** Sends one record in the transaction and returns its offset. */
  private async send(transaction: Transaction, logical: LogicalTopicName, record: KeyedRecord): Promise<string> {
    const writer = await this.writerSchema(logical);
    const [sent] = await transaction.send({ topic: writer.topic, messages: encodeRecords(writer, [record]), acks: -1, timeout: this.options.ackTimeoutMs ?? 30_000 });
    const offset = sent?.baseOffset ?? sent?.offset;
    if (offset === undefined) throw new RegistryStorageError(`writing to ${writer.topic}`, 'the broker acknowledged the record without an offset');
    return offset;
  }

  /** The latest registered schema of a registry topic, looked up once; `tributary schemas register` puts it there. */
  private writerSchema(logical: LogicalTopicName): Promise<WriterSchema> {
    let writer = this.writerSchemas.get(logical);
    if (!writer) {
      writer = (async () => {
        const topic = topicName(this.dependencies.config, logical);
        const subject = valueSubject(topic);
        const latest = await this.dependencies.schemaRegistry.latestSchema(subject);
        if (!latest) throw new RegistryStorageError(`writing to ${topic}`, `no schema is registered under ${subject}; run \`tributary schemas register\` first`);
        return { topic, subject, schemaId: latest.id, type: avro.Type.forSchema(JSON.parse(latest.schema) as Parameters<typeof avro.Type.forSchema>[0]) };
      })();
      this.writerSchemas.set(logical, writer);
      void writer.catch(() => this.writerSchemas.delete(logical));
    }
    return writer;
  }

  private async replay(value: Buffer | null, offset: string): Promise<void> {
    if (!value) {
      this.index.recordUnreadable(offset, 'the record has no value');
      return;
    }
    let decoded: RegistryEventValue;
    try {
      decoded = (await this.eventDecoder.decode(value, { topic: this.eventTopic, partition: 0, offset })).value as RegistryEventValue;
    } catch (error) {
      // Bytes that cannot decode never will; anything else (an unreachable schema registry) fails the read, to be retried.
      if (!(error instanceof MessageDecodeError)) throw error;
      this.index.recordUnreadable(offset, error.message);
      return;
    }
    this.index.replay(decodeRegistryEvent(decoded), offset);
  }

  private classifyWriteFailure(model: string, error: unknown): unknown {
    // A writer fenced mid-transaction has its abort refused too: the TransactionAbortError then holds the fencing as its first failure.
    const fenced = kafkaErrorTypeBehind(error, FENCED_ERROR_TYPES);
    if (fenced !== undefined) return new RegistryConflictError(model, `another writer of the model took over its transactional id (${fenced})`, error);
    if (error instanceof TransactionAbortError) return new RegistryStorageError(`writing a change of ${model}`, error.message, { model, cause: error.failure });
    if (error instanceof RegistryError) return error;
    // The writer is the subject's latest schema: one registered by an older release cannot hold what this one writes (a regression's null threshold).
    if (error instanceof RecordRejectedError) {
      return new RegistryStorageError(
        `writing a change of ${model}`,
        `${error.message}; the schema registered under ${error.rejected.subject} is older than this release's: run \`tributary schemas register\` (a BACKWARD-compatible upgrade), then try again`,
        { model, retriable: false, cause: error },
      );
    }
    return new RegistryStorageError(`writing a change of ${model}`, reasonOf(error), { model, retriable: retriableOf(error), cause: error });
  }
}
