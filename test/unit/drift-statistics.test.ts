/**
 * The drift monitor's statistics against values worked out by hand: PSI of a feature over the
 * reference's own bins (decile cuts, or one bin per value for a discrete column) and the
 * two-sample Kolmogorov–Smirnov distance with its asymptotic p-value.
 */
import { describe, expect, it } from 'vitest';
import { binCounts, featurePsi, referenceCuts } from '../../src/rollout/binned-psi.js';
import { kolmogorovQ, kolmogorovSmirnov } from '../../src/drift/kolmogorov-smirnov.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('reference bins', () => {
  it('cuts a column of many distinct values at its deciles', () => {
    expect(referenceCuts(range(0, 100))).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('cuts a discrete column half-way between its values, so a flag has two bins', () => {
    expect(referenceCuts([0, 0, 0, 1])).toEqual([0.5]);
    expect(referenceCuts([1, 2, 2, 4])).toEqual([1.5, 3]);
    expect(referenceCuts([7, 7, 7])).toEqual([]);
  });

  it('drops a decile cut equal to the minimum, which would leave the first bin empty', () => {
    // 60 zeros then 40 distinct values: the first five deciles are all 0.
    const skewed = [...new Array<number>(60).fill(0), ...range(1, 41)];
    expect(referenceCuts(skewed)).toEqual([1, 11, 21, 31]);
  });

  it('counts values into open-ended first and last bins', () => {
    expect(binCounts([-5, 10, 10.5, 90, 200], [10, 20, 30, 40, 50, 60, 70, 80, 90])).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
  });
});

describe('featurePsi', () => {
  it('is 0 for the same distribution', () => {
    expect(featurePsi(range(0, 100), range(0, 100))).toBe(0);
  });

  it('of a flag moving from 20 % to 50 % is (0.5−0.8)·ln(0.5/0.8) + (0.5−0.2)·ln(0.5/0.2) = 0.41589', () => {
    const reference = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    const live = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    expect(featurePsi(reference, live)).toBeCloseTo(0.415888, 5);
  });

  it('of 0..99 shifted by 50 is 5·(0.0001−0.1)·ln(0.0001/0.1) + (0.6−0.1)·ln(6) = 4.34630 (empty bins floored at 0.0001)', () => {
    // Live 50..149: reference deciles 0-4 empty, 5-8 unchanged at 10 %, the open last bin holds 60 %.
    expect(featurePsi(range(0, 100), range(50, 150))).toBeCloseTo(4.346303, 5);
  });

  it('is undefined without values on either side', () => {
    expect(featurePsi([], [1])).toBeUndefined();
    expect(featurePsi([1], [])).toBeUndefined();
  });
});

describe('kolmogorovSmirnov', () => {
  it('finds D = 0.5 between {1,2,3,4} and {3,4,5,6}, p = Q((√2 + 0.12 + 0.11/√2)·0.5) = 0.53442', () => {
    const result = kolmogorovSmirnov([4, 1, 3, 2], [6, 3, 5, 4]);
    expect(result?.statistic).toBeCloseTo(0.5, 10);
    expect(result?.pValue).toBeCloseTo(0.534416, 5);
  });

  it('moves both distribution functions past tied values together: D({1,1,2}, {1,2,2}) = 1/3', () => {
    expect(kolmogorovSmirnov([1, 1, 2], [1, 2, 2])?.statistic).toBeCloseTo(1 / 3, 10);
  });

  it('is D = 0, p = 1 for identical samples and D = 1 for disjoint ones', () => {
    expect(kolmogorovSmirnov([1, 2, 3], [3, 2, 1])).toEqual({ statistic: 0, pValue: 1 });
    const disjoint = kolmogorovSmirnov(range(0, 200), range(500, 700));
    expect(disjoint?.statistic).toBe(1);
    expect(disjoint?.pValue).toBeLessThan(1e-12);
  });

  it('is undefined for an empty sample', () => {
    expect(kolmogorovSmirnov([], [1])).toBeUndefined();
  });

  it('Q(1) = 2(e^−2 − e^−8 + e^−18 − …) = 0.26999', () => {
    expect(kolmogorovQ(1)).toBeCloseTo(0.269996, 5);
  });
});
