/**
 * The scoring worker's consumer of its features topic, from joining the group to leaving it: one
 * consumer and one output at a time, moved to another topic when a deployment moves the features
 * (through the handoff's drain and skip set), started again after a crash kafkajs does not
 * restart itself (backing off while crashes repeat without a join between them), and stopped
 * after the chunk in progress has committed.
 */
import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import type { KafkaAccessAttempt } from '../streaming/errors.js';
import type { CoordinatorKey } from '../streaming/kafka-refusal.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import type { TopicNaming } from '../streaming/topic-catalogue.js';
import type { ChunkTarget } from './chunk-processor.js';
import type { HandoffSkipSet } from './features-handoff.js';
import type { ModelDeployment } from './model-deployment.js';
import type { Backoff } from './retry-backoff.js';
import type { ScorerHandoff } from './scorer-handoff.js';
import { createScorerOutput, readsUncommitted, type DeliveryMode, type ScorerTopics } from './scorer-output.js';

export interface ConsumerLifecycleDependencies {
  readonly config: TopicNaming & Pick<TributaryConfig, 'kafka'>;
  readonly kafka: Kafka;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'register' | 'setCompatibilityLevel'>;
  readonly groupId: string;
  /** Where the scores and dead letters go. */
  readonly outputTopics: ScorerTopics;
  readonly delivery: DeliveryMode;
  /** Only named in the log line that says consuming began. */
  readonly batchSize: number;
  readonly partitionsConsumedConcurrently: number;
  readonly log: (line: string) => void;
  readonly backoff: Backoff;
  readonly handoff: Pick<ScorerHandoff, 'drain' | 'skipSetFor'>;
  /** kafkajs's eachBatch, for the topic consumed now. */
  readonly processBatch: (target: ChunkTarget, payload: EachBatchPayload) => Promise<void>;
  /** Stops the worker when `error` is the broker refusing it; true then. */
  readonly stopIfRefused: (error: unknown, attempt: KafkaAccessAttempt, coordinator?: CoordinatorKey) => Promise<boolean>;
  /** The deployment served now: a restarted consumer reads its features topic. */
  readonly currentDeployment: () => ModelDeployment | undefined;
}

/** The consumer of one features topic and its output. */
interface Consumption extends ChunkTarget {
  readonly topic: string;
  readonly consumer: ReturnType<Kafka['consumer']>;
  joined: boolean;
}

export class ConsumerLifecycle {
  private consumption: Consumption | undefined;
  /** Consumer crashes since the group was last joined; spaces out restarts. */
  private crashesSinceJoin = 0;

  constructor(private readonly dependencies: ConsumerLifecycleDependencies) {}

  /** The features topic consumed now, if any. */
  get topic(): string | undefined {
    return this.consumption?.topic;
  }

  /** Whether the consumer has joined its group (and not crashed since). */
  get joined(): boolean {
    return this.consumption?.joined ?? false;
  }

  /** Consumes the deployment's features topic, unless that is the topic consumed already. */
  async follow(deployment: ModelDeployment): Promise<void> {
    if (this.consumption?.topic !== deployment.featuresTopic) await this.moveTo(deployment);
  }

  /** Finishes the chunk in progress (it commits before the loop sees it should end), leaves the group and closes the output. */
  async stop(): Promise<void> {
    const consumption = this.consumption;
    this.consumption = undefined;
    if (consumption === undefined) return;
    await consumption.consumer.stop();
    await consumption.consumer.disconnect();
    await consumption.output.close();
  }

