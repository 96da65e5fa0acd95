/**
 * The scoring worker's Kafka loop. It follows its model's record on the `deployments` topic, keeps
 * the served models current (loaded and warmed off the hot path, swapped between chunks), and
 * consumes the deployment's features topic in a consumer group. Per fetched batch, in chunks of at
 * most `batchSize` records: decode each value by its schema id, score the decoded ones under one
 * lease on the served models, and write the scores, the dead letters and the consumed offsets
 * together (see scorer-output.ts for exactly-once and at-least-once).
 *
 * Failure rules:
 * - A record's own fault (bytes that do not decode, an unknown schema id, features that do not
 *   vectorise, no champion) sends that record to `dlq` with the reason and its source position;
 *   the rest of the chunk is scored.
 * - The broker refusing this principal (a rejected login; no ACL for the features topic, the
 *   output topics, the consumer group or the transactional id) is final: only a new ACL or other
 *   credentials change the answer. The worker stops without retrying (nothing of the chunk is
 *   committed) and {@link ScoringWorker.failed} resolves with the error that names who was refused what.
 * - Anything else (broker, schema registry, a fenced producer) is not the records' fault: the
 *   whole chunk is tried again with backoff, and logged each time. Its offsets are resolved only
 *   once its output is committed, so a chunk is never skipped.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { createAvroDecoder, type AvroDecoder } from '../streaming/avro-decoder.js';
import type { KeyedRecord } from '../streaming/avro-producer.js';
import { KafkaAuthorizationError, MessageDecodeError, type KafkaAccessAttempt, type MessageSource } from '../streaming/errors.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { schemaFilePath, topicDeclaration, type TopicNaming } from '../streaming/topic-catalogue.js';
import { scoreBatch, type FeatureInput } from './batch-scorer.js';
import { scorerDeadLetter } from './dead-letters.js';
import type { DeploymentLog, DeploymentSubscription } from './deployment-log.js';
import { NOTHING_TO_SKIP, scoredBeforeHandoff, unscoredBefore, type HandoffSkipSet } from './features-handoff.js';
import type { Readiness } from './health-server.js';
import { explainRefusal, isKafkaRefusal, kafkaCoordinatorProbe, type CoordinatorKey, type CoordinatorProbe, type KafkaRefusal } from '../streaming/kafka-refusal.js';
import { describeDeployment, type ModelDeployment, type PartitionOffset } from './model-deployment.js';
import type { ServedModels, ServingSnapshot } from './served-models.js';
import type { ScorerMetrics } from './scorer-metrics.js';
import { createScorerOutput, type DeliveryMode, type ScorerOutput } from './scorer-output.js';

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
}

export interface ScoringWorkerDependencies {
  readonly config: TopicNaming & Pick<TributaryConfig, 'kafka'>;
  readonly kafka: Kafka;
  readonly schemaRegistry: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById'>;
  readonly deployments: DeploymentLog;
  readonly servedModels: ServedModels;
  readonly metrics: ScorerMetrics;
  /** One line per event a person wants to see. */
  readonly log: (line: string) => void;
}

/** The consumer of one features topic and its output. */
interface Consumption {
  readonly topic: string;
  readonly consumer: Consumer;
  readonly output: ScorerOutput;
  readonly skip: HandoffSkipSet;
  joined: boolean;
}

const FIRST_RETRY_DELAY_MS = 200;

export function defaultScorerGroupId(config: TopicNaming, model: string): string {
  return `${config.topics.prefix}scorer.${model}`;
}

function featureReaderType(): ReturnType<typeof loadSchemaFile>['type'] {
  return loadSchemaFile(schemaFilePath(topicDeclaration('features').valueSchema)).type;
}

