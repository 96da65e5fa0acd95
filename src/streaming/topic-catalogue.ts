import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TributaryConfig } from '../config/config.js';
import { StreamingError, UnknownTopicError } from './errors.js';

/**
 * The platform's own topics, by the name code refers to it; the configured prefix turns it into
 * the Kafka topic name. A pipeline's topics (its sources, features, labels and training examples)
 * are not here: its definition names them and `pipeline apply` creates them
 * (src/pipelines/pipeline-topics.ts).
 */
export const LOGICAL_TOPIC_NAMES = ['scores', 'models', 'model-registry-events', 'deployments', 'dlq'] as const;

export type LogicalTopicName = (typeof LOGICAL_TOPIC_NAMES)[number];

/** The Avro schema of a topic's values: a file in `schemas/`. */
export interface ValueSchemaDeclaration {
  /** File name inside {@link SCHEMA_DIRECTORY}. */
  readonly file: string;
}

/** A topic as declared, before a configuration names it and picks its replication factor. */
export interface TopicDeclaration {
  readonly logical: LogicalTopicName;
  /** What the topic carries, for a person reading `tributary topics list`. */
  readonly purpose: string;
  readonly partitions: number;
  /** Topic-level Kafka configs; values are written exactly as Kafka reports them back, so drift compares as strings. */
  readonly configs: Readonly<Record<string, string>>;
  readonly valueSchema: ValueSchemaDeclaration;
}

/** A declared topic with its Kafka name and replication factor: what {@link ensureTopics} creates. */
export interface CatalogueTopic extends TopicDeclaration {
  /** The Kafka topic name: the configured prefix, then the logical name. */
  readonly name: string;
  readonly replicationFactor: number;
}

export type TopicCatalogue = readonly CatalogueTopic[];

export interface TopicCatalogueOptions {
  /** Replicas of every partition; 1 on the local single-broker stack, 3 on a production cluster. @default 1 */
  readonly replicationFactor?: number;
}

/** The part of the configuration that names topics. */
export type TopicNaming = Pick<TributaryConfig, 'topics'>;

/** Where the `.avsc` files live: `schemas/` at the package root, both from `src/` and from `dist/`. */
export const SCHEMA_DIRECTORY = fileURLToPath(new URL('../../schemas/', import.meta.url));

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/**
 * A model artifact is one record. The topic-level `max.message.bytes` overrides the broker's
 * `message.max.bytes` (1 MiB by default) for this topic alone, so the broker needs no change;
 * since KIP-74 fetches return a first record larger than the fetch size, so consumers and
 * replicas read it too.
 */
const MODEL_ARTIFACT_MAX_BYTES = 16 * 1024 * 1024;

/** An event stream: deleted by age, so it can be replayed within the retention. */
const stream = (retentionDays: number): Record<string, string> => ({ 'cleanup.policy': 'delete', 'retention.ms': String(retentionDays * DAY_MS) });

/**
 * Latest value per key, kept forever. A consumer up to an hour behind still sees every
 * intermediate value, because compaction leaves the last hour alone.
 */
const compacted = (): Record<string, string> => ({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(HOUR_MS) });

const DECLARATIONS: { readonly [Name in LogicalTopicName]: Omit<TopicDeclaration, 'logical'> } = {
  scores: {
    purpose: 'every scored event with its prediction and the model version and A/B variant that made it',
    partitions: 3,
    // Joined with labels that arrive weeks later to compare variants on live traffic.
    configs: stream(30),
    valueSchema: { file: 'score.avsc' },
  },
  models: {
    purpose: 'model artifacts and metadata, one record per model version',
    partitions: 1,
    configs: { ...compacted(), 'max.message.bytes': String(MODEL_ARTIFACT_MAX_BYTES) },
    valueSchema: { file: 'model-artifact.avsc' },
  },
  'model-registry-events': {
    purpose: 'the model registry\'s decisions (versions registered, stage changes, alias moves) with who, when and why',
    // One partition: a total order of every decision, which each reader folds into the same index.
    partitions: 1,
    // Kept forever and never compacted: the history of which version served when, and who decided, is the point.
    configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
    valueSchema: { file: 'registry-event.avsc' },
  },
  deployments: {
    purpose: 'which model versions serve which share of traffic; scoring workers hot-swap on change',
    partitions: 1,
    configs: compacted(),
    valueSchema: { file: 'model-deployment.avsc' },
  },
  dlq: {
    purpose: 'records a component could not process, with the reason, the source position and the original bytes',
    partitions: 3,
    // A person needs time to look at dead letters and replay them.
    configs: stream(30),
    valueSchema: { file: 'dead-letter.avsc' },
  },
};

/** Narrows a string to a logical topic name, or throws {@link UnknownTopicError} listing the declared ones. */
export function logicalTopicName(name: string): LogicalTopicName {
  if ((LOGICAL_TOPIC_NAMES as readonly string[]).includes(name)) return name as LogicalTopicName;
  throw new UnknownTopicError(name, LOGICAL_TOPIC_NAMES);
}

/** The declaration of one logical topic; throws {@link UnknownTopicError} for a name the catalogue does not declare. */
export function topicDeclaration(logical: string): TopicDeclaration {
  const name = logicalTopicName(logical);
  return { logical: name, ...DECLARATIONS[name] };
}

/** The Kafka topic name of a logical topic: `tributary.scores` with the default prefix. */
export function topicName(config: TopicNaming, logical: string): string {
  return `${config.topics.prefix}${logicalTopicName(logical)}`;
}

/** The Schema Registry subject of a topic's values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Absolute path of a declared schema file. */
export function schemaFilePath(schema: ValueSchemaDeclaration): string {
  return join(SCHEMA_DIRECTORY, schema.file);
}

/**
 * The full catalogue for a configuration: every declared topic with its Kafka name and
 * replication factor. `min.insync.replicas` follows the replication factor, so an acks=all
 * write survives the loss of one replica wherever there is more than one.
 */
export function topicCatalogue(config: TopicNaming, options: TopicCatalogueOptions = {}): TopicCatalogue {
  const replicationFactor = options.replicationFactor ?? 1;
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new StreamingError(`replication factor must be a whole number of at least 1, got ${replicationFactor}`);
  }
  const minInSyncReplicas = String(Math.max(1, replicationFactor - 1));
  return LOGICAL_TOPIC_NAMES.map((logical) => {
    const declaration = topicDeclaration(logical);
    return {
      ...declaration,
      name: topicName(config, logical),
      replicationFactor,
      configs: { ...declaration.configs, 'min.insync.replicas': minInSyncReplicas },
    };
  });
}
