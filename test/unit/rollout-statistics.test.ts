/**
 * The rollout's statistics against values computed by hand: the normal CDF and quantile, Wilson
 * score intervals, two-proportion z-tests with and without a margin, and PSI.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/rollout/normal-distribution.js';
import { addScore, emptyScoreHistogram, populationStabilityIndex } from '../../src/rollout/psi.js';
import { testRateAbove, testRateBelow } from '../../src/rollout/significance.js';
import { variantRates, wilsonInterval } from '../../src/rollout/variant-metrics.js';

describe('normal distribution', () => {
  it('has the textbook values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(() => normalQuantile(1)).toThrow('strictly between 0 and 1, got 1');
  });
});

describe('Wilson score interval', () => {
  it('8 of 10 at 95 %: centre (0.8 + z²/20) / (1 + z²/10), half-width z·√(0.016 + z²/400) / (1 + z²/10)', () => {
    const interval = wilsonInterval(8, 10, 0.95);
    expect(interval.rate).toBe(0.8);
    expect(interval.lower).toBeCloseTo(0.490162, 5);
    expect(interval.upper).toBeCloseTo(0.943318, 5);
  });

  it('0 of 20 stays inside [0, 1]: from 0 to z²/20 / (1 + z²/20)', () => {
    const interval = wilsonInterval(0, 20, 0.95);
    expect(interval.lower).toBe(0);
    expect(interval.upper).toBeCloseTo(0.161129, 5);
  });

  it('has no rate without trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0, 0.95)).toEqual({ successes: 0, trials: 0, rate: null, lower: null, upper: null });
    expect(() => wilsonInterval(5, 4, 0.95)).toThrow('0 <= successes <= trials, got 5 of 4');
  });

  it('takes precision, recall and false-positive rate from the confusion counts', () => {
    const rates = variantRates({ truePositives: 8, falsePositives: 2, trueNegatives: 88, falseNegatives: 2 }, 0.95);
    expect(rates.labelled).toBe(100);
    expect(rates.precision).toMatchObject({ successes: 8, trials: 10, rate: 0.8 });
    expect(rates.recall).toMatchObject({ successes: 8, trials: 10, rate: 0.8 });
    expect(rates.falsePositiveRate).toMatchObject({ successes: 2, trials: 90 });
    expect(rates.falsePositiveRate.rate).toBeCloseTo(0.022222, 6);
  });
});

describe('two-proportion z-test', () => {
  it('60/100 above 50/100: pooled SE √(0.55·0.45·0.02) = 0.070356, z = 1.4213, one-sided p = 0.0776', () => {
    const result = testRateAbove({ successes: 60, trials: 100 }, { successes: 50, trials: 100 })!;
    expect(result.difference).toBeCloseTo(0.1, 10);
    expect(result.z).toBeCloseTo(1.42134, 4);
    expect(result.pValue).toBeCloseTo(0.07761, 4);
  });

  it('with a margin: FPR 30/1000 above 20/1000 by more than 0.005 uses the unpooled SE 0.0069785, z = 0.7165, p = 0.2368', () => {
    const result = testRateAbove({ successes: 30, trials: 1000 }, { successes: 20, trials: 1000 }, 0.005)!;
    expect(result.z).toBeCloseTo(0.71649, 4);
    expect(result.pValue).toBeCloseTo(0.23684, 4);
  });

  it('below is the mirror of above', () => {
    const below = testRateBelow({ successes: 50, trials: 100 }, { successes: 60, trials: 100 })!;
    expect(below.difference).toBeCloseTo(-0.1, 10);
    expect(below.z).toBeCloseTo(1.42134, 4);
  });

  it('says nothing without trials or without variance', () => {
    expect(testRateAbove({ successes: 0, trials: 0 }, { successes: 5, trials: 10 })).toBeUndefined();
    expect(testRateAbove({ successes: 0, trials: 50 }, { successes: 0, trials: 50 })).toBeUndefined();
  });
});

describe('population stability index', () => {
  it('[50, 50] against [25, 75]: (0.25−0.5)·ln(0.5) + (0.75−0.5)·ln(1.5) = 0.274653', () => {
    const edges = [0, 0.5, 1];
    expect(populationStabilityIndex({ edges, counts: [50, 50] }, { edges, counts: [25, 75] })).toBeCloseTo(0.274653, 6);
    expect(populationStabilityIndex({ edges, counts: [50, 50] }, { edges, counts: [10, 10] })).toBe(0);
  });

  it('floors empty bins at epsilon instead of going infinite, and has no value without scores', () => {
    const edges = [0, 0.5, 1];
    // (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5)
    expect(populationStabilityIndex({ edges, counts: [1, 1] }, { edges, counts: [0, 4] })).toBeCloseTo((1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2), 9);
    expect(populationStabilityIndex({ edges, counts: [0, 0] }, { edges, counts: [1, 1] })).toBeUndefined();
    expect(() => populationStabilityIndex({ edges, counts: [1, 1] }, emptyScoreHistogram(3))).toThrow('same bin edges');
  });

  it('bins scores by [lower, upper) with the last bin closed, and out-of-range scores at the ends', () => {
    let histogram = emptyScoreHistogram(4);
    for (const score of [0, 0.2499, 0.25, 0.5, 0.99, 1, -0.1, 1.2]) histogram = addScore(histogram, score);
    expect(histogram.counts).toEqual([3, 1, 1, 3]);
  });
});
