/**
 * How each served version did on labelled traffic, from `scores` records joined with `labels`
 * (by the pipeline's join key and label field): for a classifier the curves, areas and confusion
 * matrix the report draws and the score distribution by label; for a regression model MAE, RMSE
 * and R² and the distribution of its predictions; and how the decided traffic was shared between
 * versions over time (the rollout's ramp as it happened). Pure: gather-report.ts feeds it records
 * read from Kafka.
 *
 * A version's scores are those it decided (as champion or as challenger on split traffic) plus
 * its shadow scores (challenger in shadow mode): each says what the version made of a real record.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { LabelValues, ScoreObservation } from '../rollout/live-metrics.js';
import { averagePrecision, confusionMatrix, rocAuc, type ConfusionMatrix } from '../training/metrics.js';
import { meanAbsoluteError, rootMeanSquaredError, rSquared } from '../training/regression-metrics.js';
import { precisionRecallCurve, rocCurve, thinCurve, type CurvePoint } from './curves.js';

/** A `scores` record with the time it was scored (epoch ms). */
export interface TimedScore extends ScoreObservation {
  readonly scored_at: number;
}

/** Counts per bin of each class's scores over [0, 1]; bin i is [edges[i], edges[i+1]), the last one closed. */
export interface ClassHistogram {
  readonly edges: readonly number[];
  readonly positive: readonly number[];
  readonly negative: readonly number[];
  readonly unlabelled: readonly number[];
}

/** A regression model's errors on its labelled predictions, and where its predictions lie. */
export interface RegressionEvaluation {
  readonly mae: number;
  readonly rmse: number;
  /** Null when the labels read do not vary. */
  readonly r2: number | null;
  /** Counts of labelled and unlabelled predictions per bin of equal width between the smallest and the largest. */
  readonly histogram: { readonly edges: readonly number[]; readonly labelled: readonly number[]; readonly unlabelled: readonly number[] };
}

export interface VersionEvaluation {
  readonly role: 'champion' | 'challenger';
  readonly version: number;
  /** @default 'binary-classification' when absent */
  readonly task?: ModelTask;
  /** The version's decision threshold (from the registry); null for regression. */
  readonly threshold: number | null;
  /** Scores of the version read, labelled or not. */
  readonly scored: number;
  readonly labelled: number;
  /** Classifiers: labelled scores whose label is positive. */
  readonly positives: number;
  /** Null when the labelled scores lack positives or negatives (and for regression). */
  readonly rocAuc: number | null;
  readonly averagePrecision: number | null;
  readonly roc: readonly CurvePoint[] | null;
  readonly precisionRecall: readonly CurvePoint[] | null;
  /** At the version's threshold; null when none of its scores is labelled (and for regression). */
  readonly confusion: ConfusionMatrix | null;
  /** Classifiers: counts per bin of the version's scores, by label; null for regression. */
  readonly histogram: ClassHistogram | null;
  /** Regression: its errors and predictions; null for classifiers and when none of its predictions is labelled. */
  readonly regression: RegressionEvaluation | null;
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

/** A version's predictions of `model` among `scores` (decided or shadow), each with its event id. */
function predictionsOf(model: string, version: number, scores: readonly ScoreObservation[]): { eventId: string; prediction: number }[] {
  const found: { eventId: string; prediction: number }[] = [];
  for (const record of scores) {
    if (record.model !== model) continue;
    if (record.model_version === version) found.push({ eventId: record.event_id, prediction: record.prediction });
    if (record.shadow !== null && record.shadow.model_version === version) found.push({ eventId: record.event_id, prediction: record.shadow.prediction });
  }
  return found;
}

/**
 * The evaluation of `version` of `model` on the scores read, joined with the labels read (event id
 * → label: 1/0 for a classifier, the observed value for regression).
 */
export function evaluateVersion(
  target: { readonly model: string; readonly version: number; readonly role: VersionEvaluation['role']; readonly threshold: number | null; readonly task?: ModelTask },
  scores: readonly ScoreObservation[],
  labels: LabelValues,
): VersionEvaluation {
  const predictions = predictionsOf(target.model, target.version, scores);
  const task = target.task ?? 'binary-classification';
  if (task === 'regression') return evaluateRegression(target, predictions, labels);
  const labelledScores: number[] = [];
  const labelValues: number[] = [];
  const positive = new Array<number>(HISTOGRAM_BINS).fill(0);
  const negative = new Array<number>(HISTOGRAM_BINS).fill(0);
  const unlabelled = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const { eventId, prediction } of predictions) {
    const bin = binOf(prediction, HISTOGRAM_BINS);
    const label = labels.get(eventId);
    if (label === undefined) {
      unlabelled[bin]! += 1;
      continue;
    }
    (label === 1 ? positive : negative)[bin]! += 1;
    labelledScores.push(prediction);
    labelValues.push(label === 1 ? 1 : 0);
  }
  const roc = rocCurve(labelValues, labelledScores);
  const precisionRecall = precisionRecallCurve(labelValues, labelledScores);
  const bothClasses = roc !== undefined;
  const threshold = target.threshold ?? 0.5;
  return {
    role: target.role,
    version: target.version,
    task,
    threshold,
    scored: predictions.length,
    labelled: labelledScores.length,
    positives: labelValues.filter((label) => label === 1).length,
    rocAuc: bothClasses ? rocAuc(labelValues, labelledScores) : null,
    averagePrecision: bothClasses ? averagePrecision(labelValues, labelledScores) : null,
    roc: roc === undefined ? null : thinCurve(roc, CURVE_POINTS),
    precisionRecall: precisionRecall === undefined ? null : thinCurve(precisionRecall, CURVE_POINTS),
    confusion: labelledScores.length === 0 ? null : confusionMatrix(labelValues, labelledScores, threshold),
    histogram: { edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => i / HISTOGRAM_BINS), positive, negative, unlabelled },
    regression: null,
  };
}

function evaluateRegression(
  target: { readonly version: number; readonly role: VersionEvaluation['role'] },
  predictions: readonly { eventId: string; prediction: number }[],
  labels: LabelValues,
): VersionEvaluation {
  const observed: number[] = [];
  const predicted: number[] = [];
  let lowest = Infinity;
  let highest = -Infinity;
  for (const { eventId, prediction } of predictions) {
    lowest = Math.min(lowest, prediction);
    highest = Math.max(highest, prediction);
    const label = labels.get(eventId);
    if (label === undefined) continue;
    observed.push(label);
    predicted.push(prediction);
  }
  // Equal bins between the smallest and largest prediction: a regression value has no fixed range.
  const width = highest > lowest ? (highest - lowest) / HISTOGRAM_BINS : 1;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => lowest + i * width);
  const labelled = new Array<number>(HISTOGRAM_BINS).fill(0);
  const unlabelled = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const { eventId, prediction } of predictions) {
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((prediction - lowest) / width));
    (labels.has(eventId) ? labelled : unlabelled)[bin]! += 1;
  }
  const varies = observed.some((value) => value !== observed[0]);
  return {
    role: target.role,
    version: target.version,
    task: 'regression',
    threshold: null,
    scored: predictions.length,
    labelled: observed.length,
    positives: 0,
    rocAuc: null,
    averagePrecision: null,
    roc: null,
    precisionRecall: null,
    confusion: null,
    histogram: null,
    regression:
      observed.length === 0
        ? null
        : {
            mae: meanAbsoluteError(observed, predicted),
            rmse: rootMeanSquaredError(observed, predicted),
            r2: varies ? rSquared(observed, predicted) : null,
            histogram: { edges, labelled, unlabelled },
          },
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
