/**
 * The demo's closing audit: every event the simulator sent has exactly one score (matched by the
 * score's event_id, the pipeline's features.eventId), read read_committed from the scores topic,
 * and how many records went to the DLQ; and the latency by stage on the wall clock.
 */
import type { Kafka } from 'kafkajs';
import { summariseStageLatencies, type StageLatencySummary } from '../../../src/status/stage-latency.js';
import { createOffsetRangeReader } from '../../../src/streaming/offset-range-reader.js';

export interface ScoreAudit {
  readonly transactions: number;
  readonly scored: number;
  /** Transactions without a score. */
  readonly missing: number;
  /** Scores beyond the first for one transaction. */
  readonly duplicates: number;
  /** Scores per model version, and per variant. */
  readonly byVersion: Readonly<Record<string, number>>;
  readonly byVariant: Readonly<Record<string, number>>;
  readonly deadLetters: number;
  /**
   * p50/p99 by stage of the first score of each transaction sent once the scorer served a
   * champion (those sent before waited for the first model), its source time being when the
   * simulator handed it to the producer (wall clock), not its event_time: the demo's event times
   * are simulated and run ahead of the clock (see TIME_LAPSE in demo-run.ts).
   */
  readonly wallClockLatency: StageLatencySummary | undefined;
}

/** The fields of schemas/score.avsc the audit reads. */
interface ScoreFields {
  readonly event_id: string;
  readonly model_version: number;
  readonly variant: string;
  /** A long, which may decode as a bigint. */
  readonly features_at: number | bigint;
  readonly scored_at: number | bigint;
}

/** Reads every committed record of a topic, decoding each value with `decode`. */
async function readAll<Value>(kafka: Kafka, topic: string, decode: (value: Buffer) => Promise<Value>): Promise<Value[]> {
  const reader = createOffsetRangeReader(kafka);
  const ends = await reader.snapshotEndOffsets(topic);
  const result = await reader.readRange(
    ends.map(({ partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset })),
    (value) => decode(value),
  );
  return result.records.map((record) => record.value);
}

/**
 * Counts scores against the event ids sent (the demo's transaction ids, each with the epoch ms the
 * simulator sent it at); the latency counts those sent from `latencySince` (epoch ms) on;
 * `decodeScore` decodes a scores value.
 */
export async function auditScores(
  kafka: Kafka,
  topics: { readonly scores: string; readonly dlq: string },
  sentAt: ReadonlyMap<string, number>,
  latencySince: number,
  decodeScore: (value: Buffer) => Promise<unknown>,
): Promise<ScoreAudit> {
  const scores = (await readAll(kafka, topics.scores, decodeScore)) as ScoreFields[];
  const seen = new Map<string, number>();
  const byVersion: Record<string, number> = {};
  const byVariant: Record<string, number> = {};
  const wallClockTimes: { event_time: number; features_at: number; scored_at: number }[] = [];
  for (const score of scores) {
    const sent = sentAt.get(score.event_id);
    if (sent !== undefined && sent >= latencySince && !seen.has(score.event_id)) wallClockTimes.push({ event_time: sent, features_at: Number(score.features_at), scored_at: Number(score.scored_at) });
    seen.set(score.event_id, (seen.get(score.event_id) ?? 0) + 1);
    byVersion[`v${score.model_version}`] = (byVersion[`v${score.model_version}`] ?? 0) + 1;
    byVariant[score.variant] = (byVariant[score.variant] ?? 0) + 1;
  }
  let missing = 0;
  for (const id of sentAt.keys()) if (!seen.has(id)) missing += 1;
  const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  const deadLetters = (await readAll(kafka, topics.dlq, (value) => Promise.resolve(value.length))).length;
  return { transactions: sentAt.size, scored: seen.size, missing, duplicates, byVersion, byVariant, deadLetters, wallClockLatency: summariseStageLatencies(wallClockTimes) };
}
