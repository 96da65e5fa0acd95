/**
 * Two-proportion z-tests between the challenger and the champion: "is the challenger worse by
 * more than a margin?" (a guardrail) and "is it better?" (promotion), one-sided at level α.
 *
 * For a difference d = p_challenger − p_champion tested against a margin δ:
 * - δ = 0: the pooled standard error √(p̄(1−p̄)(1/n₁+1/n₂)), the textbook test of equal rates;
 * - δ ≠ 0: the unpooled √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂), since the null hypothesis no longer says
 *   the rates are equal (Farrington–Manning style non-inferiority).
 * z = (d − δ) / SE; the one-sided p-value of "d > δ" is 1 − Φ(z).
 */
import { normalCdf } from './normal-distribution.js';

/** Successes out of trials for one variant. */
export interface ProportionSample {
  readonly successes: number;
  readonly trials: number;
}

export interface ZTestResult {
  /** p_challenger − p_champion. */
  readonly difference: number;
  readonly z: number;
  /** One-sided p-value of the hypothesis "difference > margin". */
  readonly pValue: number;
}

/**
 * Tests whether `challenger`'s rate exceeds `champion`'s by more than `margin` (which may be
 * negative: margin −0.02 asks "is it less than 0.02 lower?"). Returns undefined when either side
 * has no trials, or when the standard error is 0 (both rates 0 or both 1: nothing to tell apart).
 */
export function testRateAbove(challenger: ProportionSample, champion: ProportionSample, margin = 0): ZTestResult | undefined {
  const { successes: x1, trials: n1 } = challenger;
  const { successes: x2, trials: n2 } = champion;
  if (n1 === 0 || n2 === 0) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const standardError = margin === 0 ? Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) : Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  if (standardError === 0) return undefined;
  const difference = p1 - p2;
  const z = (difference - margin) / standardError;
  return { difference, z, pValue: 1 - normalCdf(z) };
}

/** Tests whether `challenger`'s rate is below `champion`'s by more than `margin` (≥ 0). */
export function testRateBelow(challenger: ProportionSample, champion: ProportionSample, margin = 0): ZTestResult | undefined {
  const flipped = testRateAbove(champion, challenger, margin);
  return flipped === undefined ? undefined : { ...flipped, difference: -flipped.difference };
}

/** An estimated difference (challenger − champion) with its standard error, from any test's sample. */
export interface DifferenceSample {
  readonly difference: number;
  readonly standardError: number;
}

/**
 * One-sided z-test of "the difference exceeds `margin`" for a difference of means or errors
 * (error-metrics.ts): z = (d − δ) / SE. A standard error of 0 means every event differed by the
 * same amount: then the difference is certain, above the margin (p 0) or not (p 1); undefined
 * only when it equals the margin.
 */
export function testDifferenceAbove({ difference, standardError }: DifferenceSample, margin = 0): ZTestResult | undefined {
  if (standardError === 0) {
    if (difference === margin) return undefined;
    return difference > margin ? { difference, z: Number.POSITIVE_INFINITY, pValue: 0 } : { difference, z: Number.NEGATIVE_INFINITY, pValue: 1 };
  }
  if (!(standardError > 0)) return undefined;
  const z = (difference - margin) / standardError;
  return { difference, z, pValue: 1 - normalCdf(z) };
}

/** One-sided z-test of "the difference is below −`margin`" (margin ≥ 0): the mirror of {@link testDifferenceAbove}. */
export function testDifferenceBelow(sample: DifferenceSample, margin = 0): ZTestResult | undefined {
  const flipped = testDifferenceAbove({ difference: -sample.difference, standardError: sample.standardError }, margin);
  return flipped === undefined ? undefined : { ...flipped, difference: sample.difference };
}