  /** Moves consumption to the deployment's features topic, skipping what was scored before a handoff; retried until it works or the worker stops. */
  private async moveTo(deployment: ModelDeployment): Promise<void> {
    const { handoff, backoff, groupId, log } = this.dependencies;
    const previous = this.consumption?.topic;
    if (previous !== undefined && deployment.featuresHandoff?.previousTopic === previous) await handoff.drain(previous);
    if (previous !== undefined && previous !== deployment.featuresTopic) log(`features topic moved from ${previous} to ${deployment.featuresTopic}: finishing the batch in progress and leaving ${previous}`);
    await this.stop();
    for (let attempt = 1; !backoff.stopped; attempt += 1) {
      try {
        const skip = await handoff.skipSetFor(deployment);
        if (backoff.stopped) return;
        await this.start(deployment.featuresTopic, skip);
        return;
      } catch (error) {
        if (await this.dependencies.stopIfRefused(error, { operation: 'read', topics: [deployment.featuresTopic], group: groupId })) return;
        const delay = backoff.delay(attempt);
        log(`cannot consume ${deployment.featuresTopic} yet (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await backoff.wait(delay);
      }
    }
  }

  /** Becomes the current consumption before it connects: kafkajs reports a crash while joining the group during run(), and the crash handler acts on the current consumption only. */
  private async start(topic: string, skip: HandoffSkipSet): Promise<void> {
    const { kafka, schemaRegistry, config, groupId, delivery, log, outputTopics } = this.dependencies;
    const consumer = kafka.consumer({
      groupId,
      // Low-latency reads up to the high watermark, not the last stable offset: no wait for the feature job's checkpoint, and records of its aborted transactions are scored too.
      readUncommitted: readsUncommitted(delivery),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    const output = createScorerOutput(delivery, {
      kafka,
      registry: schemaRegistry,
      config,
      topics: outputTopics,
      groupId,
      commitOffsets: (positions) => consumer.commitOffsets(positions.map(({ topic: committedTopic, partition, offset }) => ({ topic: committedTopic, partition, offset }))),
    });
    const consumption: Consumption = { topic, consumer, output, skip, joined: false };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      consumption.joined = true;
      this.crashesSinceJoin = 0;
      const assigned = Object.entries(payload.memberAssignment).map(([assignedTopic, partitions]) => `${assignedTopic} [${partitions.join(', ')}]`);
      log(`joined group ${groupId} as ${payload.memberId}; assigned ${assigned.join(', ') || 'no partitions'}`);
      void output.retain(payload.memberAssignment[topic] ?? [], topic);
    });
    // kafkajs calls no eachBatch for a batch of transaction markers or aborted records alone; it moves past it in memory only.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0) return;
      const position = { topic: payload.topic, partition: payload.partition, offset: (BigInt(payload.lastOffset) + 1n).toString() };
      output.skip(position).catch((error: unknown) => log(`could not commit ${position.topic} partition ${position.partition} past its transaction markers at ${position.offset}: ${reasonOf(error)}; the next chunk commits past them`));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      consumption.joined = false;
      log(`consumer of ${topic} crashed: ${reasonOf(payload.error)}${payload.restart ? '; kafkajs restarts it' : ''}`);
      void this.afterCrash(consumption, payload.error, payload.restart);
    });
    this.consumption = consumption;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.dependencies.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.dependencies.processBatch(consumption, payload),
      });
    } catch (error) {
      if (this.consumption === consumption) this.consumption = undefined;
      await consumer.disconnect().catch(() => undefined);
      await output.close().catch(() => undefined);
      throw error;
    }
    if (this.consumption !== consumption) {
      // Stopped (or failed) while it started: stop() has already run, so this consumer would be left running.
      await consumer.disconnect();
      await output.close();
      return;
    }
    log(`consuming ${topic} in group ${groupId} (${delivery}, chunks of up to ${this.dependencies.batchSize})`);
  }

  /** A refusal stops the worker (stopping the consumer also cancels a restart kafkajs planned); otherwise a consumer kafkajs does not restart is started again. */
  private async afterCrash(crashed: Consumption, error: Error, restarting: boolean): Promise<void> {
    const { groupId, backoff } = this.dependencies;
    if (this.consumption !== crashed || backoff.stopped) return;
    if (await this.dependencies.stopIfRefused(error, { operation: 'read', topics: [crashed.topic], group: groupId }, { group: groupId })) return;
    if (!restarting) await this.restartAfterCrash(crashed);
  }

  private async restartAfterCrash(crashed: Consumption): Promise<void> {
    const { backoff, log } = this.dependencies;
    this.crashesSinceJoin += 1;
    const delay = backoff.delay(this.crashesSinceJoin);
    log(`restarting the consumer of ${crashed.topic} in ${delay} ms`);
    await backoff.wait(delay);
    const deployment = this.dependencies.currentDeployment();
    if (deployment === undefined || this.consumption !== crashed || backoff.stopped) return;
    await this.moveTo(deployment);
  }
}
