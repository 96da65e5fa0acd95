/**
 * The demo's closing audit: every event the simulator sent has exactly one score (matched by the
 * score's event_id, the pipeline's features.eventId), read read_committed from the scores topic,
 * and how many records went to the DLQ.
 */
import type { Kafka } from 'kafkajs';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';

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
}

/** The fields of schemas/score.avsc the audit reads. */
interface ScoreFields {
  readonly event_id: string;
  readonly model_version: number;
  readonly variant: string;
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

/** Counts scores against the event ids sent (the demo's transaction ids); `decodeScore` decodes a scores value. */
export async function auditScores(
  kafka: Kafka,
  topics: { readonly scores: string; readonly dlq: string },
  transactionIds: ReadonlySet<string>,
  decodeScore: (value: Buffer) => Promise<unknown>,
): Promise<ScoreAudit> {
  const scores = (await readAll(kafka, topics.scores, decodeScore)) as ScoreFields[];
  const seen = new Map<string, number>();
  const byVersion: Record<string, number> = {};
  const byVariant: Record<string, number> = {};
  for (const score of scores) {
    seen.set(score.event_id, (seen.get(score.event_id) ?? 0) + 1);
    byVersion[`v${score.model_version}`] = (byVersion[`v${score.model_version}`] ?? 0) + 1;
    byVariant[score.variant] = (byVariant[score.variant] ?? 0) + 1;
  }
  let missing = 0;
  for (const id of transactionIds) if (!seen.has(id)) missing += 1;
  const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  const deadLetters = (await readAll(kafka, topics.dlq, (value) => Promise.resolve(value.length))).length;
  return { transactions: transactionIds.size, scored: seen.size, missing, duplicates, byVersion, byVariant, deadLetters };
}
