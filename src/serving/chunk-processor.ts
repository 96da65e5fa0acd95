/**
 * Turns a fetched batch of one features partition into committed output, in chunks of at most
 * `batchSize` records: decode each value by its schema id, skip what a features handoff says was
 * scored already, score the rest under one lease on the served models, and write the scores, the
 * dead letters and the consumed offset together (see scorer-output.ts for exactly-once and
 * at-least-once). A chunk's offset is resolved only once its output is committed, so a chunk is
 * never skipped.
 *
 * Failure rules:
 * - A record's own fault (bytes that do not decode, an unknown schema id, features that do not
 *   vectorise, no champion) sends that record to `dlq` with the reason and its source position;
 *   the rest of the chunk is scored.
 * - The broker refusing this principal is final: nothing of the chunk is committed and the
 *   worker is told to stop.
 * - Anything else (broker, schema registry, a fenced producer) is not the records' fault: the
 *   whole chunk is tried again with backoff, and logged each time, while the partition is still
 *   this worker's.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { reasonOf } from '../errors/tributary-error.js';
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { KeyedRecord } from '../streaming/avro-producer.js';
import { MessageDecodeError } from '../streaming/errors.js';
import { isKafkaRefusal, type KafkaRefusal } from '../streaming/kafka-refusal.js';
import { recordKeysOf, scoreBatch, type FeatureInput } from './batch-scorer.js';
import { scorerDeadLetter } from './dead-letters.js';
import type { HandoffSkipSet } from './features-handoff.js';
import type { Backoff } from './retry-backoff.js';
import { observeStageLatencies, type ScoreTimes, type ScorerMetrics } from './scorer-metrics.js';
import type { ScorerOutput } from './scorer-output.js';
import type { ServedModels, ServingSnapshot } from './served-models.js';
import type { ScoringModel } from './scoring-model.js';

/** Where the chunks of the consumed topic go, and what of it to skip. */
export interface ChunkTarget {
  readonly output: ScorerOutput;
  readonly skip: HandoffSkipSet;
}

export interface ChunkProcessorDependencies {
  readonly decoder: AvroDecoder;
  readonly servedModels: Pick<ServedModels, 'acquire'>;
  readonly metrics: ScorerMetrics;
  readonly log: (line: string) => void;
  readonly backoff: Backoff;
  /** The broker refused this principal (the output names what): the worker stops for good. */
  readonly refused: (refusal: KafkaRefusal) => void;
}

/** Records scored and committed together, and the offset committed after them. */
export interface Chunk {
  readonly messages: readonly KafkaMessage[];
  /** Resolved in the consumer once the chunk is committed. */
  readonly lastOffset: string;
  /** The next offset to read: committed with the chunk's output. */
  readonly next: string;
}

/** The batch's messages cut into chunks of `size`; the last one commits past `batchLastOffset`, so transaction markers after the last record are not read again. */
export function chunksOf(messages: readonly KafkaMessage[], batchLastOffset: string, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = 0; start < messages.length; start += size) {
    const chunk = messages.slice(start, start + size);
    const lastOffset = start + size >= messages.length ? batchLastOffset : chunk[chunk.length - 1]!.offset;
    chunks.push({ messages: chunk, lastOffset, next: (BigInt(lastOffset) + 1n).toString() });
  }
  return chunks;
}

/** What to do after a chunk failed: stop the worker, leave the chunk to whoever reads the partition next, or try again. */
export type ChunkFailureVerdict = 'refused' | 'reread' | 'retry';

/** `owned`: the consumer still runs, the partition is still this worker's and the worker is not stopping. */
export function chunkFailureVerdict(error: unknown, owned: boolean): ChunkFailureVerdict {
  // The output names a refusal of its topics, transactional id or group already (scorer-output.ts).
  if (isKafkaRefusal(error)) return 'refused';
  return owned ? 'retry' : 'reread';
}

interface ScoredChunk {
  readonly scores: KeyedRecord[];
  readonly deadLetters: KeyedRecord[];
  readonly skipped: number;
  readonly decided: readonly { variant: string; decision: string; shadow: string | undefined; times: ScoreTimes }[];
}

/** A score's decision as a metric label: a regression's prediction has none. */
const decisionLabel = (decision: string | null): string => decision ?? 'NONE';

export class ChunkProcessor {
  constructor(
    private readonly dependencies: ChunkProcessorDependencies,
    private readonly batchSize: number,
  ) {}

