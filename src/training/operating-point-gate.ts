/**
 * The operating-point gate: the candidate against the champion as the scorer uses them, each at
 * its own decision threshold (the candidate at the one just chosen for it, the champion at the one
 * it serves with), on the same hold-out examples. A ranking metric such as PR-AUC can rise while
 * the false-positive rate at the threshold the scorer acts on gets worse; this gate catches that.
 *
 * It applies the test the rollout's guardrails apply to live traffic (one-sided two-proportion
 * z-tests: "worse than the champion by more than a margin", at level α), with the same margins, so
 * a version that passes offline is not one the rollout then rolls back for the same rates. The
 * figures carry Wilson intervals, as the rollout's do.
 */
import { testRateAbove, testRateBelow, type ZTestResult } from '../rollout/significance.js';
import { HIGHER_IS_BETTER, wilsonInterval, type ComparedMetric } from '../rollout/variant-metrics.js';
import { MetricInputError } from './errors.js';
import type { ThresholdMetrics, ThresholdTarget } from './metrics.js';

/** How strict the comparison is; the rollout plan's guardrails supply margins and α. */
export interface OperatingPointGateOptions {
  /**
   * Per rate, how much worse than the champion's the candidate's may be before a significant
   * difference refuses it; a rate left out is not compared. The rollout's guardrail margins.
   * @default { falsePositiveRate: 0.01, recall: 0.05 }
   */
  readonly maxWorse?: Partial<Record<ComparedMetric, number>>;
  /** One-sided significance level of the "worse" tests. @default 0.05 */
  readonly alpha?: number;
  /**
   * Positive examples the hold-out split needs before a threshold chosen on it counts: with fewer, a
   * recall of 0.8 is a handful of examples and its interval spans half the range. Below it the
   * gate refuses. @default 30
   */
  readonly minPositives?: number;
  /** Two-sided confidence of the intervals reported. @default 0.95 */
  readonly confidence?: number;
}

/** A rate with its Wilson interval. */
export interface RateEstimate {
  readonly successes: number;
  readonly trials: number;
  readonly rate: number;
  readonly lower: number;
  readonly upper: number;
}

/** One model at one threshold on the hold-out split. */
export interface OperatingPointFigures {
  readonly threshold: number;
  readonly precision: RateEstimate;
  readonly recall: RateEstimate;
  readonly falsePositiveRate: RateEstimate;
}

/** The first rate on which the candidate is significantly worse than the champion by more than the margin. */
export interface WorseRate extends ZTestResult {
  readonly metric: ComparedMetric;
  readonly margin: number;
  readonly alpha: number;
}

export interface OperatingPointComparison {
  /** The decision policy the candidate's threshold was chosen by. */
  readonly target: ThresholdTarget;
  readonly examples: number;
  readonly positives: number;
  readonly negatives: number;
  readonly minPositives: number;
  readonly candidate: OperatingPointFigures;
  /** At its serving threshold. */
  readonly champion: OperatingPointFigures;
  /** Undefined when no compared rate is significantly worse, or too few positives to test. */
  readonly worse: WorseRate | undefined;
  /** Enough positives and no rate significantly worse. */
  readonly passed: boolean;
}

/** The order of the rollout's guardrail checks, so both report the same rate first. */
const COMPARED: readonly ComparedMetric[] = ['precision', 'recall', 'falsePositiveRate'];

export function compileOperatingPointGateOptions(options: OperatingPointGateOptions): Required<OperatingPointGateOptions> {
  const { maxWorse = { falsePositiveRate: 0.01, recall: 0.05 }, alpha = 0.05, minPositives = 30, confidence = 0.95 } = options;
  return { maxWorse, alpha, minPositives, confidence };
}

/**
 * Compares two operating points measured on the same examples. Throws {@link MetricInputError}
 * when they were not (their counts differ) or when a class is missing.
 */
