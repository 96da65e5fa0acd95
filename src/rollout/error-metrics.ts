/**
 * Live quality of a regression model's variants from their labelled predictions: mean absolute
 * error and root mean squared error, each with a normal-approximation confidence interval, and
 * the challenger's difference from the champion on both with its standard error, which the
 * rollout's guardrails and promotion test (significance.ts, {@link testDifferenceAbove}).
 *
 * Two ways to compare, chosen by how the traffic was shared:
 * - paired: in shadow mode the challenger predicts every event the champion decides, so each
 *   labelled event gives both errors; the test runs on the per-event differences, which removes
 *   the spread between events (easy and hard deliveries alike) from the comparison;
 * - unpaired: on split traffic each event has one variant's prediction only, so the two samples
 *   are independent and the standard errors add (Welch's z-test, as the classifier rates'
 *   two-proportion test does).
 * RMSE differences use the delta method: RMSE = √MSE, so a change of MSE by ε moves RMSE by
 * ε / (2·RMSE); per event that is the influence (e² − MSE) / (2·RMSE).
 */
import { normalQuantile } from './normal-distribution.js';

/** A point estimate with its two-sided confidence interval. */
export interface ErrorEstimate {
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

/** Labelled predictions of one variant and their errors; null estimates without any. */
export interface VariantErrors {
  readonly labelled: number;
  readonly mae: ErrorEstimate | null;
  readonly rmse: ErrorEstimate | null;
}

/** challenger − champion on one error metric (positive: the challenger errs more). */
export interface ErrorDifference {
  readonly difference: number;
  readonly standardError: number;
}

export interface ErrorComparison {
  readonly pairing: 'paired' | 'unpaired';
  /** What the test rests on: labelled events with both predictions (paired), or the smaller of the two samples (unpaired). */
  readonly samples: number;
  /** Null with fewer than two samples on a side: no spread to test against. */
  readonly mae: ErrorDifference | null;
  readonly rmse: ErrorDifference | null;
}

/** The live error metrics a rollout can compare; lower is better for both. */
export type ErrorMetric = 'mae' | 'rmse';

/** Sums of one variant's errors: enough for its figures and an unpaired comparison. */
export interface ErrorSums {
  readonly count: number;
  /** Σ|e| */
  readonly absolute: number;
  /** Σe² */
  readonly squared: number;
  /** Σe⁴, for the spread of the squared errors. */
  readonly fourth: number;
}

export const EMPTY_ERROR_SUMS: ErrorSums = { count: 0, absolute: 0, squared: 0, fourth: 0 };

/** The sums with one more error `prediction − label`. */
export function addError(sums: ErrorSums, prediction: number, label: number): ErrorSums {
  const error = prediction - label;
  const squared = error * error;
  return { count: sums.count + 1, absolute: sums.absolute + Math.abs(error), squared: sums.squared + squared, fourth: sums.fourth + squared * squared };
}

/** Sample variance from a sum and a sum of squares of n values; 0 below two values. */
const variance = (n: number, sum: number, sumOfSquares: number): number => (n < 2 ? 0 : Math.max(0, (sumOfSquares - (sum * sum) / n) / (n - 1)));

const zOf = (confidence: number): number => normalQuantile(1 - (1 - confidence) / 2);

/**
 * MAE and RMSE with intervals at `confidence`: MAE ± z·s(|e|)/√n; RMSE as the square root of the
 * ends of MSE ± z·s(e²)/√n (the lower end floored at 0), so the interval stays on RMSE's scale.
 */
export function variantErrors(sums: ErrorSums, confidence: number): VariantErrors {
  const n = sums.count;
  if (n === 0) return { labelled: 0, mae: null, rmse: null };
  const z = zOf(confidence);
  const mae = sums.absolute / n;
  const maeHalf = (z * Math.sqrt(variance(n, sums.absolute, sums.squared))) / Math.sqrt(n);
  const mse = sums.squared / n;
  const mseHalf = (z * Math.sqrt(variance(n, sums.squared, sums.fourth))) / Math.sqrt(n);
  return {
    labelled: n,
    mae: { value: mae, lower: Math.max(0, mae - maeHalf), upper: mae + maeHalf },
    rmse: { value: Math.sqrt(mse), lower: Math.sqrt(Math.max(0, mse - mseHalf)), upper: Math.sqrt(mse + mseHalf) },
  };
}

/**
 * Unpaired comparison of two independent samples: the difference of the means with the square
 * root of the summed variances of the means (Welch), and for RMSE the delta method on each side.
 */
export function unpairedComparison(challenger: ErrorSums, champion: ErrorSums): ErrorComparison {
  const samples = Math.min(challenger.count, champion.count);
  if (samples < 2) return { pairing: 'unpaired', samples, mae: null, rmse: null };
  const mean = (sums: ErrorSums, total: number): number => total / sums.count;
  const maeVariance = (sums: ErrorSums): number => variance(sums.count, sums.absolute, sums.squared) / sums.count;
  const rmseOf = (sums: ErrorSums): number => Math.sqrt(mean(sums, sums.squared));
  // Var(√MSE) ≈ Var(MSE) / (4·MSE); a side without error has no spread on this scale.
  const rmseVariance = (sums: ErrorSums): number => {
    const mse = mean(sums, sums.squared);
    return mse === 0 ? 0 : variance(sums.count, sums.squared, sums.fourth) / sums.count / (4 * mse);
  };
  return {
    pairing: 'unpaired',
    samples,
    mae: { difference: mean(challenger, challenger.absolute) - mean(champion, champion.absolute), standardError: Math.sqrt(maeVariance(challenger) + maeVariance(champion)) },
    rmse: { difference: rmseOf(challenger) - rmseOf(champion), standardError: Math.sqrt(rmseVariance(challenger) + rmseVariance(champion)) },
  };
}

/** One labelled event both variants predicted: each one's error (prediction − label). */
export interface PairedErrors {
  readonly challenger: number;
  readonly champion: number;
}

/** Mean and standard error of the mean of per-event values. */
function meanWithError(values: readonly number[]): ErrorDifference {
  const n = values.length;
  let sum = 0;
  let sumOfSquares = 0;
  for (const value of values) {
    sum += value;
    sumOfSquares += value * value;
  }
  return { difference: sum / n, standardError: Math.sqrt(variance(n, sum, sumOfSquares) / n) };
}

/**
 * Paired comparison on the same events: MAE's difference is the mean of |e_challenger| −
 * |e_champion| per event, its standard error that of the mean of those differences; RMSE's is
 * RMSE_challenger − RMSE_champion over these events, its standard error from the per-event
 * difference of the two influences (delta method, see the module comment).
 */
export function pairedComparison(pairs: readonly PairedErrors[]): ErrorComparison {
  const samples = pairs.length;
  if (samples < 2) return { pairing: 'paired', samples, mae: null, rmse: null };
  const mae = meanWithError(pairs.map((pair) => Math.abs(pair.challenger) - Math.abs(pair.champion)));
  const mseOf = (pick: (pair: PairedErrors) => number): number => pairs.reduce((sum, pair) => sum + pick(pair) ** 2, 0) / samples;
  const challengerMse = mseOf((pair) => pair.challenger);
  const championMse = mseOf((pair) => pair.champion);
  const challengerRmse = Math.sqrt(challengerMse);
  const championRmse = Math.sqrt(championMse);
  const influence = (error: number, mse: number, rmse: number): number => (rmse === 0 ? 0 : (error * error - mse) / (2 * rmse));
  const spread = meanWithError(pairs.map((pair) => influence(pair.challenger, challengerMse, challengerRmse) - influence(pair.champion, championMse, championRmse)));
  return { pairing: 'paired', samples, mae, rmse: { difference: challengerRmse - championRmse, standardError: spread.standardError } };
}
