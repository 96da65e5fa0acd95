/**
 * Live quality of one variant from its labelled scores: the confusion counts at the model's own
 * decision (POSITIVE = flagged) and the rates a rollout compares — precision, recall and
 * false-positive rate — each with a Wilson score interval, which stays inside [0, 1] and is
 * honest for small counts and rates near 0, where the normal ("Wald") interval is not.
 */
import { normalQuantile } from './normal-distribution.js';

/** Labelled decisions of one variant. */
export interface ConfusionCounts {
  /** Flagged and positive. */
  readonly truePositives: number;
  /** Flagged but negative. */
  readonly falsePositives: number;
  /** Passed and negative. */
  readonly trueNegatives: number;
  /** Passed but positive. */
  readonly falseNegatives: number;
}

/** A proportion `successes / trials` with its confidence interval; null rate and bounds without trials. */
export interface Proportion {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/** The rates a rollout compares, at one confidence level. */
export interface VariantRates {
  readonly labelled: number;
  readonly precision: Proportion;
  readonly recall: Proportion;
  readonly falsePositiveRate: Proportion;
}

/** The metrics a guardrail or a promotion rule can compare. */
export type ComparedMetric = 'precision' | 'recall' | 'falsePositiveRate';

/** Whether a higher value of the metric is better (precision, recall) or worse (false-positive rate). */
export const HIGHER_IS_BETTER: Readonly<Record<ComparedMetric, boolean>> = { precision: true, recall: true, falsePositiveRate: false };

export const EMPTY_CONFUSION: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };

export const labelledCount = (counts: ConfusionCounts): number => counts.truePositives + counts.falsePositives + counts.trueNegatives + counts.falseNegatives;

/** Adds one labelled decision to the counts. */
export function countDecision(counts: ConfusionCounts, flagged: boolean, positive: boolean): ConfusionCounts {
  if (flagged) return positive ? { ...counts, truePositives: counts.truePositives + 1 } : { ...counts, falsePositives: counts.falsePositives + 1 };
  return positive ? { ...counts, falseNegatives: counts.falseNegatives + 1 } : { ...counts, trueNegatives: counts.trueNegatives + 1 };
}

/**
 * The Wilson score interval of `successes` out of `trials` at `confidence` (two-sided), e.g.
 * 0.95: centre (p + z²/2n) / (1 + z²/n), half-width z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
 */
export function wilsonInterval(successes: number, trials: number, confidence: number): Proportion {
  if (!(Number.isInteger(successes) && Number.isInteger(trials) && successes >= 0 && successes <= trials)) {
    throw new RangeError(`a proportion needs whole numbers 0 <= successes <= trials, got ${successes} of ${trials}`);
  }
  if (trials === 0) return { successes, trials, rate: null, lower: null, upper: null };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const halfWidth = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / (1 + z2n);
  return { successes, trials, rate: p, lower: Math.max(0, centre - halfWidth), upper: Math.min(1, centre + halfWidth) };
}

/** Precision TP/(TP+FP), recall TP/(TP+FN) and false-positive rate FP/(FP+TN), with Wilson intervals at `confidence`. */
export function variantRates(counts: ConfusionCounts, confidence: number): VariantRates {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = counts;
  return {
    labelled: labelledCount(counts),
    precision: wilsonInterval(tp, tp + fp, confidence),
    recall: wilsonInterval(tp, tp + fn, confidence),
    falsePositiveRate: wilsonInterval(fp, fp + tn, confidence),
  };
}
