/**
 * The scoring worker coordinates the parts that score one model's features stream, and owns
 * readiness, stopping and the refusal rule. {@link DeploymentFollower} keeps the served models on
 * the model's deployment; {@link ConsumerLifecycle} consumes its features topic in a consumer group
 * (moving between topics through {@link ScorerHandoff}, restarting after crashes);
 * {@link ChunkProcessor} scores each fetched batch in chunks and commits the output with the
 * consumed offsets (exactly-once or at-least-once, see scorer-output.ts).
 *
 * The broker refusing this principal (a rejected login; no ACL for the features topic, the output
 * topics, the consumer group or the transactional id) is final wherever a part meets it: only a new
 * ACL or other credentials change the answer, so the worker stops without retrying and
 * {@link ScoringWorker.failed} resolves with the error that names who was refused what. Anything
 * else is retried by the part that met it.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { KafkaAuthorizationError, type KafkaAccessAttempt } from '../streaming/errors.js';
import { explainRefusal, kafkaCoordinatorProbe, type CoordinatorKey, type CoordinatorProbe, type KafkaRefusal } from '../streaming/kafka-refusal.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import type { TopicNaming } from '../streaming/topic-catalogue.js';
import { ChunkProcessor } from './chunk-processor.js';
import { ConsumerLifecycle } from './consumer-lifecycle.js';
import type { DeploymentLog } from './deployment-log.js';
import { DeploymentFollower } from './deployment-follower.js';
import type { Readiness } from './health-server.js';
import { createBackoff } from './retry-backoff.js';
import type { ScorerMetrics } from './scorer-metrics.js';
import { ScorerHandoff } from './scorer-handoff.js';
import { catalogueScorerTopics, type DeliveryMode, type ScorerTopics } from './scorer-output.js';
import type { ServedModels } from './served-models.js';

export interface ScoringWorkerOptions {
  readonly model: string;
  /** Consumer group; workers with the same group share the partitions. @default `<topic prefix>scorer.<model>` */
  readonly groupId?: string;
  /** @default 'exactly-once' */
  readonly delivery?: DeliveryMode;
  /** Most records scored and committed together; a fetched batch is cut into chunks of this size. @default 500 */
  readonly batchSize?: number;
  /** Partitions processed at once (each has its own transactions). @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** Longest wait between attempts of a failed chunk. @default 10_000 */
  readonly maxRetryDelayMs?: number;
  /** Where scores and dead letters go: the pipeline's topics. @default the catalogue's `<prefix>scores` and `<prefix>dlq` */
  readonly outputTopics?: ScorerTopics;
}

export interface ScoringWorkerDependencies {
  readonly config: TopicNaming & Pick<TributaryConfig, 'kafka'>;
  readonly kafka: Kafka;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById' | 'register' | 'setCompatibilityLevel'>;
  readonly deployments: DeploymentLog;
  readonly servedModels: ServedModels;
  readonly metrics: ScorerMetrics;
  /** One line per event a person wants to see. */
  readonly log: (line: string) => void;
}

export function defaultScorerGroupId(config: TopicNaming, model: string): string {
  return `${config.topics.prefix}scorer.${model}`;
}

/** Runs until stop(); see the module comment. */
export class ScoringWorker {
  private readonly groupId: string;
  private readonly delivery: DeliveryMode;
  private readonly admin: Admin;
  private readonly coordinatorProbe: CoordinatorProbe;
  /** Wakes the parts' back-offs when the worker stops. */
  private readonly stopSignal = new AbortController();
  private readonly follower: DeploymentFollower;
  private readonly consumer: ConsumerLifecycle;
  private stopping: Promise<void> | undefined;
  /** The refusal that stopped the worker, once one did. */
  private refusal: KafkaRefusal | undefined;
  private settleFailed: (refusal: KafkaRefusal) => void = () => undefined;
  /**
   * Resolves, once the worker has stopped, with the broker's refusal that stopped it (see the
   * module comment); stays pending while it runs and after an ordinary stop().
   */
  readonly failed: Promise<KafkaRefusal>;

