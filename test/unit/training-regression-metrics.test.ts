import { describe, expect, it } from 'vitest';
import { MetricInputError } from '../../src/training/errors.js';
import { meanAbsoluteError, rootMeanSquaredError, rSquared } from '../../src/training/regression-metrics.js';

// Labels 10, 20, 30, 40 (mean 25); predictions off by +2, −4, 0, +6.
const labels = [10, 20, 30, 40];
const predictions = [12, 16, 30, 46];

describe('regression metrics', () => {
  it('MAE is the mean absolute error: (2 + 4 + 0 + 6) / 4 = 3', () => {
    expect(meanAbsoluteError(labels, predictions)).toBe(3);
  });

  it('RMSE is the root of the mean squared error: √((4 + 16 + 0 + 36) / 4) = √14', () => {
    expect(rootMeanSquaredError(labels, predictions)).toBeCloseTo(Math.sqrt(14), 12);
  });

  it('R² is 1 − SSres/SStot: 1 − 56 / (225 + 25 + 25 + 225) = 0.888', () => {
    expect(rSquared(labels, predictions)).toBeCloseTo(1 - 56 / 500, 12);
  });

  it('R² is 0 for the mean, 1 for a perfect model and negative for one worse than the mean', () => {
    expect(rSquared(labels, [25, 25, 25, 25])).toBe(0);
    expect(rSquared(labels, labels)).toBe(1);
    // SSres = 4 · 15² = 900 against SStot 500.
    expect(rSquared(labels, [25, 35, 15, 25])).toBeCloseTo(1 - 900 / 500, 12);
  });

  it('refuses mismatched lengths, no examples, non-finite values and, for R², labels that do not vary', () => {
    expect(() => meanAbsoluteError([1, 2], [1])).toThrow(MetricInputError);
    expect(() => meanAbsoluteError([1, 2], [1])).toThrow('cannot compute MAE: 2 labels but 1 predictions');
    expect(() => rootMeanSquaredError([], [])).toThrow('cannot compute RMSE: no examples');
    expect(() => meanAbsoluteError([1, Number.NaN], [1, 2])).toThrow('cannot compute MAE: label NaN at index 1 is not a finite number');
    expect(() => rSquared([1, 2], [1, Number.POSITIVE_INFINITY])).toThrow('cannot compute R²: prediction Infinity at index 1 is not a finite number');
    expect(() => rSquared([7, 7, 7], [7, 7, 8])).toThrow('cannot compute R²: all 3 labels are 7; it needs labels that vary');
  });
});
