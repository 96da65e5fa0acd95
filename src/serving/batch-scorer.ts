/**
 * Scores one fetched batch of feature records with the served models: reads each record's event
 * id, entity key and event time through the champion's identity fields (recorded in its artifact
 * from the pipeline's definition), routes it to the variant that decides it, vectorises it
 * through that model's own vectoriser, runs one batched predict per model, and builds the
 * pipeline-generic score records (schemas/score.avsc). Records that cannot be scored come back as
 * rejections with the reason, in their place, so the caller can send them to the DLQ without
 * losing the batch's order.
 */
import type { ServingSnapshot } from './served-models.js';
import type { ScoringModel } from './scoring-model.js';
import { decidingVariant, type Variant } from './variant-router.js';
import { shownValue } from '../errors/shown-value.js';

export interface FeatureInput {
  /** Decoded Avro value of a features record; validated here, since it may be anything. */
  readonly record: unknown;
  /** ms, timestamp of the features record */
  readonly kafkaTimestamp: number;
}

/** The `Decision` enum of `schemas/score.avsc`: a classifier's verdict at its threshold. */
export type Decision = 'POSITIVE' | 'NEGATIVE';

/** The `ShadowScore` record of `schemas/score.avsc`: what the challenger would have predicted. */
export interface ShadowScoreValue {
  readonly model_version: number;
  readonly model_runtime: string;
  readonly prediction: number;
  /** Null for regression. */
  readonly decision: Decision | null;
}

/** A value of `schemas/score.avsc` as avsc encodes it (timestamps as epoch ms numbers, enums as strings, unions unwrapped). */
export interface ScoreValue {
  readonly pipeline: string;
  readonly event_id: string;
  readonly entity_key: string;
  readonly prediction: number;
  /** Null for regression. */
  readonly threshold: number | null;
  /** Null for regression. */
  readonly decision: Decision | null;
  readonly model: string;
  readonly model_version: number;
  readonly model_runtime: string;
  readonly variant: 'CHAMPION' | 'CHALLENGER';
  readonly shadow: ShadowScoreValue | null;
  readonly deployment_revision: number;
  readonly feature_job_version: string | null;
  readonly event_time: number;
  readonly features_at: number;
  readonly scored_at: number;
  readonly end_to_end_ms: number;
  readonly scoring_ms: number;
}

/** Why a record was not scored: the DLQ's error type. */
export type RejectionType = 'INVALID_FEATURES' | 'NO_CHAMPION';

export type BatchOutcome =
  | { readonly kind: 'scored'; readonly key: string /* event_id */; readonly score: ScoreValue; readonly variant: Variant }
  | { readonly kind: 'rejected'; readonly errorType: RejectionType; readonly reason: string };

/** What a score carries of its features record besides the prediction. */
export interface RecordKeys {
  readonly eventId: string;
  readonly entityKey: string;
  readonly eventTime: number;
  readonly featureJobVersion: string | null;
}

/** A record that passed validation, with the variant that decides it. */
interface ValidRecord {
  readonly index: number;
  /** The decoded record, as the models' vectorisers read it. */
  readonly value: object;
  readonly keys: RecordKeys;
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
 * SHADOW the challenger over all rows). A classifier's decision is POSITIVE when its prediction
 * >= its threshold; a regression model's prediction is the value, with no threshold or decision.
 * The champion's identity fields read every record (a record is one event whichever variant
 * decides it); without a champion every record is NO_CHAMPION. `clock` gives epoch ms: a
 * record's scored-at is read when the model that decided it has scored, and the models score one
 * after the other (the champion first), so a slower challenger shows in its own variant's
 * latency, which the rollout's latency guardrail compares, and never in the champion's.
 */
export async function scoreBatch(snapshot: ServingSnapshot, inputs: readonly FeatureInput[], clock: () => number): Promise<BatchOutcome[]> {
  const { deployment, champion, challenger } = snapshot;
  const outcomes: BatchOutcome[] = new Array<BatchOutcome>(inputs.length);
  const mode = challenger === undefined ? 'NONE' : deployment.challengerMode;
  if (champion === undefined) {
    const reason = `${deployment.model} has no champion in deployment revision ${deployment.revision}, so nothing may decide`;
    inputs.forEach((_, index) => (outcomes[index] = { kind: 'rejected', errorType: 'NO_CHAMPION', reason }));
    return outcomes;
  }
  const valid: ValidRecord[] = [];
  inputs.forEach((input, index) => {
    const read = recordKeysOf(input.record, champion);
    if ('reason' in read) {
      outcomes[index] = { kind: 'rejected', errorType: 'INVALID_FEATURES', reason: read.reason };
      return;
    }
    const variant = decidingVariant(read.keys.entityKey, mode, deployment.challengerShare);
    valid.push({ index, value: input.record as object, keys: read.keys, kafkaTimestamp: input.kafkaTimestamp, variant });
  });

  const championRows = mode === 'SPLIT' ? valid.filter((row) => row.variant === 'champion') : valid;
  const challengerRows = mode === 'SPLIT' ? valid.filter((row) => row.variant === 'challenger') : mode === 'SHADOW' ? valid : [];
  const championScores = await scoreRows(champion, championRows);
  const championScoredAt = clock();
  const challengerScores = await scoreRows(challenger, challengerRows);
  const challengerScoredAt = clock();

  const build = (row: ValidRecord, decider: ScoringModel, score: number | undefined, problem: string | undefined, shadow: ShadowScoreValue | null, now: number): void => {
    if (score === undefined) {
      const reason = `invalid features for ${deployment.model} v${decider.version} in event ${row.keys.eventId}: ${problem ?? 'unreadable record'}`;
      outcomes[row.index] = { kind: 'rejected', errorType: 'INVALID_FEATURES', reason };
      return;
    }
    outcomes[row.index] = {
      kind: 'scored',
      key: row.keys.eventId,
      variant: row.variant,
      score: scoreRecord({ pipeline: deployment.model, revision: deployment.revision, decider, variant: row.variant, prediction: score, keys: row.keys, featuresAt: row.kafkaTimestamp, scoredAt: now, shadow }),
    };
  };
  const shadowAt = (position: number): ShadowScoreValue | null => {
    const prediction = challengerScores.scores[position];
    if (mode !== 'SHADOW' || challenger === undefined || prediction === undefined) return null;
    return { model_version: challenger.version, model_runtime: challenger.runtime, prediction, decision: verdict(challenger, prediction).decision };
  };
  championRows.forEach((row, position) =>
    build(row, champion, championScores.scores[position], championScores.problems.get(position), shadowAt(position), championScoredAt),
  );
  if (mode === 'SPLIT' && challenger !== undefined) {
    challengerRows.forEach((row, position) => build(row, challenger, challengerScores.scores[position], challengerScores.problems.get(position), null, challengerScoredAt));
  }
  return outcomes;
}

