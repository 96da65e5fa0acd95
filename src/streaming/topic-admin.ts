// kafkajs is CommonJS, and Node's ESM loader cannot see ConfigResourceTypes as a named export.
import kafkajs, { type Admin, type ConfigResourceTypes, type DescribeConfigResponse, type ITopicMetadata } from 'kafkajs';
import { kafkaErrorTypeBehind, TopicAdminError } from './errors.js';
import type { CatalogueTopic } from './topic-catalogue.js';
import { reasonOf } from '../errors/tributary-error.js';

/** One setting of an existing topic that is not what the catalogue declares. */
export interface TopicDifference {
  /** `partitions`, `replication factor`, or a topic config name such as `retention.ms`. */
  readonly setting: string;
  readonly declared: string;
  readonly actual: string;
}

/**
 * `created`: this call created it. `ok`: it exists as declared. `drift`: it exists but differs
 * (see `differences`); nothing was changed. `missing`: it does not exist (only when inspecting).
 */
export type TopicState = 'created' | 'ok' | 'drift' | 'missing';

/** What creating or comparing a topic needs: a catalogue topic, or a topic a pipeline definition declares. */
export interface TopicSpec {
  /** The Kafka topic name. */
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level Kafka configs, written exactly as Kafka reports them back. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicReport<Topic extends TopicSpec = CatalogueTopic> {
  readonly topic: Topic;
  readonly state: TopicState;
  /** Declared versus actual, for a topic in `drift`; empty otherwise. */
  readonly differences: readonly TopicDifference[];
}

export interface EnsureTopicsOptions {
  /** How long the broker has to create one topic and elect its partition leaders. @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause before asking again after a retriable refusal. @default 500 */
  readonly retryPauseMs?: number;
}

const retriableOf = (error: unknown): boolean => typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;

/** kafkajs wraps the broker's refusal of each topic in an aggregate whose own message says only "Topic creation errors". */
function adminReason(error: unknown): string {
  const nested: unknown[] = typeof error === 'object' && error !== null && 'errors' in error && Array.isArray(error.errors) ? error.errors : [];
  const details = nested.map((inner) => {
    const type = typeof inner === 'object' && inner !== null && 'type' in inner && typeof inner.type === 'string' ? ` (${inner.type})` : '';
    return `${reasonOf(inner)}${type}`;
  });
  return details.length === 0 ? reasonOf(error) : `${reasonOf(error)}: ${details.join('; ')}`;
}

async function adminCall<T>(action: string, call: () => Promise<T>, topic?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new TopicAdminError(action, adminReason(error), { topic, retriable: retriableOf(error), cause: error });
  }
}

/**
 * Compares every catalogue topic with what the cluster has, without changing anything:
 * partitions, replication factor and each declared config (via DescribeConfigs).
 */
export async function inspectTopics<Topic extends TopicSpec>(admin: Admin, catalogue: readonly Topic[]): Promise<TopicReport<Topic>[]> {
  const existing = new Set(await adminCall('listing topics', () => admin.listTopics()));
  const present = catalogue.filter((topic) => existing.has(topic.name));
  const [metadata, configs] =
    present.length === 0
      ? [[], []]
      : await Promise.all([
          adminCall('fetching topic metadata', async () => (await admin.fetchTopicMetadata({ topics: present.map((topic) => topic.name) })).topics),
          adminCall('describing topic configs', async () => (await admin.describeConfigs({ resources: present.map(configQuery), includeSynonyms: false })).resources),
        ]);
  return catalogue.map((topic): TopicReport<Topic> => {
    if (!existing.has(topic.name)) return { topic, state: 'missing', differences: [] };
    const differences = [...structureDifferences(topic, metadata.find((m) => m.name === topic.name)), ...configDifferences(topic, configs.find((c) => c.resourceName === topic.name))];
    return { topic, state: differences.length === 0 ? 'ok' : 'drift', differences };
  });
}

/** The broker saying a topic does not exist. */
const UNKNOWN_TOPIC: ReadonlySet<string> = new Set(['UNKNOWN_TOPIC_OR_PARTITION']);

