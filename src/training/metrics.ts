/**
 * Binary classification metrics over labels (1 positive, 0 negative) and scores (higher means more
 * likely positive). An example is flagged when its score is at or above the threshold. Metrics
 * that compare the classes need both in the input and throw {@link MetricInputError} otherwise,
 * rather than return a number that means nothing.
 */
import { MetricInputError, UnreachableTargetError } from './errors.js';

/** Counts of flagged and unflagged examples by their true label. */
export interface ConfusionMatrix {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

/** The classifier's behaviour at one threshold. */
export interface ThresholdMetrics {
  readonly threshold: number;
  readonly confusion: ConfusionMatrix;
  /** Share of flagged examples that are positive; 0 when nothing is flagged. */
  readonly precision: number;
  /** Share of positive examples that is flagged (true-positive rate). */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
  /** Share of negative examples that are flagged. */
  readonly falsePositiveRate: number;
}

/** An operating point: the most positive examples caught within a false-positive budget, or the fewest false positives for a recall. */
export type ThresholdTarget = { readonly targetFalsePositiveRate: number } | { readonly targetRecall: number };

interface ClassCounts {
  readonly positives: number;
  readonly negatives: number;
}

/** Area under the ROC curve: the probability that a random positive example outscores a random negative one, ties counting half. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, negatives } = checkInputs('ROC-AUC', labels, scores, 'both classes');
  // Mann-Whitney U from ranks; tied scores share the average of their ranks.
  const order = Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[a]! - scores[b]!);
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    const averageRank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index += 1) if (labels[order[index]!] === 1) positiveRankSum += averageRank;
    start = end + 1;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision-recall curve as average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct
 * scores from highest to lowest (tied scores enter together). Unlike ROC-AUC it is dominated by
 * the top of the ranking, which is what a rare class needs.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives } = checkInputs('PR-AUC', labels, scores, 'both classes');
  let area = 0;
  let previousRecall = 0;
  for (const { truePositives, falsePositives } of curvePoints(labels, scores)) {
    const recall = truePositives / positives;
    area += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
    previousRecall = recall;
  }
  return area;
}

/** The confusion matrix when every score at or above `threshold` is flagged. */
export function confusionMatrix(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ConfusionMatrix {
  checkInputs('the confusion matrix', labels, scores, 'any classes');
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (let index = 0; index < labels.length; index += 1) {
    const flagged = scores[index]! >= threshold;
    const positive = labels[index] === 1;
    if (flagged && positive) truePositives += 1;
    else if (flagged) falsePositives += 1;
    else if (positive) falseNegatives += 1;
    else trueNegatives += 1;
  }
  return { truePositives, falsePositives, trueNegatives, falseNegatives };
}

/** Precision, recall, F1 and false-positive rate when every score at or above `threshold` is flagged. */
export function metricsAtThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdMetrics {
  checkInputs('metrics at a threshold', labels, scores, 'both classes');
  return summarise(threshold, confusionMatrix(labels, scores, threshold));
}

/**
 * The threshold of an operating point, with the metrics there:
 * - `targetRecall`: the highest threshold that flags at least that share of positives, so the fewest
 *   false positives for it; always reachable, since the lowest score flags everything.
 * - `targetFalsePositiveRate`: the lowest threshold whose false-positive rate stays within the
 *   target, so the most positives caught within it; throws {@link UnreachableTargetError} when even
 *   the highest score alone exceeds it.
 * Thresholds are scores of the input, and ties are flagged together.
 */
export function chooseThreshold(target: ThresholdTarget, labels: ArrayLike<number>, scores: ArrayLike<number>): ThresholdMetrics {
  const { positives, negatives } = checkInputs('a threshold', labels, scores, 'both classes');
  const points = curvePoints(labels, scores);
  if ('targetRecall' in target) {
    const { targetRecall } = target;
    if (!(targetRecall > 0 && targetRecall <= 1)) throw new MetricInputError('a threshold', `targetRecall=${targetRecall} is not above 0 and at most 1`);
    // Recall only grows as the threshold falls; the last point has recall 1.
    const point = points.find(({ truePositives }) => truePositives / positives >= targetRecall) ?? points[points.length - 1]!;
    return metricsAtThreshold(labels, scores, point.threshold);
  }
  const { targetFalsePositiveRate } = target;
  if (!(targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1)) {
    throw new MetricInputError('a threshold', `targetFalsePositiveRate=${targetFalsePositiveRate} is not at least 0 and below 1`);
  }
  let chosen: number | undefined;
  for (const { threshold, falsePositives } of points) {
    if (falsePositives / negatives > targetFalsePositiveRate) break;
    chosen = threshold;
  }
  if (chosen === undefined) {
    const top = points[0]!;
    throw new UnreachableTargetError(
      `false-positive rate ${targetFalsePositiveRate}`,
      `the highest score (${top.threshold}) alone flags ${top.falsePositives} of ${negatives} negative examples (rate ${top.falsePositives / negatives})`,
    );
  }
  return metricsAtThreshold(labels, scores, chosen);
}

/** The lowest false-positive rate at which at least `targetRecall` of the positive examples is flagged. */
export function falsePositiveRateAtRecall(labels: ArrayLike<number>, scores: ArrayLike<number>, targetRecall: number): number {
  return chooseThreshold({ targetRecall }, labels, scores).falsePositiveRate;
}

/** Mean squared difference between predicted probability and label: 0 is perfect, lower is better calibrated. */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkInputs('the Brier score', labels, probabilities, 'any classes');
  let sum = 0;
  for (let index = 0; index < labels.length; index += 1) {
    const probability = probabilities[index]!;
    if (probability < 0 || probability > 1) throw new MetricInputError('the Brier score', `probability ${probability} at index ${index} is not within [0, 1]`);
    sum += (probability - labels[index]!) ** 2;
  }
  return sum / labels.length;
}

interface CurvePoint {
  readonly threshold: number;
  /** Cumulative counts of everything scored at or above `threshold`. */
  readonly truePositives: number;
  readonly falsePositives: number;
}

/** One point per distinct score, from the highest down, with what flagging at that score catches. */
function curvePoints(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoint[] {
  const order = Array.from({ length: scores.length }, (_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
  const points: CurvePoint[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  for (let index = 0; index < order.length; index += 1) {
    const item = order[index]!;
    if (labels[item] === 1) truePositives += 1;
    else falsePositives += 1;
    const next = order[index + 1];
    if (next === undefined || scores[next] !== scores[item]) points.push({ threshold: scores[item]!, truePositives, falsePositives });
  }
  return points;
}

function summarise(threshold: number, confusion: ConfusionMatrix): ThresholdMetrics {
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = confusion;
  const flagged = truePositives + falsePositives;
  const precision = flagged === 0 ? 0 : truePositives / flagged;
  const recall = truePositives / (truePositives + falseNegatives);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, confusion, precision, recall, f1, falsePositiveRate: falsePositives / (falsePositives + trueNegatives) };
}

function checkInputs(metric: string, labels: ArrayLike<number>, scores: ArrayLike<number>, needs: 'both classes' | 'any classes'): ClassCounts {
  if (labels.length !== scores.length) throw new MetricInputError(metric, `${labels.length} labels but ${scores.length} scores`);
  if (labels.length === 0) throw new MetricInputError(metric, 'no examples');
  let positives = 0;
  for (let index = 0; index < labels.length; index += 1) {
    const label = labels[index];
    if (label !== 0 && label !== 1) throw new MetricInputError(metric, `label ${label} at index ${index} is not 0 or 1`);
    if (!Number.isFinite(scores[index])) throw new MetricInputError(metric, `score ${scores[index]} at index ${index} is not a finite number`);
    positives += label;
  }
  const negatives = labels.length - positives;
  if (needs === 'both classes' && (positives === 0 || negatives === 0)) {
    throw new MetricInputError(metric, `it needs both classes, but all ${labels.length} labels are ${positives === 0 ? '0 (negative)' : '1 (positive)'}`);
  }
  return { positives, negatives };
}
