/**
 * Scores one fetched batch of feature records with the served models: validates and vectorises
 * each record, routes it to the variant that decides it, runs one batched predict per model, and
 * builds the score records. Records that cannot be scored come back as rejections with the reason,
 * in their place, so the caller can send them to the DLQ without losing the batch's order.
 */
import { FeatureValueError } from '../training/errors.js';
import { FEATURE_VECTOR_VERSION, FEATURE_VECTOR_WIDTH, toFeatureVector, type FeatureMatrix } from '../training/feature-vector.js';
import type { FeatureRecord } from '../training/training-example.js';
import type { ServingSnapshot } from './served-models.js';
import type { ScoringModel } from './scoring-model.js';
import { decidingVariant, type Variant } from './variant-router.js';

export interface FeatureInput {
  /** Decoded Avro value of a features record; validated here, since it may be anything. */
  readonly record: unknown;
  /** ms, timestamp of the features record */
  readonly kafkaTimestamp: number;
}

/** The `Decision` enum of `schemas/score.avsc`. */
export type Decision = 'APPROVE' | 'DECLINE';

/** The `ShadowScore` record of `schemas/score.avsc`: what the challenger would have decided. */
export interface ShadowScoreValue {
  readonly model_version: number;
  readonly score: number;
  readonly decision: Decision;
}

/** A value of `schemas/score.avsc` as avsc encodes it (timestamps as epoch ms numbers, enums as strings). */
export interface ScoreValue {
  readonly transaction_id: string;
  readonly card_hash: string;
  readonly score: number;
  readonly threshold: number;
  readonly decision: Decision;
  readonly model: string;
  readonly model_version: number;
  readonly variant: 'CHAMPION' | 'CHALLENGER';
  readonly shadow: ShadowScoreValue | null;
  readonly deployment_revision: number;
  readonly feature_job_version: string;
  readonly event_time: number;
  readonly scored_at: number;
  readonly end_to_end_ms: number;
  readonly scoring_ms: number;
}

/** Why a record was not scored: the DLQ's error type. */
export type RejectionType = 'INVALID_FEATURES' | 'NO_CHAMPION';

export type BatchOutcome =
  | { readonly kind: 'scored'; readonly key: string /* transaction_id */; readonly score: ScoreValue; readonly variant: Variant }
  | { readonly kind: 'rejected'; readonly errorType: RejectionType; readonly reason: string };

/** A record that passed validation, with its feature vector and the variant that decides it. */
interface ValidRecord {
  readonly index: number;
  readonly record: FeatureRecord;
  readonly kafkaTimestamp: number;
  readonly vector: Float32Array;
  readonly variant: Variant;
}

/**
 * One outcome per input, in input order. Vectorises valid records with the training layer's
 * feature vector (a record that fails is 'rejected' INVALID_FEATURES with FeatureValueError's
 * message; the rest of the batch still scores); ONE batched score() per model used (champion
 * rows, challenger rows, and in SHADOW the challenger over all rows); decision DECLINE when
 * score >= threshold of the deciding model. `clock` gives epoch ms: a record's scored-at is read
 * when the model that decided it has scored, and the models score one after the other (the
 * champion first), so a slower challenger shows in its own variant's latency, which the rollout's
 * latency guardrail compares, and never in the champion's.
 */
