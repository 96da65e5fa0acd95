/**
 * The drift check's prediction PSI bins by the reference's deciles, so it works for predictions
 * that are not probabilities: a regression model's minutes are all above 1, where ten equal bins
 * of [0, 1] would put every value in the last bin and never see a shift.
 */
import { describe, expect, it } from 'vitest';
import { computeDriftFigures } from '../../src/drift/drift-figures.js';
import { addScore, emptyScoreHistogram, populationStabilityIndex } from '../../src/rollout/psi.js';

/** One feature column of `values`. */
const matrix = (values: readonly number[]) => ({ rowCount: values.length, columnCount: 1, values: Float32Array.from(values) });
/** 100 predictions: 20 to 69.5 minutes in steps of 0.5, plus `shift`. */
const minutes = (shift: number): number[] => Array.from({ length: 100 }, (_, index) => 20 + index / 2 + shift);

const figuresOf = (referenceScores: readonly number[], liveScores: readonly number[]) =>
  computeDriftFigures({ championVersion: 3, columns: ['distance_km'], reference: matrix([1, 2, 3]), live: matrix([1, 2, 3]), referenceScores, liveScores });

describe('prediction PSI of a regression model', () => {
  it('is 0 for the same predictions and sees a shift of a quarter of their range', () => {
    expect(figuresOf(minutes(0), minutes(0)).score).toMatchObject({ liveScores: 100, psi: 0 });
    // Shifted by 12.5 minutes: the reference's deciles are 25, 30, … 65; the live values fill the
    // first two deciles' bins with nothing and the open last bin with 35 of 100 instead of 10.
    const shifted = figuresOf(minutes(0), minutes(12.5)).score!;
    expect(shifted.psi).toBeGreaterThan(0.25);
    expect(shifted.ksStatistic).toBeCloseTo(0.25, 10);
  });

  it('where ten equal bins of [0, 1] would see nothing at all', () => {
    const equalBins = (values: readonly number[]) => values.reduce(addScore, emptyScoreHistogram(10));
    expect(populationStabilityIndex(equalBins(minutes(0)), equalBins(minutes(12.5)))).toBe(0);
  });
});
