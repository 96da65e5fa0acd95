/**
 * The fraud a training window needs before its test split can give the operating-point gate its
 * minimum, against figures computed by hand, and against the exact binomial probability the rule
 * approximates.
 */
import { describe, expect, it } from 'vitest';
import { windowPositivesForTestSplit } from '../../src/training/test-split-positives.js';

/** P(X ≥ minimum) for X ~ Binomial(trials, p), summed in log space. */
function binomialTailAtLeast(trials: number, p: number, minimum: number): number {
  let logChoose = 0;
  let below = 0;
  for (let k = 0; k < minimum; k += 1) {
    below += Math.exp(logChoose + k * Math.log(p) + (trials - k) * Math.log(1 - p));
    logChoose += Math.log(trials - k) - Math.log(k + 1);
  }
  return 1 - below;
}

describe('windowPositivesForTestSplit', () => {
  it('asks 264 fraud examples of a window for 30 in a 15 % test split (the pipeline defaults)', () => {
    // z = 1.644854 (one-sided 95 %); σ = √(0.15 · 0.85) = 0.357071; z·σ = 0.587327;
    // √P = (0.587327 + √(0.344953 + 4 · 0.15 · 30)) / (2 · 0.15) = (0.587327 + 4.283101) / 0.3 = 16.234760;
    // P = 263.567, so 264. The mean alone, 30 / 0.15 = 200, leaves the gate short about half the time.
    expect(windowPositivesForTestSplit(30, 0.15)).toBe(264);
  });

  it('asks 197 for 30 in a 20 % test split, not the 150 the mean alone gives', () => {
    // σ = √(0.2 · 0.8) = 0.4; z·σ = 0.657942; √P = (0.657942 + √(0.432887 + 24)) / 0.4 = (0.657942 + 4.942964) / 0.4 = 14.002265;
    // P = 196.063, so 197: its test split holds 39.4 on average, 39.4 − 1.645 · √(197 · 0.16) = 30.2 at the 5 % quantile.
    expect(windowPositivesForTestSplit(30, 0.2)).toBe(197);
  });

  it('asks 2 for 1 in a 90 % test split and 108 for 10 in 15 %', () => {
    // 1 at 0.9: z·σ = 0.493456; √P = (0.493456 + √(0.243499 + 3.6)) / 1.8 = 1.363302; P = 1.859, so 2.
    expect(windowPositivesForTestSplit(1, 0.9)).toBe(2);
    // 10 at 0.15: √P = (0.587327 + √(0.344953 + 6)) / 0.3 = (0.587327 + 2.518919) / 0.3 = 10.354153; P = 107.208, so 108.
    expect(windowPositivesForTestSplit(10, 0.15)).toBe(108);
  });

  it('gives a window whose test split reaches the minimum with at least 95 % probability, exactly computed', () => {
    for (const [minimum, fraction] of [
      [30, 0.15],
      [30, 0.2],
      [10, 0.15],
      [50, 0.1],
    ] as const) {
      const needed = windowPositivesForTestSplit(minimum, fraction);
      expect(binomialTailAtLeast(needed, fraction, minimum)).toBeGreaterThanOrEqual(0.95);
      // The mean rule leaves it near a coin toss.
      expect(binomialTailAtLeast(Math.ceil(minimum / fraction), fraction, minimum)).toBeLessThan(0.6);
    }
  });

  it('asks more of a smaller test split or a larger minimum', () => {
    expect(windowPositivesForTestSplit(30, 0.1)).toBeGreaterThan(windowPositivesForTestSplit(30, 0.15));
    expect(windowPositivesForTestSplit(40, 0.15)).toBeGreaterThan(windowPositivesForTestSplit(30, 0.15));
  });
});