  private constructor(
    private readonly dependencies: ScoringWorkerDependencies,
    private readonly options: ScoringWorkerOptions,
  ) {
    const { config, kafka, schemaRegistry, deployments, servedModels, metrics, log } = dependencies;
    const groupId = (this.groupId = options.groupId ?? defaultScorerGroupId(config, options.model));
    const delivery = (this.delivery = options.delivery ?? 'exactly-once');
    const batchSize = options.batchSize ?? 500;
    const admin = (this.admin = kafka.admin());
    this.coordinatorProbe = kafkaCoordinatorProbe(config);
    this.failed = new Promise((resolve) => {
      this.settleFailed = resolve;
    });
    const backoff = createBackoff(options.maxRetryDelayMs ?? 10_000, this.stopSignal.signal);
    // Each record in its writer schema's shape: the models' vectorisers and identity fields read it by field name, for any pipeline.
    const decoder = createAvroDecoder(schemaRegistry);
    const chunks = new ChunkProcessor({ decoder, servedModels, metrics, log, backoff, refused: (refusal) => this.fail(refusal) }, batchSize);
    const handoff = new ScorerHandoff({
      admin, openReader: (groupIdPrefix) => createOffsetRangeReader(kafka, { groupIdPrefix }), decoder, groupId, log, backoff, stopIfRefused: this.stopIfRefused,
      eventIdField: () => servedModels.current()?.champion?.identity.eventId,
    });
    this.consumer = new ConsumerLifecycle({
      config, kafka, schemaRegistry, groupId, delivery, batchSize, log, backoff, handoff,
      outputTopics: options.outputTopics ?? catalogueScorerTopics(config),
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      stopIfRefused: this.stopIfRefused,
      processBatch: (target, payload) => chunks.processBatch(target, payload),
      currentDeployment: () => servedModels.current()?.deployment,
    });
    this.follower = new DeploymentFollower(
      { deployments, servedModels, metrics, log, backoff, consuming: () => this.consumer.topic !== undefined, serve: (deployment) => this.consumer.follow(deployment) },
      options.model,
    );
  }

  /** Starts following the model's deployment; consuming begins once a champion is served. */
  static async start(dependencies: ScoringWorkerDependencies, options: ScoringWorkerOptions): Promise<ScoringWorker> {
    const worker = new ScoringWorker(dependencies, options);
    try {
      await worker.admin.connect();
    } catch (error) {
      throw (await explainRefusal(dependencies.kafka, error, { operation: 'connect to' })) ?? error;
    }
    const { model } = options;
    const { scores, dlq } = options.outputTopics ?? catalogueScorerTopics(dependencies.config);
    dependencies.log(`scorer of ${model} (group ${worker.groupId}, ${worker.delivery}) follows the deployments topic; it consumes once ${model} has a champion, into ${scores} and ${dlq}`);
    await worker.follower.start();
    return worker;
  }

  readiness(): Readiness {
    const snapshot = this.dependencies.servedModels.current();
    if (this.refusal) return { ready: false, reason: `stopped: ${this.refusal.message}` };
    if (this.stopping) return { ready: false, reason: 'stopping' };
    if (snapshot?.champion === undefined) return { ready: false, reason: `waiting for a deployment of ${this.options.model} with a champion that loads` };
    if (!this.consumer.joined) return { ready: false, reason: `champion v${snapshot.champion.version} loaded; joining group ${this.groupId}` };
    return { ready: true, reason: `scoring ${this.consumer.topic} with champion v${snapshot.champion.version} (deployment revision ${snapshot.deployment.revision})` };
  }

  /** Finishes the chunk in progress, commits it, leaves the group, closes producers and disposes the models. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopSignal.abort();
    await this.follower.stop();
    await this.consumer.stop();
    await this.dependencies.servedModels.close();
    await this.admin.disconnect();
    this.dependencies.log(`scorer of ${this.options.model} stopped`);
  }

  /** Stops the worker for good when `error` is the broker refusing it (see kafka-refusal.ts); true then. */
  private readonly stopIfRefused = async (error: unknown, attempt: KafkaAccessAttempt, coordinator?: CoordinatorKey): Promise<boolean> => {
    const refusal = await explainRefusal(this.dependencies.kafka, error, attempt, coordinator && { key: coordinator, probe: this.coordinatorProbe });
    if (refusal === undefined) return false;
    this.fail(refusal);
    return true;
  };

  /** Not awaited: a chunk in progress calls it, and stopping waits for that chunk to end. */
  private fail(refusal: KafkaRefusal): void {
    if (this.stopping) return;
    this.refusal = refusal;
    const what = refusal instanceof KafkaAuthorizationError ? refusal.code : 'SASL authentication failed';
    this.dependencies.log(`the broker refused scorer of ${this.options.model} (${what}): stopping, since only a new ACL or other credentials change that`);
    this.stopping = this.stopNow().finally(() => this.settleFailed(refusal));
  }
}