  /** kafkajs's eachBatch: processes chunk after chunk until the batch ends, the consumer stops or the partition is lost. */
  async processBatch(target: ChunkTarget, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    for (const chunk of chunksOf(batch.messages, batch.lastOffset(), this.batchSize)) {
      if (!isRunning() || isStale()) return;
      if (!(await this.processWithRetries(target, batch.topic, batch.partition, chunk, payload))) return;
      resolveOffset(chunk.lastOffset);
      this.dependencies.metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(chunk.next))));
      await heartbeat();
    }
  }

  /** True once the chunk's output is committed; false when the worker stops or loses the partition first (the chunk is read again from the committed offset). */
  private async processWithRetries(
    target: ChunkTarget,
    topic: string,
    partition: number,
    chunk: Chunk,
    { heartbeat, isRunning, isStale }: Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>,
  ): Promise<boolean> {
    const { log, metrics, backoff } = this.dependencies;
    const { messages, next } = chunk;
    const range = `${topic} partition ${partition} offsets ${messages[0]?.offset ?? next}..${messages[messages.length - 1]?.offset ?? next}`;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.process(target, topic, partition, chunk);
        if (attempt > 1) log(`chunk of ${messages.length} records at ${range} committed on attempt ${attempt}`);
        return true;
      } catch (error) {
        const verdict = chunkFailureVerdict(error, isRunning() && !isStale() && !backoff.stopped);
        if (verdict === 'refused') {
          this.dependencies.refused(error as KafkaRefusal);
          log(`chunk at ${range} not committed: the broker refused it`);
          return false;
        }
        if (verdict === 'reread') {
          log(`chunk at ${range} not committed (${reasonOf(error)}); the partition is read again from its committed offset`);
          return false;
        }
        metrics.batchRetries.inc();
        const delay = backoff.delay(attempt);
        log(`chunk of ${messages.length} records at ${range} failed (attempt ${attempt}): ${reasonOf(error)}; trying again in ${delay} ms`);
        await backoff.wait(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private async process(target: ChunkTarget, topic: string, partition: number, chunk: Chunk): Promise<void> {
    const { metrics, log } = this.dependencies;
    metrics.chunkRecords.observe(chunk.messages.length);
    const timer = metrics.batchDuration.startTimer();
    const { scores, deadLetters, skipped, decided } = await this.score(target.skip, topic, partition, chunk.messages);
    await target.output.write({ scores, deadLetters, consumed: { topic, partition, offset: chunk.next } });
    timer();
    metrics.records.inc({ outcome: 'scored' }, scores.length);
    metrics.records.inc({ outcome: 'dead_lettered' }, deadLetters.length);
    if (skipped > 0) {
      metrics.records.inc({ outcome: 'skipped' }, skipped);
      log(`skipped ${skipped} records of ${topic} partition ${partition} already scored from ${target.skip.previousTopic}`);
    }
    for (const letter of deadLetters) metrics.deadLetters.inc({ error_type: (letter.value as { error_type: string }).error_type });
    for (const score of decided) {
      metrics.decisions.inc({ variant: score.variant, decision: score.decision });
      if (score.shadow !== undefined) metrics.decisions.inc({ variant: 'shadow', decision: score.shadow });
      observeStageLatencies(metrics, score.times);
    }
  }

  /** Decodes, skips and scores the chunk's records under one lease; throws only what is not a record's fault (an unreachable registry). */
  private async score(skip: HandoffSkipSet, topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<ScoredChunk> {
    const lease = this.dependencies.servedModels.acquire();
    try {
      return await this.scoreWith(lease.snapshot, skip, topic, partition, messages);
    } finally {
      lease.release();
    }
  }

  private async scoreWith(snapshot: ServingSnapshot, skip: HandoffSkipSet, topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<ScoredChunk> {
    const deadLetters: KeyedRecord[] = [];
    const inputs: FeatureInput[] = [];
    const inputMessages: KafkaMessage[] = [];
    let skipped = 0;
    const failedAt = Date.now();
    const deadLetter = (message: KafkaMessage, errorType: string, reason: string): void => {
      deadLetters.push(scorerDeadLetter({ source: { topic, partition, offset: message.offset }, key: message.key, value: message.value, errorType, reason, failedAt }));
    };
    for (const message of messages) {
      if (message.value === null) {
        deadLetter(message, 'NULL_VALUE', `the record has no value (a tombstone) (topic ${topic}, partition ${partition}, offset ${message.offset})`);
        continue;
      }
      let record: unknown;
      try {
        record = (await this.dependencies.decoder.decode(message.value, { topic, partition, offset: message.offset })).value;
      } catch (error) {
        // Anything but a decode failure (an unreachable registry) fails the chunk, to be tried again.
        if (!(error instanceof MessageDecodeError)) throw error;
        deadLetter(message, error.code, error.message);
        continue;
      }
      if (skip.eventIds.size > 0 && snapshot.champion !== undefined && skip.eventIds.has(eventIdOf(record, snapshot.champion) ?? '')) {
        skipped += 1;
        continue;
      }
      inputs.push({ record, kafkaTimestamp: Number(message.timestamp) });
      inputMessages.push(message);
    }

    const outcomes = await scoreBatch(snapshot, inputs, Date.now);
    const scores: KeyedRecord[] = [];
    const decided: ScoredChunk['decided'][number][] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'scored') {
        scores.push({ key: outcome.key, value: outcome.score });
        decided.push({ variant: outcome.variant, decision: decisionLabel(outcome.score.decision), shadow: outcome.score.shadow === null ? undefined : decisionLabel(outcome.score.shadow.decision), times: outcome.score });
      } else {
        deadLetter(inputMessages[index]!, outcome.errorType, outcome.reason);
      }
    });
    return { scores, deadLetters, skipped, decided };
  }
}

/** The record's event id as `model` reads it; undefined when it has none (it is then dead-lettered, never skipped). */
function eventIdOf(record: unknown, model: ScoringModel): string | undefined {
  const read = recordKeysOf(record, model);
  return 'keys' in read ? read.keys.eventId : undefined;
}
