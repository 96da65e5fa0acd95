/**
 * The topics a worker reads from its start: the model registry's two (opened before the worker
 * polls) and the deployments log (opened by the first deployment or rollout). They are checked
 * before anything opens them, so a topic prefix with no Tributary topics yet fails in one line
 * that says how to set it up. The worker does not create them, as `tributary serve` and
 * `tributary models` do not: a mistyped prefix would get an empty registry of its own, and the
 * registry also needs its schemas registered, which is `tributary schemas register`'s job.
 */
import type { Admin } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { TributaryError, type TributaryErrorOptions } from '../errors/tributary-error.js';
import { connectKafkaAdmin } from '../streaming/kafka-admin.js';
import { topicName, type LogicalTopicName } from '../streaming/topic-catalogue.js';

const WORKER_TOPICS: readonly LogicalTopicName[] = ['models', 'model-registry-events', 'deployments'];

/** The worker cannot start on the configured Kafka: a topic it reads is missing, or Kafka cannot be reached. */
export class WorkerTopicsError extends TributaryError {
  override readonly name = 'WorkerTopicsError';

  constructor(
    message: string,
    /** The topics missing; empty when Kafka could not be asked. */
    readonly missing: readonly string[],
    options: TributaryErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The worker's topics of the configured prefix that `admin` does not list, in the order the worker opens them. */
export async function missingWorkerTopics(config: Pick<TributaryConfig, 'topics'>, admin: Pick<Admin, 'listTopics'>): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return WORKER_TOPICS.map((logical) => topicName(config, logical)).filter((topic) => !existing.has(topic));
}

/** Throws {@link WorkerTopicsError} naming the missing topics and what creates them; resolves when all exist. */
export async function checkWorkerTopics(config: TributaryConfig): Promise<void> {
  const { admin } = await connectKafkaAdmin(config, 'worker-topics', ({ action, reason, retriable, cause }) => new WorkerTopicsError(`${action} failed: ${reason}`, [], { retriable, cause }), {
    attempt: { operation: 'describe', topics: WORKER_TOPICS.map((logical) => topicName(config, logical)) },
  });
  let missing: string[];
  try {
    missing = await missingWorkerTopics(config, admin);
  } finally {
    await admin.disconnect();
  }
  if (missing.length === 0) return;
  throw new WorkerTopicsError(
    `Kafka at ${config.kafka.brokers.join(',')} has no ${missing.join(', ')} (topic prefix "${config.topics.prefix}"), which the worker reads: ` +
      'create the prefix\'s topics with `tributary topics ensure` and their schemas with `tributary schemas register`, ' +
      'or set TRIBUTARY_TOPIC_PREFIX to the prefix your topics have',
    missing,
  );
}
