import { describe, expect, it } from 'vitest';
import { MetricInputError, UnreachableTargetError } from '../../src/training/errors.js';
import {
  averagePrecision,
  brierScore,
  chooseThreshold,
  confusionMatrix,
  falsePositiveRateAtRecall,
  metricsAtThreshold,
  rocAuc,
} from '../../src/training/metrics.js';

// Four fraud (1) and four legitimate (0) transactions. Ranked by score, highest first:
// 0.9 F, 0.8 F, 0.7 F, 0.6 L, 0.4 L, 0.3 F, 0.2 L, 0.1 L
const labels = [1, 1, 1, 1, 0, 0, 0, 0];
const scores = [0.9, 0.8, 0.7, 0.3, 0.6, 0.4, 0.2, 0.1];

describe('rocAuc', () => {
  it('is the share of fraud-legitimate pairs ranked right: 14 of 16', () => {
    // 0.9, 0.8 and 0.7 outrank all four legitimate (12 pairs); 0.3 outranks 0.2 and 0.1 (2 pairs).
    expect(rocAuc(labels, scores)).toBe(14 / 16);
  });

  it('counts a tied pair as half', () => {
    // Pairs: (0.5 F, 0.5 L) ½, (0.5 F, 0.2 L) 1, (0.8 F, 0.5 L) 1, (0.8 F, 0.2 L) 1 → 3.5 of 4.
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.8, 0.2])).toBe(3.5 / 4);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it('refuses one class only, mismatched lengths, bad labels and non-finite scores', () => {
    expect(() => rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toThrow(MetricInputError);
    expect(() => rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toThrow('cannot compute ROC-AUC: it needs both classes, but all 3 labels are 0 (negative)');
    expect(() => rocAuc([1, 1], [0.1, 0.2])).toThrow('cannot compute ROC-AUC: it needs both classes, but all 2 labels are 1 (positive)');
    expect(() => rocAuc([1, 0], [0.1])).toThrow('cannot compute ROC-AUC: 2 labels but 1 scores');
    expect(() => rocAuc([], [])).toThrow('cannot compute ROC-AUC: no examples');
    expect(() => rocAuc([1, 2], [0.1, 0.2])).toThrow('cannot compute ROC-AUC: label 2 at index 1 is not 0 or 1');
    expect(() => rocAuc([1, 0], [Number.NaN, 0.2])).toThrow('cannot compute ROC-AUC: score NaN at index 0 is not a finite number');
  });
});

describe('averagePrecision', () => {
  it('sums precision at each recall step: ¾ at precision 1, then ¼ at precision 4/6', () => {
    expect(averagePrecision(labels, scores)).toBeCloseTo(3 * 0.25 * 1 + 0.25 * (4 / 6), 12);
  });

  it('enters tied scores together', () => {
    // One group {0.5 F, 0.5 L}: recall 1 at precision ½.
    expect(averagePrecision([1, 0], [0.5, 0.5])).toBe(0.5);
    // 0.9 F (recall ½, precision 1), then {0.5 F, 0.5 L} (recall 1, precision ⅔).
    expect(averagePrecision([1, 1, 0], [0.9, 0.5, 0.5])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
  });

  it('refuses one class only', () => {
    expect(() => averagePrecision([0, 0], [0.1, 0.2])).toThrow('cannot compute PR-AUC: it needs both classes');
  });
});

describe('metrics at a threshold', () => {
  it('flags scores at or above the threshold', () => {
    expect(confusionMatrix(labels, scores, 0.6)).toEqual({ truePositives: 3, falsePositives: 1, trueNegatives: 3, falseNegatives: 1 });
    const atPointSix = metricsAtThreshold(labels, scores, 0.6);
    expect(atPointSix).toMatchObject({ threshold: 0.6, precision: 3 / 4, recall: 3 / 4, falsePositiveRate: 1 / 4 });
    expect(atPointSix.f1).toBeCloseTo(3 / 4, 12);
  });

  it('gives precision and F1 of 0 when nothing is flagged', () => {
    expect(metricsAtThreshold(labels, scores, 0.95)).toMatchObject({ precision: 0, recall: 0, f1: 0, falsePositiveRate: 0 });
  });

  it('computes F1 as the harmonic mean', () => {
    // At 0.3: flagged 0.9 0.8 0.7 0.6 0.4 0.3 → TP 4, FP 2; precision ⅔, recall 1, F1 = 2·⅔·1/(⅔+1) = 0.8.
    expect(metricsAtThreshold(labels, scores, 0.3).f1).toBeCloseTo(0.8, 12);
  });
});

describe('chooseThreshold', () => {
  it('for a target recall, takes the highest threshold reaching it', () => {
    expect(chooseThreshold({ targetRecall: 0.75 }, labels, scores)).toMatchObject({ threshold: 0.7, recall: 0.75, falsePositiveRate: 0 });
    expect(chooseThreshold({ targetRecall: 1 }, labels, scores)).toMatchObject({ threshold: 0.3, recall: 1, falsePositiveRate: 0.5 });
    expect(falsePositiveRateAtRecall(labels, scores, 1)).toBe(0.5);
    expect(falsePositiveRateAtRecall(labels, scores, 0.5)).toBe(0);
  });

  it('for a target false-positive rate, takes the lowest threshold within it', () => {
    expect(chooseThreshold({ targetFalsePositiveRate: 0 }, labels, scores)).toMatchObject({ threshold: 0.7, recall: 0.75, falsePositiveRate: 0 });
    expect(chooseThreshold({ targetFalsePositiveRate: 0.25 }, labels, scores)).toMatchObject({ threshold: 0.6, recall: 0.75, falsePositiveRate: 0.25 });
    expect(chooseThreshold({ targetFalsePositiveRate: 0.5 }, labels, scores)).toMatchObject({ threshold: 0.3, recall: 1, falsePositiveRate: 0.5 });
  });

  it('fails when even the top score breaks the false-positive budget', () => {
    const attempt = (): unknown => chooseThreshold({ targetFalsePositiveRate: 0.1 }, [0, 1, 0, 0], [0.9, 0.5, 0.2, 0.1]);
    expect(attempt).toThrow(UnreachableTargetError);
    expect(attempt).toThrow('no threshold reaches false-positive rate 0.1: the highest score (0.9) alone flags 1 of 3 negative examples (rate 0.3333333333333333)');
  });

  it('refuses targets outside their range', () => {
    expect(() => chooseThreshold({ targetRecall: 0 }, labels, scores)).toThrow('targetRecall=0 is not above 0 and at most 1');
    expect(() => chooseThreshold({ targetFalsePositiveRate: 1 }, labels, scores)).toThrow('targetFalsePositiveRate=1 is not at least 0 and below 1');
  });
});

describe('brierScore', () => {
  it('is the mean squared error of the probabilities', () => {
    // (0.9−1)² + (0.2−0)² + (0.6−1)² + (0.5−0)² = 0.01 + 0.04 + 0.16 + 0.25 = 0.46, over 4.
    expect(brierScore([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.5])).toBeCloseTo(0.115, 12);
    expect(brierScore([0, 0], [0, 0])).toBe(0);
  });

  it('refuses a probability outside [0, 1]', () => {
    expect(() => brierScore([1, 0], [1.5, 0])).toThrow('cannot compute the Brier score: probability 1.5 at index 0 is not within [0, 1]');
  });
});
