/**
 * The `deployments` topic as a table: the latest {@link ModelDeployment} per model, read by
 * following the topic's one partition from its beginning (it is compacted, so that is the
 * current table plus recent history). Writers of one model are serialised by a Kafka
 * transactional id per model: starting a transaction fences any earlier writer and aborts its
 * open transaction before the new writer reads the latest revision, so two publishers (a rollout
 * and a feature-job upgrade) never both build on the same revision.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { PartitionFollower } from '../registry/partition-follower.js';
import { createAvroDecoder, type AvroDecoder } from '../streaming/avro-decoder.js';
import { encodeRecords, type WriterSchema } from '../streaming/avro-producer.js';
import { kafkaErrorType, TransactionAbortError } from '../streaming/errors.js';
import { connectKafkaAdmin } from '../streaming/kafka-admin.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { appendAsSingleWriter, FENCED_ERROR_TYPES } from '../streaming/single-writer-append.js';
import { prePipelineTopicName } from '../streaming/pre-pipeline-topics.js';
import { schemaFilePath, topicDeclaration, topicName, valueSubject, type TopicNaming } from '../streaming/topic-catalogue.js';
import avro from 'avsc';
import { DeploymentConflictError, DeploymentError } from './deployment-errors.js';
import { applyDeploymentChange, type ChallengerMode, type DeploymentChange, type ModelDeployment, type ServedModel } from './model-deployment.js';

/** Called with a model's deployment now (when it has one) and with every later revision, in order. */
export type DeploymentListener = (deployment: ModelDeployment) => void | Promise<void>;

export interface DeploymentSubscription {
  /** No further calls after this resolves. */
  stop(): Promise<void>;
}

export interface DeploymentLog {
  /** The latest deployment of `model` once everything committed so far has been read; undefined when it was never deployed. */
  latest(model: string): Promise<ModelDeployment | undefined>;
  /** The latest deployment of every model, once caught up. */
  all(): Promise<readonly ModelDeployment[]>;
  /** Applies `change` to the latest revision and publishes the next one; returns it once it is readable. */
  publish(model: string, change: DeploymentChange): Promise<ModelDeployment>;
  /**
   * Calls `onChange` for the latest deployment of `model` and every later revision, one call at a
   * time and in revision order; a slow listener delays only itself. A listener that throws is
   * reported to `onError` and keeps receiving later revisions.
   */
  follow(model: string, onChange: DeploymentListener, onError?: (error: unknown) => void): Promise<DeploymentSubscription>;
  close(): Promise<void>;
}

/** Avro shape of schemas/model-deployment.avsc. */
interface ModelDeploymentValue {
  readonly model: string;
  readonly revision: number;
  readonly features_topic: string;
  readonly features_handoff: { readonly previous_topic: string; readonly overlap_from: readonly { readonly partition: number; readonly offset: number }[] } | null;
  readonly champion: ServedModel | null;
  readonly challenger: ServedModel | null;
  readonly challenger_mode: ChallengerMode;
  readonly challenger_share: number;
  readonly updated_at: number;
  readonly updated_by: string;
  readonly reason: string;
}

export function toDeploymentValue(deployment: ModelDeployment): ModelDeploymentValue {
  const handoff = deployment.featuresHandoff;
  return {
    model: deployment.model,
    revision: deployment.revision,
    features_topic: deployment.featuresTopic,
    features_handoff: handoff && {
      previous_topic: handoff.previousTopic,
      overlap_from: handoff.overlapFrom.map(({ partition, offset }) => ({ partition, offset: Number(offset) })),
    },
    champion: deployment.champion && { version: deployment.champion.version, sha256: deployment.champion.sha256 },
    challenger: deployment.challenger && { version: deployment.challenger.version, sha256: deployment.challenger.sha256 },
    challenger_mode: deployment.challengerMode,
    challenger_share: deployment.challengerShare,
    updated_at: deployment.updatedAt,
    updated_by: deployment.updatedBy,
    reason: deployment.reason,
  };
}