export async function scoreBatch(snapshot: ServingSnapshot, inputs: readonly FeatureInput[], clock: () => number): Promise<BatchOutcome[]> {
  const { deployment, champion, challenger } = snapshot;
  const outcomes: BatchOutcome[] = new Array<BatchOutcome>(inputs.length);
  const mode = challenger === undefined ? 'NONE' : deployment.challengerMode;
  const valid: ValidRecord[] = [];
  inputs.forEach((input, index) => {
    const checked = vectorise(input.record);
    if ('reason' in checked) {
      outcomes[index] = { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: checked.reason };
      return;
    }
    const variant = decidingVariant(checked.record.card_hash, mode, deployment.challengerShare);
    valid.push({ index, record: checked.record, kafkaTimestamp: input.kafkaTimestamp, vector: checked.vector, variant });
  });
  if (champion === undefined) {
    const reason = `${deployment.model} has no champion in deployment revision ${deployment.revision}, so nothing may decide`;
    for (const { index } of valid) outcomes[index] = { kind: 'rejected', errorType: 'NO_CHAMPION', reason };
    return outcomes;
  }

  const championRows = mode === 'SPLIT' ? valid.filter((row) => row.variant === 'champion') : valid;
  const challengerRows = mode === 'SPLIT' ? valid.filter((row) => row.variant === 'challenger') : mode === 'SHADOW' ? valid : [];
  const championScores = await scoreRows(champion, championRows);
  const championScoredAt = clock();
  const challengerScores = await scoreRows(challenger, challengerRows);
  const challengerScoredAt = clock();

  const build = (row: ValidRecord, decider: ScoringModel, score: number, shadow: ShadowScoreValue | null, now: number): void => {
    outcomes[row.index] = {
      kind: 'scored',
      key: row.record.transaction_id,
      variant: row.variant,
      score: {
        transaction_id: row.record.transaction_id,
        card_hash: row.record.card_hash,
        score,
        threshold: decider.threshold,
        decision: decide(score, decider.threshold),
        model: deployment.model,
        model_version: decider.version,
        variant: row.variant === 'champion' ? 'CHAMPION' : 'CHALLENGER',
        shadow,
        deployment_revision: deployment.revision,
        feature_job_version: row.record.feature_job_version,
        event_time: row.record.event_time,
        scored_at: now,
        end_to_end_ms: now - row.record.event_time,
        scoring_ms: now - row.kafkaTimestamp,
      },
    };
  };
  const shadowAt = (position: number): ShadowScoreValue | null => {
    if (mode !== 'SHADOW' || challenger === undefined) return null;
    const score = challengerScores[position]!;
    return { model_version: challenger.version, score, decision: decide(score, challenger.threshold) };
  };
  championRows.forEach((row, position) => build(row, champion, championScores[position]!, shadowAt(position), championScoredAt));
  if (mode === 'SPLIT' && challenger !== undefined) challengerRows.forEach((row, position) => build(row, challenger, challengerScores[position]!, null, challengerScoredAt));
  return outcomes;
}

function decide(score: number, threshold: number): Decision {
  return score >= threshold ? 'DECLINE' : 'APPROVE';
}

/** One batched score() over the rows' vectors; no call at all when there are no rows. */
async function scoreRows(model: ScoringModel | undefined, rows: readonly ValidRecord[]): Promise<Float32Array> {
  if (model === undefined || rows.length === 0) return new Float32Array(0);
  const values = new Float32Array(rows.length * FEATURE_VECTOR_WIDTH);
  rows.forEach((row, position) => values.set(row.vector, position * FEATURE_VECTOR_WIDTH));
  const matrix: FeatureMatrix = { featureVectorVersion: FEATURE_VECTOR_VERSION, rowCount: rows.length, columnCount: FEATURE_VECTOR_WIDTH, values };
  return model.score(matrix);
}

/**
 * The record as a feature record with its vector, or why it is not one. Besides the model's
 * features, a score needs the record's transaction id, card hash, event time and feature job
 * version, so those are checked too and reported the same way.
 */
function vectorise(record: unknown): { readonly record: FeatureRecord; readonly vector: Float32Array } | { readonly reason: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { reason: `a features record must be an object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}` };
  }
  const fields = record as Readonly<Record<string, unknown>>;
  const transactionId = typeof fields.transaction_id === 'string' ? fields.transaction_id : '(no transaction_id)';
  for (const field of ['transaction_id', 'card_hash', 'feature_job_version'] as const) {
    if (typeof fields[field] !== 'string') return { reason: new FeatureValueError(transactionId, field, fields[field], 'a string').message };
  }
  // A whole number, as score.avsc's long takes it: a score the producer refuses would fail the chunk for ever.
  if (typeof fields.event_time !== 'number' || !Number.isSafeInteger(fields.event_time)) {
    return { reason: new FeatureValueError(transactionId, 'event_time', fields.event_time, 'epoch milliseconds').message };
  }
  try {
    return { record: record as FeatureRecord, vector: toFeatureVector(record as FeatureRecord) };
  } catch (error) {
    if (error instanceof FeatureValueError) return { reason: error.message };
    throw error;
  }
}