/**
 * Asks for the topics {@link inspectTopics} found `missing` by name. The broker lists only the
 * topics a principal may describe, so under ACLs a topic missing from the list may exist unseen;
 * asked by name, it answers TOPIC_AUTHORIZATION_FAILED for a topic the principal may not describe
 * (whether or not it exists), which this throws for the caller to name, and UNKNOWN_TOPIC_OR_PARTITION
 * for one that does not exist, which confirms it missing. Not part of `ensureTopics`: creating a
 * topic the principal may not see is refused by the broker anyway.
 */
export async function confirmMissing<Topic extends TopicSpec>(admin: Admin, reports: readonly TopicReport<Topic>[]): Promise<void> {
  const missing = reports.filter((report) => report.state === 'missing').map((report) => report.topic.name);
  if (missing.length === 0) return;
  try {
    await admin.fetchTopicMetadata({ topics: missing });
  } catch (error) {
    if (kafkaErrorTypeBehind(error, UNKNOWN_TOPIC) !== undefined) return;
    throw new TopicAdminError('fetching topic metadata', adminReason(error), { topic: missing[0], retriable: retriableOf(error), cause: error });
  }
}

/**
 * Creates every catalogue topic that does not exist yet, and reports every topic as created,
 * ok, or drift with declared versus actual values. Idempotent. It never alters an existing
 * topic: drift is reported for a person to resolve deliberately.
 */
export async function ensureTopics<Topic extends TopicSpec>(admin: Admin, catalogue: readonly Topic[], options: EnsureTopicsOptions = {}): Promise<TopicReport<Topic>[]> {
  const inspected = await inspectTopics(admin, catalogue);
  const reports: TopicReport<Topic>[] = [];
  for (const report of inspected) reports.push(report.state === 'missing' ? await createTopic(admin, report.topic, options) : report);
  return reports;
}

/**
 * Creates one topic and waits for its partition leaders. A broker that has just started may
 * not lead new partitions yet and says so with a retriable error; it is asked again until the
 * timeout, and a topic an earlier attempt created counts as created.
 */
async function createTopic<Topic extends TopicSpec>(admin: Admin, topic: Topic, options: EnsureTopicsOptions): Promise<TopicReport<Topic>> {
  const timeout = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const created = await adminCall(
        `creating topic ${topic.name}`,
        () =>
          admin.createTopics({
            topics: [
              {
                topic: topic.name,
                numPartitions: topic.partitions,
                replicationFactor: topic.replicationFactor,
                configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
              },
            ],
            waitForLeaders: true,
            timeout,
          }),
        topic.name,
      );
      if (created) return { topic, state: 'created', differences: [] };
      // false: it exists. An earlier attempt of ours created it, or another client did since we listed the topics.
      const existing = (await inspectTopics(admin, [topic]))[0]!;
      return attempt > 1 && existing.state === 'ok' ? { ...existing, state: 'created' } : existing;
    } catch (error) {
      if (!(error instanceof TopicAdminError && error.retriable) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.retryPauseMs ?? 500));
    }
  }
}

function configQuery(topic: TopicSpec): { type: ConfigResourceTypes; name: string; configNames: string[] } {
  return { type: kafkajs.ConfigResourceTypes.TOPIC, name: topic.name, configNames: Object.keys(topic.configs) };
}

function structureDifferences(topic: TopicSpec, metadata: ITopicMetadata | undefined): TopicDifference[] {
  const partitions = metadata?.partitions ?? [];
  const differences: TopicDifference[] = [];
  if (partitions.length !== topic.partitions) differences.push({ setting: 'partitions', declared: String(topic.partitions), actual: String(partitions.length) });
  const replicas = [...new Set(partitions.map((partition) => partition.replicas.length))].sort((a, b) => a - b);
  if (replicas.some((count) => count !== topic.replicationFactor)) {
    differences.push({ setting: 'replication factor', declared: String(topic.replicationFactor), actual: replicas.join(', ') });
  }
  return differences;
}

function configDifferences(topic: TopicSpec, described: DescribeConfigResponse['resources'][number] | undefined): TopicDifference[] {
  const actual = new Map((described?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]));
  return Object.entries(topic.configs).flatMap(([setting, declared]) => {
    const value = actual.get(setting) ?? '(not set)';
    return value === declared ? [] : [{ setting, declared, actual: value }];
  });
}