export function fromDeploymentValue(value: ModelDeploymentValue): ModelDeployment {
  const handoff = value.features_handoff;
  return {
    model: value.model,
    revision: Number(value.revision),
    featuresTopic: value.features_topic,
    featuresHandoff: handoff && {
      previousTopic: handoff.previous_topic,
      overlapFrom: handoff.overlap_from.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
    },
    champion: value.champion && { version: value.champion.version, sha256: value.champion.sha256 },
    challenger: value.challenger && { version: value.challenger.version, sha256: value.challenger.sha256 },
    challengerMode: value.challenger_mode,
    challengerShare: value.challenger_share,
    updatedAt: Number(value.updated_at),
    updatedBy: value.updated_by,
    reason: value.reason,
  };
}

/** Listeners of one model, each with the chain its calls run on. */
class ListenerSet {
  private readonly entries = new Set<{ readonly listener: DeploymentListener; readonly onError: (error: unknown) => void; chain: Promise<void> }>();

  add(listener: DeploymentListener, onError: (error: unknown) => void, current: ModelDeployment | undefined): DeploymentSubscription {
    const entry = { listener, onError, chain: Promise.resolve() };
    this.entries.add(entry);
    if (current) this.deliver(entry, current);
    return {
      // Revisions already handed over are still delivered; none after.
      stop: async () => {
        await entry.chain;
        this.entries.delete(entry);
      },
    };
  }

  notify(deployment: ModelDeployment): void {
    for (const entry of this.entries) this.deliver(entry, deployment);
  }

  private deliver(entry: { readonly listener: DeploymentListener; readonly onError: (error: unknown) => void; chain: Promise<void> }, deployment: ModelDeployment): void {
    entry.chain = entry.chain.then(async () => {
      if (!this.entries.has(entry)) return;
      try {
        await entry.listener(deployment);
      } catch (error) {
        entry.onError(error);
      }
    });
  }
}

/** The table both implementations keep: latest revision per model, and who listens. */
class DeploymentTable {
  private readonly latestByModel = new Map<string, ModelDeployment>();
  private readonly listeners = new Map<string, ListenerSet>();

  get(model: string): ModelDeployment | undefined {
    return this.latestByModel.get(model);
  }

  values(): ModelDeployment[] {
    return [...this.latestByModel.values()].sort((a, b) => a.model.localeCompare(b.model));
  }

  /** Keeps `deployment` when it is newer than what the table holds (a record read twice is ignored) and tells the model's listeners. */
  apply(deployment: ModelDeployment): void {
    const known = this.latestByModel.get(deployment.model);
    if (known && known.revision >= deployment.revision) return;
    this.latestByModel.set(deployment.model, deployment);
    this.listeners.get(deployment.model)?.notify(deployment);
  }

  listen(model: string, listener: DeploymentListener, onError: (error: unknown) => void): DeploymentSubscription {
    let set = this.listeners.get(model);
    if (!set) {
      set = new ListenerSet();
      this.listeners.set(model, set);
    }
    return set.add(listener, onError, this.latestByModel.get(model));
  }
}

const reportToStderr = (error: unknown): void => console.error(`deployment listener failed: ${reasonOf(error)}`);

/** A deployment log in memory, with the same rules as the Kafka one: for tests and single-process tools. */
export class InMemoryDeploymentLog implements DeploymentLog {
  private readonly table = new DeploymentTable();

  constructor(
    private readonly defaultFeaturesTopic = 'tributary.features',
    private readonly now: () => number = Date.now,
  ) {}

  latest(model: string): Promise<ModelDeployment | undefined> {
    return Promise.resolve(this.table.get(model));
  }

  all(): Promise<readonly ModelDeployment[]> {
    return Promise.resolve(this.table.values());
  }