export function compareOperatingPoints(
  target: ThresholdTarget,
  candidate: ThresholdMetrics,
  champion: ThresholdMetrics,
  options: OperatingPointGateOptions = {},
): OperatingPointComparison {
  const { maxWorse, alpha, minPositives, confidence } = compileOperatingPointGateOptions(options);
  const counts = classCounts(candidate);
  const theirs = classCounts(champion);
  if (counts.positives !== theirs.positives || counts.negatives !== theirs.negatives) {
    throw new MetricInputError(
      'the operating-point comparison',
      `the candidate was measured on ${counts.positives}/${counts.negatives} positive/negative examples, the champion on ${theirs.positives}/${theirs.negatives}: not the same split`,
    );
  }
  const ours = operatingPointFigures(candidate, confidence);
  const champions = operatingPointFigures(champion, confidence);
  let worse: WorseRate | undefined;
  if (counts.positives >= minPositives) {
    for (const metric of COMPARED) {
      const margin = maxWorse[metric];
      if (margin === undefined) continue;
      const test = HIGHER_IS_BETTER[metric] ? testRateBelow(ours[metric], champions[metric], margin) : testRateAbove(ours[metric], champions[metric], margin);
      if (test !== undefined && test.pValue < alpha) {
        worse = { ...test, metric, margin, alpha };
        break;
      }
    }
  }
  return {
    target,
    examples: counts.positives + counts.negatives,
    ...counts,
    minPositives,
    candidate: ours,
    champion: champions,
    worse,
    passed: counts.positives >= minPositives && worse === undefined,
  };
}

const METRIC_NAMES: Readonly<Record<ComparedMetric, string>> = { precision: 'precision', recall: 'recall', falsePositiveRate: 'FPR' };

/**
 * One line a person reads, e.g. `FPR at recall 0.80 is 0.282 [0.251, 0.315] vs champion v1's
 * 0.013 [0.008, 0.021] on the same 2,000 examples: worse by more than 0.05 (z=…, p=… < α 0.05)`.
 * The champion's figures are at the threshold it serves with.
 */
export function describeOperatingPoints(comparison: OperatingPointComparison, championName: string): string {
  const { candidate, champion, worse, positives, minPositives } = comparison;
  if (positives < minPositives) {
    return (
      `the test split holds ${count(positives)} positive examples, too few for a threshold to count: at least ${count(minPositives)} are needed ` +
      `to compare operating points with ${championName}; train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)`
    );
  }
  const shown: ComparedMetric = worse?.metric ?? 'falsePositiveRate';
  const other: ComparedMetric = shown === 'recall' ? 'falsePositiveRate' : 'recall';
  const figuresLine =
    `${METRIC_NAMES[shown]} at its threshold for ${targetName(comparison.target)} (${candidate.threshold.toFixed(3)}) is ${estimate(candidate[shown])} ` +
    `vs ${championName}'s ${estimate(champion[shown])} at its serving threshold ${champion.threshold.toFixed(3)}; ` +
    `${METRIC_NAMES[other]} ${estimate(candidate[other])} vs ${estimate(champion[other])}; on the same ${count(comparison.examples)} examples (${count(positives)} positive)`;
  if (worse === undefined) return figuresLine;
  return `${figuresLine}: worse by more than ${worse.margin} (z=${worse.z.toFixed(2)}, p=${worse.pValue.toPrecision(2)} < α ${worse.alpha})`;
}

/** The rates at one threshold with their Wilson intervals at `confidence`. */
export function operatingPointFigures(point: ThresholdMetrics, confidence = 0.95): OperatingPointFigures {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = point.confusion;
  return {
    threshold: point.threshold,
    precision: rateEstimate(tp, tp + fp, confidence),
    recall: rateEstimate(tp, tp + fn, confidence),
    falsePositiveRate: rateEstimate(fp, fp + tn, confidence),
  };
}

/** A rate with no trials (precision when nothing is flagged) reads as 0 with the widest interval. */
function rateEstimate(successes: number, trials: number, confidence: number): RateEstimate {
  const { rate, lower, upper } = wilsonInterval(successes, trials, confidence);
  return { successes, trials, rate: rate ?? 0, lower: lower ?? 0, upper: upper ?? 1 };
}

function classCounts(point: ThresholdMetrics): { positives: number; negatives: number } {
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = point.confusion;
  const positives = truePositives + falseNegatives;
  const negatives = falsePositives + trueNegatives;
  if (positives === 0 || negatives === 0) throw new MetricInputError('the operating-point comparison', `it needs both classes, but the split holds ${positives} positive and ${negatives} negative examples`);
  return { positives, negatives };
}

const estimate = ({ rate, lower, upper }: RateEstimate): string => `${rate.toFixed(3)} [${lower.toFixed(3)}, ${upper.toFixed(3)}]`;

const targetName = (target: ThresholdTarget): string =>
  'targetRecall' in target ? `recall ${target.targetRecall.toFixed(2)}` : `FPR target ${target.targetFalsePositiveRate.toFixed(3)}`;

/** Thousands separated by commas, without Intl (the workflow sandbox formats this too). */
const count = (value: number): string => String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