/** Runs until stop(); see the module comment. */
export class ScoringWorker {
  private readonly groupId: string;
  private readonly delivery: DeliveryMode;
  private readonly batchSize: number;
  private readonly decoder: AvroDecoder;
  private readonly admin: Admin;
  private subscription: DeploymentSubscription | undefined;
  private consumption: Consumption | undefined;
  private stopping: Promise<void> | undefined;
  /** Wakes retry back-offs when the worker stops. */
  private readonly stopSignal = new AbortController();
  private waitingLogged = false;
  /** Consumer crashes since the group was last joined; spaces out restarts. */
  private crashesSinceJoin = 0;
  private readonly coordinatorProbe: CoordinatorProbe;
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
    this.groupId = options.groupId ?? defaultScorerGroupId(dependencies.config, options.model);
    this.delivery = options.delivery ?? 'exactly-once';
    this.batchSize = options.batchSize ?? 500;
    // Decoded into feature.avsc's shape whichever compatible writer schema wrote a record.
    this.decoder = createAvroDecoder(dependencies.schemaRegistry, { readerSchema: featureReaderType() });
    this.admin = dependencies.kafka.admin();
    this.coordinatorProbe = kafkaCoordinatorProbe(dependencies.config);
    this.failed = new Promise((resolve) => {
      this.settleFailed = resolve;
    });
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
    worker.dependencies.log(`scorer of ${model} (group ${worker.groupId}, ${worker.delivery}) follows the deployments topic; it consumes once ${model} has a champion`);
    worker.subscription = await dependencies.deployments.follow(
      model,
      (deployment) => worker.onDeployment(deployment),
      (error) => worker.dependencies.log(`applying a deployment of ${model} failed: ${reasonOf(error)}`),
    );
    if ((await dependencies.deployments.latest(model))?.champion == null) worker.logWaiting();
    return worker;
  }

  readiness(): Readiness {
    const snapshot = this.dependencies.servedModels.current();
    if (this.refusal) return { ready: false, reason: `stopped: ${this.refusal.message}` };
    if (this.stopping) return { ready: false, reason: 'stopping' };
    if (snapshot?.champion === undefined) return { ready: false, reason: `waiting for a deployment of ${this.options.model} with a champion that loads` };
    if (!this.consumption?.joined) return { ready: false, reason: `champion v${snapshot.champion.version} loaded; joining group ${this.groupId}` };
    return { ready: true, reason: `scoring ${this.consumption.topic} with champion v${snapshot.champion.version} (deployment revision ${snapshot.deployment.revision})` };
  }

  /** Finishes the chunk in progress, commits it, leaves the group, closes producers and disposes the models. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopSignal.abort();
    await this.subscription?.stop();
    await this.stopConsuming();
    await this.dependencies.servedModels.close();
    await this.admin.disconnect();
    this.dependencies.log(`scorer of ${this.options.model} stopped`);
  }

  /** Stops the worker for good when `error` is the broker refusing it (see kafka-refusal.ts); true then. */
  private async stopIfRefused(error: unknown, attempt: KafkaAccessAttempt, coordinator?: CoordinatorKey): Promise<boolean> {
    const refusal = await explainRefusal(this.dependencies.kafka, error, attempt, coordinator && { key: coordinator, probe: this.coordinatorProbe });
    if (refusal === undefined) return false;
    this.fail(refusal);
    return true;
  }

  /** Not awaited: a chunk in progress calls it, and stopping waits for that chunk to end. */
  private fail(refusal: KafkaRefusal): void {
    if (this.stopping) return;
    this.refusal = refusal;
    const what = refusal instanceof KafkaAuthorizationError ? refusal.code : 'SASL authentication failed';
    this.dependencies.log(`the broker refused scorer of ${this.options.model} (${what}): stopping, since only a new ACL or other credentials change that`);
    this.stopping = this.stopNow().finally(() => this.settleFailed(refusal));
  }

  private logWaiting(): void {
    if (this.waitingLogged) return;
    this.waitingLogged = true;
    this.dependencies.log(`waiting: ${this.options.model} has no deployment with a champion yet (publish one, e.g. through a rollout)`);
  }

  /** Called one deployment at a time, in revision order: swap the models, then follow the features topic. */
  private async onDeployment(deployment: ModelDeployment): Promise<void> {
    if (this.stopping) return;
    const { metrics, servedModels, log } = this.dependencies;
    log(`deployment ${describeDeployment(deployment)} by ${deployment.updatedBy}: ${deployment.reason}`);
    for (let attempt = 1; ; attempt += 1) {
      const timer = metrics.swapDuration.startTimer();
      const outcome = await servedModels.apply(deployment);
      timer();
      metrics.swaps.inc({ outcome: outcome.kind });
      if (outcome.kind === 'swapped') {
        log(`serving revision ${outcome.revision}${outcome.loaded.length > 0 ? ` (loaded v${outcome.loaded.join(', v')})` : ''} after ${Math.round(outcome.durationMs)} ms`);
      }
      if (outcome.kind !== 'failed') break;
      const role = outcome.error.version === deployment.challenger?.version ? 'challenger' : 'champion';
      metrics.swapFailures.inc({ role });
      const serving = servedModels.current();
      const keeping = serving ? `still serving revision ${serving.deployment.revision}` : 'nothing is served yet';
      // A load that may work next time (a registry read timed out) is tried again while this revision is the latest.
      const retry = outcome.error.retriable && !this.stopSignal.signal.aborted && (await this.isLatest(deployment));
      const delay = this.retryDelay(attempt);
      log(`${outcome.error.message}; ${keeping}${retry ? `; trying again in ${delay} ms` : ''}`);
      if (!retry) break;
      await this.sleep(delay);
    }
    const snapshot = servedModels.current();
    this.showModels(snapshot);
    if (this.stopping) return;
    if (snapshot?.champion === undefined && this.consumption === undefined) {
      this.logWaiting();
      return;
    }
    if (snapshot !== undefined && this.consumption?.topic !== snapshot.deployment.featuresTopic) await this.consumeFor(snapshot.deployment);
  }

  private async isLatest(deployment: ModelDeployment): Promise<boolean> {
    try {
      return (await this.dependencies.deployments.latest(deployment.model))?.revision === deployment.revision;
    } catch {
      // The deployments topic cannot be read either: keep trying the revision we have.
      return true;
    }
  }

  private showModels(snapshot: ServingSnapshot | undefined): void {
    const { modelInfo } = this.dependencies.metrics;
    modelInfo.reset();
    if (snapshot === undefined) return;
    const revision = String(snapshot.deployment.revision);
    for (const [role, served] of [['champion', snapshot.champion], ['challenger', snapshot.challenger]] as const) {
      if (served !== undefined) modelInfo.set({ model: served.model, role, version: String(served.version), revision }, 1);
    }
  }

  /** Moves consumption to the deployment's features topic, skipping what was scored before a handoff; retried until it works or the worker stops. */
  private async consumeFor(deployment: ModelDeployment): Promise<void> {
    const { log } = this.dependencies;
    const previous = this.consumption?.topic;
    if (previous !== undefined && deployment.featuresHandoff?.previousTopic === previous) await this.drain(previous);
    if (previous !== undefined && previous !== deployment.featuresTopic) log(`features topic moved from ${previous} to ${deployment.featuresTopic}: finishing the batch in progress and leaving ${previous}`);
    await this.stopConsuming();
    for (let attempt = 1; !this.stopSignal.signal.aborted; attempt += 1) {
      try {
        const skip = await this.skipSetFor(deployment);
        if (this.stopSignal.signal.aborted) return;
        await this.startConsuming(deployment.featuresTopic, skip);
        return;
      } catch (error) {
        if (await this.stopIfRefused(error, { operation: 'read', topics: [deployment.featuresTopic], group: this.groupId })) return;
        const delay = this.retryDelay(attempt);
        log(`cannot consume ${deployment.featuresTopic} yet (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  /**
   * Keeps scoring the previous features topic until the group has scored everything committed
   * there when the topic moved (see {@link unscoredBefore}); retried on errors, ends early only
   * when the worker stops.
   */
  private async drain(topic: string): Promise<void> {
    const { kafka, log } = this.dependencies;
    const reader = createOffsetRangeReader(kafka, { groupIdPrefix: `${this.groupId}.drain` });
    let ends: PartitionOffset[] | undefined;
    let reported = false;
    for (let attempt = 1; !this.stopSignal.signal.aborted; attempt += 1) {
      try {
        ends ??= (await reader.snapshotEndOffsets(topic)).map(({ partition, endOffset }) => ({ partition, offset: endOffset }));
        const left = await unscoredBefore({ admin: this.admin, reader }, this.groupId, topic, ends);
        if (left === 0) return;
        if (!reported) log(`draining ${topic} before moving: ${left} committed record(s) not scored yet`);
        reported = true;
        await this.sleep(500);
      } catch (error) {
        if (await this.stopIfRefused(error, { operation: 'read', topics: [topic], group: this.groupId })) return;
        const delay = this.retryDelay(attempt);
        log(`cannot tell whether ${topic} is drained (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  private async skipSetFor(deployment: ModelDeployment): Promise<HandoffSkipSet> {
    const handoff = deployment.featuresHandoff;
    if (handoff === null || handoff.previousTopic === deployment.featuresTopic) return NOTHING_TO_SKIP;
    const { kafka, log } = this.dependencies;
    const skip = await scoredBeforeHandoff({ admin: this.admin, reader: createOffsetRangeReader(kafka, { groupIdPrefix: `${this.groupId}.handoff` }), decoder: this.decoder }, this.groupId, handoff, { log });
    log(`handoff from ${handoff.previousTopic}: ${skip.transactionIds.size} transactions scored there from the overlap on are skipped in ${deployment.featuresTopic}`);
    return skip;
  }

  /** Becomes the worker's consumption before it connects: kafkajs reports a crash while joining the group during run(), and the crash handler acts on the current consumption only. */
  private async startConsuming(topic: string, skip: HandoffSkipSet): Promise<void> {
    const { kafka, schemaRegistry, config, log } = this.dependencies;
    const consumer = kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    const output = createScorerOutput(this.delivery, {
      kafka,
      registry: schemaRegistry,
      config,
      groupId: this.groupId,
      commitOffsets: (positions) => consumer.commitOffsets(positions.map(({ topic: committedTopic, partition, offset }) => ({ topic: committedTopic, partition, offset }))),
    });
    const consumption: Consumption = { topic, consumer, output, skip, joined: false };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      consumption.joined = true;
      this.crashesSinceJoin = 0;
      const assigned = Object.entries(payload.memberAssignment).map(([assignedTopic, partitions]) => `${assignedTopic} [${partitions.join(', ')}]`);
      log(`joined group ${this.groupId} as ${payload.memberId}; assigned ${assigned.join(', ') || 'no partitions'}`);
      void output.retain(payload.memberAssignment[topic] ?? [], topic);
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
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.onBatch(consumption, payload),
      });
    } catch (error) {
      if (this.consumption === consumption) this.consumption = undefined;
      await consumer.disconnect().catch(() => undefined);
      await output.close().catch(() => undefined);
      throw error;
    }
    if (this.consumption !== consumption) {
      // Stopped (or failed) while it started: stopConsuming has already run, so this consumer would be left running.
      await consumer.disconnect();
      await output.close();
      return;
    }
    log(`consuming ${topic} in group ${this.groupId} (${this.delivery}, chunks of up to ${this.batchSize})`);
  }

  /** A refusal stops the worker (stopping the consumer also cancels a restart kafkajs planned); otherwise a consumer kafkajs does not restart is started again. */
  private async afterCrash(crashed: Consumption, error: Error, restarting: boolean): Promise<void> {
    if (this.consumption !== crashed || this.stopSignal.signal.aborted) return;
    if (await this.stopIfRefused(error, { operation: 'read', topics: [crashed.topic], group: this.groupId }, { group: this.groupId })) return;
    if (!restarting) await this.restartAfterCrash(crashed);
  }

  private async restartAfterCrash(crashed: Consumption): Promise<void> {
    this.crashesSinceJoin += 1;
    const delay = this.retryDelay(this.crashesSinceJoin);
    this.dependencies.log(`restarting the consumer of ${crashed.topic} in ${delay} ms`);
    await this.sleep(delay);
    const snapshot = this.dependencies.servedModels.current();
    if (snapshot === undefined || this.consumption !== crashed || this.stopSignal.signal.aborted) return;
    await this.consumeFor(snapshot.deployment);
  }

  private async stopConsuming(): Promise<void> {
    const consumption = this.consumption;
    this.consumption = undefined;
    if (consumption === undefined) return;
    // stop() waits for the chunk in progress, which commits before the loop sees it should end.
    await consumption.consumer.stop();
    await consumption.consumer.disconnect();
    await consumption.output.close();
  }

  private async onBatch(consumption: Consumption, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { messages } = batch;
    for (let start = 0; start < messages.length; start += this.batchSize) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + this.batchSize);
      const isLast = start + this.batchSize >= messages.length;
      // The last chunk commits past the batch's last offset, transaction markers included.
      const lastOffset = isLast ? batch.lastOffset() : chunk[chunk.length - 1]!.offset;
      const next = (BigInt(lastOffset) + 1n).toString();
      const done = await this.processWithRetries(consumption, batch.topic, batch.partition, chunk, next, payload);
      if (!done) return;
      resolveOffset(lastOffset);
      this.dependencies.metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))));
      await heartbeat();
    }
  }

  /** True once the chunk's output is committed; false when the worker stops or loses the partition first (the chunk is read again from the committed offset). */
  private async processWithRetries(
    consumption: Consumption,
    topic: string,
    partition: number,
    chunk: readonly KafkaMessage[],
    next: string,
    { heartbeat, isRunning, isStale }: Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>,
  ): Promise<boolean> {
    const { log, metrics } = this.dependencies;
    const range = `${topic} partition ${partition} offsets ${chunk[0]?.offset ?? next}..${chunk[chunk.length - 1]?.offset ?? next}`;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.processChunk(consumption, topic, partition, chunk, next);
        if (attempt > 1) log(`chunk of ${chunk.length} records at ${range} committed on attempt ${attempt}`);
        return true;
      } catch (error) {
        // The output names a refusal of its topics, transactional id or group already (scorer-output.ts).
        if (isKafkaRefusal(error)) {
          this.fail(error);
          log(`chunk at ${range} not committed: the broker refused it`);
          return false;
        }
        if (!isRunning() || isStale() || this.stopSignal.signal.aborted) {
          log(`chunk at ${range} not committed (${reasonOf(error)}); the partition is read again from its committed offset`);
          return false;
        }
        metrics.batchRetries.inc();
        const delay = this.retryDelay(attempt);
        log(`chunk of ${chunk.length} records at ${range} failed (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await this.sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private async processChunk(consumption: Consumption, topic: string, partition: number, chunk: readonly KafkaMessage[], next: string): Promise<void> {
    const { metrics, servedModels } = this.dependencies;
    const timer = metrics.batchDuration.startTimer();
    const deadLetters: KeyedRecord[] = [];
    const inputs: FeatureInput[] = [];
    const inputMessages: KafkaMessage[] = [];
    let skipped = 0;
    const failedAt = Date.now();
    const deadLetter = (message: KafkaMessage, errorType: string, reason: string): void => {
      deadLetters.push(scorerDeadLetter({ source: { topic, partition, offset: message.offset }, key: message.key, value: message.value, errorType, reason, failedAt }));
    };
    for (const message of chunk) {
      const source: MessageSource = { topic, partition, offset: message.offset };
      if (message.value === null) {
        deadLetter(message, 'NULL_VALUE', `the record has no value (a tombstone) (topic ${topic}, partition ${partition}, offset ${message.offset})`);
        continue;
      }
      let record: unknown;
      try {
        record = (await this.decoder.decode(message.value, source)).value;
      } catch (error) {
        // Anything but a decode failure (an unreachable registry) fails the chunk, to be tried again.
        if (!(error instanceof MessageDecodeError)) throw error;
        deadLetter(message, error.code, error.message);
        continue;
      }
      if (consumption.skip.transactionIds.has((record as { transaction_id?: string }).transaction_id ?? '')) {
        skipped += 1;
        continue;
      }
      inputs.push({ record, kafkaTimestamp: Number(message.timestamp) });
      inputMessages.push(message);
    }

    const lease = servedModels.acquire();
    let outcomes: Awaited<ReturnType<typeof scoreBatch>>;
    try {
      outcomes = await scoreBatch(lease.snapshot, inputs, Date.now());
    } finally {
      lease.release();
    }
    const scores: KeyedRecord[] = [];
    const decided: { variant: string; decision: string; shadow: string | undefined; endToEndMs: number; scoringMs: number }[] = [];
    const rejectedTypes: string[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'scored') {
        scores.push({ key: outcome.key, value: outcome.score });
        decided.push({ variant: outcome.variant, decision: outcome.score.decision, shadow: outcome.score.shadow?.decision, endToEndMs: outcome.score.end_to_end_ms, scoringMs: outcome.score.scoring_ms });
      } else {
        deadLetter(inputMessages[index]!, outcome.errorType, outcome.reason);
      }
    });
    for (const letter of deadLetters) rejectedTypes.push((letter.value as { error_type: string }).error_type);

    await consumption.output.write({ scores, deadLetters, consumed: { topic, partition, offset: next } });

    timer();
    metrics.records.inc({ outcome: 'scored' }, scores.length);
    metrics.records.inc({ outcome: 'dead_lettered' }, deadLetters.length);
    if (skipped > 0) {
      metrics.records.inc({ outcome: 'skipped' }, skipped);
      this.dependencies.log(`skipped ${skipped} records of ${topic} partition ${partition} already scored from ${consumption.skip.previousTopic}`);
    }
    for (const type of rejectedTypes) metrics.deadLetters.inc({ error_type: type });
    for (const score of decided) {
      metrics.decisions.inc({ variant: score.variant, decision: score.decision });
      if (score.shadow !== undefined) metrics.decisions.inc({ variant: 'shadow', decision: score.shadow });
      metrics.endToEndLatency.observe(score.endToEndMs / 1000);
      metrics.scoringLatency.observe(score.scoringMs / 1000);
    }
  }

  private retryDelay(attempt: number): number {
    return Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), this.options.maxRetryDelayMs ?? 10_000);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopSignal.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