/** What one model's prediction of one record becomes, before the record goes out. */
interface ScoreParts {
  readonly pipeline: string;
  readonly revision: number;
  readonly decider: Pick<ScoringModel, 'version' | 'runtime' | 'task' | 'threshold'>;
  readonly variant: Variant;
  readonly prediction: number;
  readonly keys: RecordKeys;
  /** Epoch ms the features record entered Kafka. */
  readonly featuresAt: number;
  /** Epoch ms. */
  readonly scoredAt: number;
  readonly shadow: ShadowScoreValue | null;
}

/** The score record (schemas/score.avsc) of one prediction: a classifier's with its threshold and decision, a regression's with neither. */
function scoreRecord(parts: ScoreParts): ScoreValue {
  const { decider, keys, scoredAt } = parts;
  return {
    pipeline: parts.pipeline,
    event_id: keys.eventId,
    entity_key: keys.entityKey,
    prediction: parts.prediction,
    ...verdict(decider, parts.prediction),
    model: parts.pipeline,
    model_version: decider.version,
    model_runtime: decider.runtime,
    variant: parts.variant === 'champion' ? 'CHAMPION' : 'CHALLENGER',
    shadow: parts.shadow,
    deployment_revision: parts.revision,
    feature_job_version: keys.featureJobVersion,
    event_time: keys.eventTime,
    features_at: parts.featuresAt,
    scored_at: scoredAt,
    end_to_end_ms: scoredAt - keys.eventTime,
    scoring_ms: scoredAt - parts.featuresAt,
  };
}

/** A classifier's threshold and its decision at it; neither for a regression model, whose prediction is the value. */
function verdict(model: Pick<ScoringModel, 'task' | 'threshold'>, prediction: number): { readonly threshold: number | null; readonly decision: Decision | null } {
  // A classifier's artifact always records its threshold (a loaded one without is refused); null is a regression's.
  if (model.task === 'regression' || model.threshold === null) return { threshold: null, decision: null };
  return { threshold: model.threshold, decision: prediction >= model.threshold ? 'POSITIVE' : 'NEGATIVE' };
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


/** Where a features record's event time may lie: a whole number of epoch ms, as score.avsc's long takes it. */
const isEpochMillis = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/**
 * The event id, entity key, event time and feature job version of a features record, read through
 * `model`'s identity fields, or why the record has none (the reason names the field and what the
 * definition calls it). Ids may be strings or whole numbers (an id field of type long), which the
 * score carries as text; the event time must be whole epoch ms, as a score the producer refuses
 * would fail the chunk for ever. The model's inputs are read by each model's vectoriser.
 */
export function recordKeysOf(record: unknown, model: Pick<ScoringModel, 'identity'>): { readonly keys: RecordKeys } | { readonly reason: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { reason: `a features record must be an object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}` };
  }
  const fields = record as Readonly<Record<string, unknown>>;
  const { eventId: eventIdField, entityKey: entityKeyField, eventTime: eventTimeField } = model.identity;
  const idOf = (field: string): string | undefined => {
    const value = fields[field];
    if (typeof value === 'string' && value !== '') return value;
    return isEpochMillis(value) ? String(value) : undefined;
  };
  const eventId = idOf(eventIdField);
  const problem = (field: string, role: string, expected: string): string =>
    `field ${field} (features.${role}) of the features record${eventId === undefined ? '' : ` of event ${eventId}`} is ${shownValue(fields[field], 'missing')}, expected ${expected}`;
  if (eventId === undefined) return { reason: problem(eventIdField, 'eventId', 'a non-empty string or a whole number') };
  const entityKey = idOf(entityKeyField);
  if (entityKey === undefined) return { reason: problem(entityKeyField, 'entityKey', 'a non-empty string or a whole number') };
  const eventTime = fields[eventTimeField];
  if (!isEpochMillis(eventTime)) return { reason: problem(eventTimeField, 'eventTime', 'epoch milliseconds') };
  const featureJobVersion = typeof fields.feature_job_version === 'string' ? fields.feature_job_version : null;
  return { keys: { eventId, entityKey, eventTime, featureJobVersion } };
}
