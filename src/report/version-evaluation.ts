/**
 * How each served version did on labelled traffic, from `scores` records joined with `labels`:
 * the curves, areas and confusion matrix the report draws, the score distribution by label, and
 * how the decided traffic was shared between versions over time (the rollout's ramp as it
 * happened). Pure: the reader (labelled-scores-reader.ts) feeds it records read from Kafka.
 *
 * A version's scores are those it decided (as champion or as challenger on split traffic) plus
 * its shadow scores (challenger in shadow mode): each says what the version made of a real record.
 */
import type { ScoreObservation } from '../rollout/live-metrics.js';
import { averagePrecision, confusionMatrix, rocAuc, type ConfusionMatrix } from '../training/metrics.js';
import { precisionRecallCurve, rocCurve, thinCurve, type CurvePoint } from './curves.js';

/** A `scores` record with the time it was scored (epoch ms). */
export interface TimedScore extends ScoreObservation {
  readonly scored_at: number;
}

/** Share of each class's scores per bin of [0, 1]; bin i is [edges[i], edges[i+1]), the last one closed. */
export interface ClassHistogram {
  readonly edges: readonly number[];
  readonly fraud: readonly number[];
  readonly legitimate: readonly number[];
  readonly unlabelled: readonly number[];
}

export interface VersionEvaluation {
  readonly role: 'champion' | 'challenger';
  readonly version: number;
  /** The version's decision threshold (from the registry). */
  readonly threshold: number;
  /** Scores of the version read, labelled or not. */
  readonly scored: number;
  readonly labelled: number;
  readonly fraud: number;
  /** Null when the labelled scores lack fraud or legitimate transactions. */
  readonly rocAuc: number | null;
  readonly averagePrecision: number | null;
  readonly roc: readonly CurvePoint[] | null;
  readonly precisionRecall: readonly CurvePoint[] | null;
  /** At the version's threshold; null when none of its scores is labelled. */
  readonly confusion: ConfusionMatrix | null;
  /** Counts per bin of the version's scores, by label. */
  readonly histogram: ClassHistogram;
}

/** Decided records per version in consecutive time buckets. */
export interface TrafficTimeline {
  readonly bucketMs: number;
  readonly versions: readonly number[];
  /** `counts[i]` is the records version `versions[i]` decided in the bucket starting at `start`. */
  readonly buckets: readonly { readonly start: number; readonly counts: readonly number[] }[];
}

/** Most points a drawn curve keeps. */
const CURVE_POINTS = 400;
const HISTOGRAM_BINS = 20;

function binOf(score: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
}

/** The evaluation of `version` of `model` on the scores read, joined with the labels read (transaction id → is fraud). */
export function evaluateVersion(
  target: { readonly model: string; readonly version: number; readonly role: VersionEvaluation['role']; readonly threshold: number },
  scores: readonly ScoreObservation[],
  labels: ReadonlyMap<string, boolean>,
): VersionEvaluation {
  const labelledScores: number[] = [];
  const labelValues: number[] = [];
  const fraud = new Array<number>(HISTOGRAM_BINS).fill(0);
  const legitimate = new Array<number>(HISTOGRAM_BINS).fill(0);
  const unlabelled = new Array<number>(HISTOGRAM_BINS).fill(0);
  let scored = 0;
  const observe = (transactionId: string, score: number): void => {
    scored += 1;
    const bin = binOf(score, HISTOGRAM_BINS);
    const isFraud = labels.get(transactionId);
    if (isFraud === undefined) {
      unlabelled[bin]! += 1;
      return;
    }
    (isFraud ? fraud : legitimate)[bin]! += 1;
    labelledScores.push(score);
    labelValues.push(isFraud ? 1 : 0);
  };
  for (const record of scores) {
    if (record.model !== target.model) continue;
    if (record.model_version === target.version) observe(record.transaction_id, record.score);
    if (record.shadow !== null && record.shadow.model_version === target.version) observe(record.transaction_id, record.shadow.score);
  }
  const roc = rocCurve(labelValues, labelledScores);
  const precisionRecall = precisionRecallCurve(labelValues, labelledScores);
  const bothClasses = roc !== undefined;
  return {
    role: target.role,
    version: target.version,
    threshold: target.threshold,
    scored,
    labelled: labelledScores.length,
    fraud: labelValues.filter((label) => label === 1).length,
    rocAuc: bothClasses ? rocAuc(labelValues, labelledScores) : null,
    averagePrecision: bothClasses ? averagePrecision(labelValues, labelledScores) : null,
    roc: roc === undefined ? null : thinCurve(roc, CURVE_POINTS),
    precisionRecall: precisionRecall === undefined ? null : thinCurve(precisionRecall, CURVE_POINTS),
    confusion: labelledScores.length === 0 ? null : confusionMatrix(labelValues, labelledScores, target.threshold),
    histogram: { edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => i / HISTOGRAM_BINS), fraud, legitimate, unlabelled },
  };
}

/** Decided records of `model` per version over `bucketCount` equal buckets from the first score read to the last; undefined without scores. */
export function trafficTimeline(scores: readonly TimedScore[], model: string, bucketCount = 30): TrafficTimeline | undefined {
  const own = scores.filter((record) => record.model === model);
  if (own.length === 0) return undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const record of own) {
    first = Math.min(first, record.scored_at);
    last = Math.max(last, record.scored_at);
  }
  const bucketMs = Math.max(1, Math.ceil((last - first + 1) / bucketCount));
  const versions = [...new Set(own.map((record) => record.model_version))].sort((a, b) => a - b);
  const counts = Array.from({ length: bucketCount }, () => new Array<number>(versions.length).fill(0));
  for (const record of own) {
    const bucket = Math.min(bucketCount - 1, Math.floor((record.scored_at - first) / bucketMs));
    counts[bucket]![versions.indexOf(record.model_version)]! += 1;
  }
  return { bucketMs, versions, buckets: counts.map((bucketCounts, index) => ({ start: first + index * bucketMs, counts: bucketCounts })) };
}
