/**
 * The worker's two steps of a blue/green features handoff (features-handoff.ts says why each is
 * needed): before leaving the previous topic, drain it to where it ended when the move arrived;
 * before consuming the new one, build the set of events already scored from the previous.
 */
import type { Admin } from 'kafkajs';
import { reasonOf } from '../errors/tributary-error.js';
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { KafkaAccessAttempt } from '../streaming/errors.js';
import type { OffsetRangeReader } from '../streaming/offset-range-reader.js';
import { FeaturesHandoffError, NOTHING_TO_SKIP, scoredBeforeHandoff, unscoredBefore, type HandoffSkipSet } from './features-handoff.js';
import type { ModelDeployment, PartitionOffset } from './model-deployment.js';
import type { Backoff } from './retry-backoff.js';

/** How often a drain looks again at what is left. */
const DRAIN_POLL_MS = 500;

export interface ScorerHandoffDependencies {
  readonly admin: Admin;
  /** A reader of committed records whose consumer groups start with `groupIdPrefix` (createOffsetRangeReader). */
  readonly openReader: (groupIdPrefix: string) => OffsetRangeReader;
  readonly decoder: AvroDecoder;
  readonly groupId: string;
  readonly log: (line: string) => void;
  readonly backoff: Backoff;
  /** Stops the worker when `error` is the broker refusing it; true then. */
  readonly stopIfRefused: (error: unknown, attempt: KafkaAccessAttempt) => Promise<boolean>;
  /** The served champion's event id field, which the skip set is read by; undefined while no champion is served. */
  readonly eventIdField: () => string | undefined;
}

export class ScorerHandoff {
  constructor(private readonly dependencies: ScorerHandoffDependencies) {}

  /**
   * Keeps scoring the previous features topic until the group has scored everything committed
   * there when the topic moved (see {@link unscoredBefore}); retried on errors, ends early only
   * when the worker stops.
   */
  async drain(topic: string): Promise<void> {
    const { admin, groupId, log, backoff } = this.dependencies;
    const reader = this.dependencies.openReader(`${groupId}.drain`);
    let ends: PartitionOffset[] | undefined;
    let reported = false;
    for (let attempt = 1; !backoff.stopped; attempt += 1) {
      try {
        ends ??= (await reader.snapshotEndOffsets(topic)).map(({ partition, endOffset }) => ({ partition, offset: endOffset }));
        const left = await unscoredBefore({ admin, reader }, groupId, topic, ends);
        if (left === 0) return;
        if (!reported) log(`draining ${topic} before moving: ${left} committed record(s) not scored yet`);
        reported = true;
        await backoff.wait(DRAIN_POLL_MS);
      } catch (error) {
        if (await this.dependencies.stopIfRefused(error, { operation: 'read', topics: [topic], group: groupId })) return;
        const delay = backoff.delay(attempt);
        log(`cannot tell whether ${topic} is drained (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await backoff.wait(delay);
      }
    }
  }

  /** What to skip in the deployment's features topic: nothing unless it took over from another topic. */
  async skipSetFor(deployment: ModelDeployment): Promise<HandoffSkipSet> {
    const handoff = deployment.featuresHandoff;
    if (handoff === null || handoff.previousTopic === deployment.featuresTopic) return NOTHING_TO_SKIP;
    const { admin, decoder, groupId, log } = this.dependencies;
    const eventId = this.dependencies.eventIdField();
    // The worker consumes only once a champion serves, so this is a champion that failed to load since.
    if (eventId === undefined) throw new FeaturesHandoffError(`no champion of ${deployment.model} is served, so the event ids scored in ${handoff.previousTopic} cannot be read`, { retriable: true });
    const skip = await scoredBeforeHandoff({ admin, reader: this.dependencies.openReader(`${groupId}.handoff`), decoder }, groupId, handoff, { eventId }, { log });
    log(`handoff from ${handoff.previousTopic}: ${skip.eventIds.size} events scored there from the overlap on are skipped in ${deployment.featuresTopic}`);
    return skip;
  }
}