  publish(model: string, change: DeploymentChange): Promise<ModelDeployment> {
    try {
      const next = applyDeploymentChange(this.table.get(model), model, change, this.now(), this.defaultFeaturesTopic);
      this.table.apply(next);
      return Promise.resolve(next);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  follow(model: string, onChange: DeploymentListener, onError: (error: unknown) => void = reportToStderr): Promise<DeploymentSubscription> {
    return Promise.resolve(this.table.listen(model, onChange, onError));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface KafkaDeploymentLogOptions {
  /** How long reading the topic to its end may take. @default 30_000 */
  readonly readTimeoutMs?: number;
  /** Attempts of a publish that another process's writer interrupted. @default 5 */
  readonly publishAttempts?: number;
}

interface KafkaDeploymentLogDependencies {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById'>;
  readonly config: TopicNaming;
}

/** Another writer took over, or (CONCURRENT_TRANSACTIONS) the coordinator is still ending the fenced writer's transaction: a later attempt can succeed. */
const CONFLICT_ERRORS: ReadonlySet<string> = new Set([...FENCED_ERROR_TYPES, 'CONCURRENT_TRANSACTIONS']);

function deploymentReaderType(): avro.Type {
  const declared = topicDeclaration('deployments').valueSchema;
  return loadSchemaFile(schemaFilePath(declared)).type;
}

/** The deployment table on Kafka; see the module comment. */
export class KafkaDeploymentLog implements DeploymentLog {
  private readonly table = new DeploymentTable();
  private readonly topic: string;
  private readonly decoder: AvroDecoder;
  private readonly readTimeoutMs: number;
  private writer: Promise<WriterSchema> | undefined;
  private follower: PartitionFollower | undefined;
  private readonly publishing = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly dependencies: KafkaDeploymentLogDependencies,
    private readonly options: KafkaDeploymentLogOptions,
    private readonly release: () => Promise<void>,
  ) {
    this.topic = topicName(dependencies.config, 'deployments');
    this.decoder = createAvroDecoder(dependencies.schemaRegistry, { readerSchema: deploymentReaderType() });
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
  }

  /** Reads the topic from its beginning and returns once everything committed so far is in the table. */
  static async open(dependencies: KafkaDeploymentLogDependencies, options: KafkaDeploymentLogOptions = {}, release: () => Promise<void> = () => Promise.resolve()): Promise<KafkaDeploymentLog> {
    const log = new KafkaDeploymentLog(dependencies, options, release);
    try {
      log.follower = await PartitionFollower.start({
        kafka: dependencies.kafka,
        admin: dependencies.admin,
        topic: log.topic,
        groupIdPrefix: `${dependencies.config.topics.prefix}deployments-reader`,
        onMessage: (message) => log.replay(message),
      });
      await log.follower.catchUp(log.readTimeoutMs);
    } catch (error) {
      await log.close();
      throw error;
    }
    return log;
  }

  async latest(model: string): Promise<ModelDeployment | undefined> {
    await this.following().catchUp(this.readTimeoutMs);
    return this.table.get(model);
  }

  async all(): Promise<readonly ModelDeployment[]> {
    await this.following().catchUp(this.readTimeoutMs);
    return this.table.values();
  }

  async follow(model: string, onChange: DeploymentListener, onError: (error: unknown) => void = reportToStderr): Promise<DeploymentSubscription> {
    await this.following().catchUp(this.readTimeoutMs);
    return this.table.listen(model, onChange, onError);
  }

  /** Publishes of this process run one after another per model, so only other processes can interrupt one. */
  publish(model: string, change: DeploymentChange): Promise<ModelDeployment> {
    const run = (this.publishing.get(model) ?? Promise.resolve()).then(() => this.publishWithRetries(model, change));
    this.publishing.set(model, run.catch(() => undefined));
    return run;
  }

  private async publishWithRetries(model: string, change: DeploymentChange): Promise<ModelDeployment> {
    const attempts = this.options.publishAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.publishOnce(model, change);
      } catch (error) {
        if (!(error instanceof DeploymentConflictError) || attempt >= attempts) throw error;
        // The writers that collided back off by different amounts, so the next attempt rarely collides again.
        await delay(100 * attempt + Math.random() * 200);
      }
    }
  }

  async close(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    try {
      await follower?.stop();
    } finally {
      await this.release();
    }
  }

  private async publishOnce(model: string, change: DeploymentChange): Promise<ModelDeployment> {
    const { kafka, config } = this.dependencies;
    const published = await appendAsSingleWriter({
      kafka,
      transactionalId: `${config.topics.prefix}deployments.${model}`,
      transactionTimeoutMs: 30_000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
      reader: this.following(),
      readTimeoutMs: this.readTimeoutMs,
      // A first deployment that names no features topic (callers from before pipelines named theirs) reads the pre-pipeline one.
      decide: () => applyDeploymentChange(this.table.get(model), model, change, Date.now(), prePipelineTopicName(config, 'features')),
      append: async (transaction, deployment) => {
        const writer = await this.writerSchema();
        const [sent] = await transaction.send({ topic: this.topic, messages: encodeRecords(writer, [{ key: model, value: toDeploymentValue(deployment) }]), acks: -1, timeout: 30_000 });
        const offset = sent?.baseOffset ?? sent?.offset;
        if (offset === undefined) throw new DeploymentError(model, `the broker acknowledged the write to ${this.topic} without an offset`);
        return { written: deployment, offset };
      },
      classifyFailure: (error) => this.classifyFailure(model, error),
    });
    // applyDeploymentChange returns a deployment or throws, so a publish always appends one.
    return published!.written;
  }

  private classifyFailure(model: string, error: unknown): unknown {
    // Nothing of an unaborted transaction becomes visible (the broker aborts it), so the first failure is the one to report.
    if (error instanceof TransactionAbortError) return this.classifyFailure(model, error.failure);
    if (error instanceof DeploymentError) return error;
    const type = kafkaErrorType(error);
    if (type !== undefined && CONFLICT_ERRORS.has(type)) return new DeploymentConflictError(model, `another writer took over its transactional id (${type})`, { retriable: true, cause: error });
    return new DeploymentError(model, `writing to ${this.topic} failed: ${reasonOf(error)}`, { retriable: true, cause: error });
  }

  private writerSchema(): Promise<WriterSchema> {
    if (!this.writer) {
      const subject = valueSubject(this.topic);
      this.writer = (async () => {
        const latest = await this.dependencies.schemaRegistry.latestSchema(subject);
        if (!latest) throw new DeploymentError('(any model)', `no schema is registered under ${subject}; run \`tributary schemas register\` first`);
        return { topic: this.topic, subject, schemaId: latest.id, type: avro.Type.forSchema(JSON.parse(latest.schema) as Parameters<typeof avro.Type.forSchema>[0]) };
      })();
      this.writer.catch(() => (this.writer = undefined));
    }
    return this.writer;
  }

  private following(): PartitionFollower {
    if (!this.follower) throw new DeploymentError('(any model)', `the deployment log of ${this.topic} is closed`);
    return this.follower;
  }

  private async replay(message: KafkaMessage): Promise<void> {
    // A record that cannot be decoded is not a deployment; scorers keep what they serve. The
    // schema registry being unreachable is not the record's fault: that fails the read, to be retried.
    if (!message.value) return;
    let value: ModelDeploymentValue;
    try {
      value = (await this.decoder.decode(message.value, { topic: this.topic, partition: 0, offset: message.offset })).value as ModelDeploymentValue;
    } catch (error) {
      console.error(`skipping record at offset ${message.offset} of ${this.topic}: ${reasonOf(error)}`);
      return;
    }
    this.table.apply(fromDeploymentValue(value));
  }
}

/** Connects to the configured Kafka and Schema Registry and opens the deployment table; `close()` releases both. */
export async function openDeploymentLog(config: TributaryConfig, options: KafkaDeploymentLogOptions = {}): Promise<DeploymentLog> {
  const { kafka, admin } = await connectKafkaAdmin(config, 'deployments', ({ action, reason, retriable, cause }) => new DeploymentError('(any model)', `${action} failed: ${reason}`, { retriable, cause }));
  try {
    return await KafkaDeploymentLog.open({ kafka, admin, schemaRegistry: createSchemaRegistryClient(config.schemaRegistry), config }, options, () => admin.disconnect());
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
}
