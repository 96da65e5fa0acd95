/**
 * The pipeline store on Kafka: every revision is one record of the `pipelines` topic (one
 * partition, so every reader folds the same order), keyed `<name>:<revision>`. The topic is
 * compacted, and as no key is ever written twice compaction removes nothing: the history is kept
 * for good, without a retention to outlive. Values are the revision as JSON: a definition is a
 * JSON document checked by its own JSON Schema, which an Avro schema would only restate.
 *
 * Writes work as the model registry's do (src/registry/kafka-registry-store.ts), on the same
 * partition reader: a transactional id per pipeline fences an earlier writer of it before the
 * store catches up and decides, so two applies of one pipeline never take the same number.
 *
 * It lives above src/pipelines, not in it: the definition contract is imported by the registry,
 * training and flink, so it may import none of them, and this store reads with the registry's
 * partition reader.
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { PartitionFollower } from '../registry/partition-follower.js';
import { kafkaErrorTypeBehind, TransactionAbortError } from '../streaming/errors.js';
import { openCaughtUp } from '../streaming/caught-up-open.js';
import { kafkaAccessError } from '../streaming/kafka-client.js';
import { connectKafkaAdmin } from '../streaming/kafka-admin.js';
import { appendAsSingleWriter, FENCED_ERROR_TYPES } from '../streaming/single-writer-append.js';
import { ensureTopics, type TopicSpec } from '../streaming/topic-admin.js';
import type { TopicNaming } from '../streaming/topic-catalogue.js';
import { PipelineError, PipelineStoreError } from '../pipelines/errors.js';
import type { DeletionStamp, PipelineRevision, PipelineStore, RecordOutcome, RevisionDraft } from '../pipelines/pipeline-store.js';
import { RevisionHistory } from '../pipelines/revision-history.js';

export interface KafkaPipelineStoreOptions {
  /** How long reading the topic to its end offset may take. @default 30_000 */
  readonly readTimeoutMs?: number;
  /** How long a write's transaction may stay open before the broker aborts it. @default 60_000 */
  readonly transactionTimeoutMs?: number;
  /** Replicas of the topic's partition when a first write creates it; 1 on the local stack. @default 1 */
  readonly replicationFactor?: number;
}

export interface KafkaPipelineStoreDependencies {
  readonly kafka: Kafka;
  /** Connected admin client; the store uses it and leaves disconnecting it to its owner. */
  readonly admin: Admin;
  readonly config: TopicNaming;
}

const HOUR_MS = 3_600_000;

/** The Kafka topic of the store: `<prefix>pipelines`. */
export function pipelinesTopic(config: TopicNaming): string {
  return `${config.topics.prefix}pipelines`;
}

/** The prefix of the store's transactional ids, one per pipeline: `<prefix>pipeline-store.<name>`. */
export const pipelineStoreTransactionalIdPrefix = (config: TopicNaming): string => `${config.topics.prefix}pipeline-store.`;

/** The store's topic as its first write creates it (and as a Kubernetes install declares it). */
export function pipelinesTopicSpec(config: TopicNaming, replicationFactor = 1): TopicSpec {
  return { name: pipelinesTopic(config), partitions: 1, replicationFactor, configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(HOUR_MS) } };
}

const retriableOf = (error: unknown): boolean => typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;

export class KafkaPipelineStore implements PipelineStore {
  readonly topic: string;
  private readonly revisions = new RevisionHistory();
  private readonly readTimeoutMs: number;
  private follower: PartitionFollower | undefined;
  private closed = false;

  private constructor(
    private readonly dependencies: KafkaPipelineStoreDependencies,
    private readonly options: KafkaPipelineStoreOptions,
    private readonly release: () => Promise<void>,
  ) {
    this.topic = pipelinesTopic(dependencies.config);
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
  }

  /**
   * Opens the store on existing clients. Creates nothing: until a first write creates the topic,
   * the store is empty, so reading it (`pipeline plan`, `list`) leaves the cluster as it was.
   * `release` runs on close, after the reader stops: it frees clients the caller handed over.
   */
  static async open(dependencies: KafkaPipelineStoreDependencies, options: KafkaPipelineStoreOptions = {}, release: () => Promise<void> = () => Promise.resolve()): Promise<KafkaPipelineStore> {
    return openCaughtUp(new KafkaPipelineStore(dependencies, options, release), (store) => store.catchUp());
  }

  async current(name: string): Promise<PipelineRevision | undefined> {
    await this.catchUp();
    return this.revisions.current(name);
  }

  async revision(name: string, revision: number): Promise<PipelineRevision | undefined> {
    await this.catchUp();
    return this.revisions.revision(name, revision);
  }

  async history(name: string): Promise<readonly PipelineRevision[]> {
    await this.catchUp();
    return this.revisions.history(name);
  }

  async list(): Promise<readonly PipelineRevision[]> {
    await this.catchUp();
    return this.revisions.list();
  }

  async record(draft: RevisionDraft): Promise<RecordOutcome> {
    const written = await this.write(draft.name, () => this.revisions.decideRecord(draft));
    return written ? { recorded: true, revision: written } : { recorded: false, revision: this.revisions.current(draft.name)! };
  }

  async markDeleted(name: string, stamp: DeletionStamp): Promise<PipelineRevision> {
    return (await this.write(name, () => this.revisions.decideDeletion(name, stamp)))!;
  }

