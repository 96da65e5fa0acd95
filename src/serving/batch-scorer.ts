/**
 * Scores one fetched batch of feature records with the served models: validates each record, routes
 * it to the variant that decides it, vectorises it through that model's own vectoriser (from its
 * artifact), runs one batched predict per model, and builds the score records. Records that cannot be scored come back as rejections with the reason,
 * in their place, so the caller can send them to the DLQ without losing the batch's order.
 */
import { FeatureValueError } from '../training/errors.js';
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

/** The fields of a features record that a score carries besides the prediction. */
interface ScoredFields {
  readonly transaction_id: string;
  readonly card_hash: string;
  readonly feature_job_version: string;
  readonly event_time: number;
}

/** A record that passed validation, with the variant that decides it. */
interface ValidRecord {
  readonly index: number;
  /** The decoded record, as the models' vectorisers read it. */
  readonly value: object;
  readonly record: ScoredFields;
  readonly kafkaTimestamp: number;
  readonly variant: Variant;
}

/** The scores of some rows by one model; undefined where the model's vectoriser could not read the record. */
interface RowScores {
  readonly scores: readonly (number | undefined)[];
  /** Why each unreadable row could not be vectorised, by its position among the rows. */
  readonly problems: ReadonlyMap<number, string>;
}

/**
 * One outcome per input, in input order. Each model vectorises the rows it scores through its own
 * vectoriser (a record the deciding model's vectoriser cannot read is 'rejected' INVALID_FEATURES
 * with its reason; the rest of the batch still scores; a record only a shadowing challenger cannot
 * read gets no shadow); ONE batched score() per model used (champion rows, challenger rows, and in
 * SHADOW the challenger over all rows); decision DECLINE when
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
    const checked = scoredFieldsOf(input.record);
    if ('reason' in checked) {
      outcomes[index] = { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: checked.reason };
      return;
    }
    const variant = decidingVariant(checked.record.card_hash, mode, deployment.challengerShare);
    valid.push({ index, value: input.record as object, record: checked.record, kafkaTimestamp: input.kafkaTimestamp, variant });
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

  const build = (row: ValidRecord, decider: ScoringModel, score: number | undefined, problem: string | undefined, shadow: ShadowScoreValue | null, now: number): void => {
    if (score === undefined) {
      const reason = `invalid features for ${deployment.model} v${decider.version} in record ${row.record.transaction_id}: ${problem ?? 'unreadable record'}`;
      outcomes[row.index] = { kind: 'rejected', errorType: 'INVALID_FEATURES', reason };
      return;
    }
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
    const score = challengerScores.scores[position];
    if (mode !== 'SHADOW' || challenger === undefined || score === undefined) return null;
    return { model_version: challenger.version, score, decision: decide(score, challenger.threshold) };
  };
  championRows.forEach((row, position) =>
    build(row, champion, championScores.scores[position], championScores.problems.get(position), shadowAt(position), championScoredAt),
  );
  if (mode === 'SPLIT' && challenger !== undefined) {
    challengerRows.forEach((row, position) => build(row, challenger, challengerScores.scores[position], challengerScores.problems.get(position), null, challengerScoredAt));
  }
  return outcomes;
}

function decide(score: number, threshold: number): Decision {
  return score >= threshold ? 'DECLINE' : 'APPROVE';
}

/** The rows through the model's vectoriser, then one batched score() of those it could read; no call at all when there are none. */
async function scoreRows(model: ScoringModel | undefined, rows: readonly ValidRecord[]): Promise<RowScores> {
  if (model === undefined || rows.length === 0) return { scores: [], problems: new Map() };
  const batch = model.vectoriser.vectoriseBatch(rows.map((row) => row.value));
  const scores = new Array<number | undefined>(rows.length).fill(undefined);
  const problems = new Map(batch.rejected.map(({ index, problem }) => [index, problem.message]));
  if (batch.rowCount === 0) return { scores, problems };
  const scored = await model.score({ rowCount: batch.rowCount, columnCount: model.vectoriser.width, values: batch.values });
  batch.recordIndexes.forEach((index, row) => (scores[index] = scored[row]));
  return { scores, problems };
}

/**
 * The fields a score carries besides the prediction, or why the record has none: the record's
 * transaction id, card hash, event time and feature job version. The model's inputs are read by
 * each model's vectoriser.
 */
function scoredFieldsOf(record: unknown): { readonly record: ScoredFields } | { readonly reason: string } {
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
  return { record: record as ScoredFields };
}