  async close(): Promise<void> {
    this.closed = true;
    const follower = this.follower;
    this.follower = undefined;
    try {
      await follower?.stop();
    } finally {
      await this.release();
    }
  }

  /** Makes every revision committed before the call visible; a topic not created yet holds none. */
  private async catchUp(): Promise<void> {
    const follower = await this.following({ create: false });
    await follower?.catchUp(this.readTimeoutMs);
  }

  /** The reader of the topic, started on first need; undefined while the topic does not exist and `create` is false. */
  private async following({ create }: { readonly create: boolean }): Promise<PartitionFollower | undefined> {
    if (this.closed) throw new PipelineStoreError(`reading ${this.topic}`, 'the store is closed');
    if (this.follower) return this.follower;
    const { admin, kafka } = this.dependencies;
    try {
      if (create) {
        await ensureTopics(admin, [pipelinesTopicSpec(this.dependencies.config, this.options.replicationFactor)]);
      } else if (!(await admin.listTopics()).includes(this.topic)) {
        return undefined;
      }
    } catch (error) {
      throw this.storageError(`${create ? 'creating' : 'looking for'} topic ${this.topic}`, error);
    }
    this.follower = await PartitionFollower.start({
      kafka,
      admin,
      topic: this.topic,
      groupIdPrefix: `${this.dependencies.config.topics.prefix}pipeline-store-reader`,
      onMessage: (message) => this.replay(message),
    });
    return this.follower;
  }

  /**
   * Runs `decide` as the only writer of `name` on a caught-up history, appends the revision it
   * returns and resolves once the history holds it (src/streaming/single-writer-append.ts).
   * Resolves undefined when `decide` does.
   */
  private async write(name: string, decide: () => PipelineRevision | undefined): Promise<PipelineRevision | undefined> {
    const follower = (await this.following({ create: true }))!;
    const appended = await appendAsSingleWriter({
      kafka: this.dependencies.kafka,
      transactionalId: `${pipelineStoreTransactionalIdPrefix(this.dependencies.config)}${name}`,
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? 60_000,
      // Bounded as the registry's and the deployment log's writers are: kafkajs retries an
      // idempotent producer without end by default, and an apply should fail with the cause.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
      reader: follower,
      readTimeoutMs: this.readTimeoutMs,
      decide,
      append: async (transaction, revision) => {
        const [sent] = await transaction.send({ topic: this.topic, acks: -1, messages: [{ key: `${revision.name}:${revision.revision}`, value: JSON.stringify(revision) }] });
        const offset = sent?.baseOffset ?? sent?.offset;
        if (offset === undefined) throw new PipelineStoreError(`writing to ${this.topic}`, 'the broker acknowledged the record without an offset', { pipeline: name });
        return { written: revision, offset };
      },
      classifyFailure: (error) => this.classifyWriteFailure(name, error),
    });
    if (!appended) return undefined;
    const { written, offset } = appended;
    if (this.revisions.revision(name, written.revision)?.digest !== written.digest) {
      throw new PipelineStoreError(`recording revision ${written.revision} of ${name}`, `another revision with that number was read back at offset ${offset}; apply again`, { pipeline: name, retriable: true });
    }
    return written;
  }

  private replay(message: KafkaMessage): void {
    // A record that is not a revision cannot become one on a later read; the fold skips it, as it skips a duplicate number.
    if (!message.value) return;
    let revision: PipelineRevision;
    try {
      revision = JSON.parse(message.value.toString('utf8')) as PipelineRevision;
    } catch {
      return;
    }
    if (typeof revision.name === 'string' && typeof revision.revision === 'number') this.revisions.apply(revision);
  }

  private classifyWriteFailure(name: string, error: unknown): unknown {
    // Nothing of an unaborted transaction becomes visible (the broker aborts it), so the first failure is the one to report.
    if (error instanceof TransactionAbortError) return this.classifyWriteFailure(name, error.failure);
    if (error instanceof PipelineError) return error;
    const type = kafkaErrorTypeBehind(error, FENCED_ERROR_TYPES);
    if (type !== undefined) {
      return new PipelineStoreError(`recording a revision of ${name}`, `another apply of the pipeline took over (${type}); nothing was recorded, apply again`, { pipeline: name, retriable: true, cause: error });
    }
    return this.storageError(`recording a revision of ${name}`, error, name);
  }

  private storageError(action: string, error: unknown, pipeline?: string): PipelineStoreError {
    if (error instanceof PipelineStoreError) return error;
    const refusal = kafkaAccessError(this.dependencies.kafka, error, { operation: 'write', topics: [this.topic] });
    if (refusal) return new PipelineStoreError(action, refusal.message, { pipeline, cause: refusal });
    return new PipelineStoreError(action, reasonOf(error), { pipeline, retriable: retriableOf(error), cause: error });
  }
}

/** Connects to the configured Kafka and opens a {@link KafkaPipelineStore}; its `close` also disconnects. */
export async function createPipelineStore(config: TributaryConfig, options: KafkaPipelineStoreOptions = {}): Promise<KafkaPipelineStore> {
  const { kafka, admin } = await connectKafkaAdmin(config, 'pipeline-store', ({ action, reason, retriable, cause }) => new PipelineStoreError(action, reason, { retriable, cause }));
  // open closes the store, and so disconnects the admin, when it fails.
  return KafkaPipelineStore.open({ kafka, admin, config }, options, () => admin.disconnect());
}
