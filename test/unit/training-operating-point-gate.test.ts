/**
 * The operating-point gate on hand-built scores of one hold-out split of 1,000 examples (40 fraud,
 * 960 legitimate), with the figures computed by hand: a candidate that ranks fraud better (higher
 * PR-AUC) but flags far more legitimate transactions at its threshold is refused; one at least as
 * good at its threshold passes; too few fraud examples refuses and says how many are needed.
 */
import { describe, expect, it } from 'vitest';
import { compareOperatingPoints, describeOperatingPoints } from '../../src/training/operating-point-gate.js';
import { averagePrecision, chooseThreshold, metricsAtThreshold } from '../../src/training/metrics.js';

/** Labels and scores from blocks of [fraud, legitimate, score], in that order. */
function split(blocks: readonly (readonly [number, number, number])[]): { labels: number[]; scores: number[] } {
  const labels: number[] = [];
  const scores: number[] = [];
  for (const [fraud, legitimate, score] of blocks) {
    labels.push(...Array<number>(fraud).fill(1), ...Array<number>(legitimate).fill(0));
    scores.push(...Array<number>(fraud + legitimate).fill(score));
  }
  return { labels, scores };
}

const RECALL_80 = { targetRecall: 0.8 };
const LIVE_DEFAULTS = { maxWorse: { falsePositiveRate: 0.01, recall: 0.05 }, alpha: 0.05, minPositives: 30 };

// The champion serves at 0.7: 30 of 40 fraud (recall 0.75) and 12 of 960 legitimate (FPR 0.0125).
// Its 30 top fraud tie with 12 legitimate, which holds its PR-AUC down.
const champion = split([
  [30, 12, 0.9],
  [10, 300, 0.3],
  [0, 648, 0.1],
]);
const CHAMPION_THRESHOLD = 0.7;

describe('compareOperatingPoints', () => {
  it('refuses a candidate that beats the champion on PR-AUC but has a far worse FPR at its threshold for recall 0.8', () => {
    // 30 fraud ranked first (precision 1), then 150 legitimate, then 2 fraud: recall 0.8 needs
    // threshold 0.5, which flags 32 fraud and 150 legitimate (FPR 150/960 = 0.15625).
    const candidate = split([
      [30, 0, 0.99],
      [0, 150, 0.6],
      [2, 0, 0.5],
      [8, 0, 0.1],
      [0, 810, 0.05],
    ]);
    // PR-AUC: 30/40 · 1 + 2/40 · 32/182 + 8/40 · 40/190 = 0.80090; the champion's: 30/40 · 30/42 + 10/40 · 40/352 = 0.56412.
    expect(averagePrecision(candidate.labels, candidate.scores)).toBeCloseTo(0.8009, 4);
    expect(averagePrecision(champion.labels, champion.scores)).toBeCloseTo(0.56412, 5);

    const chosen = chooseThreshold(RECALL_80, candidate.labels, candidate.scores);
    const serving = metricsAtThreshold(champion.labels, champion.scores, CHAMPION_THRESHOLD);
    const comparison = compareOperatingPoints(RECALL_80, chosen, serving, LIVE_DEFAULTS);

    expect(comparison).toMatchObject({ examples: 1000, positives: 40, negatives: 960, minPositives: 30, passed: false });
    expect(comparison.candidate.threshold).toBe(0.5);
    expect(comparison.candidate.recall).toMatchObject({ successes: 32, trials: 40, rate: 0.8 });
    expect(comparison.candidate.falsePositiveRate).toMatchObject({ successes: 150, trials: 960, rate: 0.15625 });
    // Wilson 95 %: 150/960 → [0.1347, 0.1806]; 12/960 → [0.0072, 0.0217].
    expect(comparison.candidate.falsePositiveRate.lower).toBeCloseTo(0.1347, 4);
    expect(comparison.candidate.falsePositiveRate.upper).toBeCloseTo(0.1806, 4);
    expect(comparison.champion).toMatchObject({ threshold: 0.7, recall: { successes: 30, trials: 40, rate: 0.75 }, falsePositiveRate: { successes: 12, trials: 960, rate: 0.0125 } });
    expect(comparison.champion.falsePositiveRate.lower).toBeCloseTo(0.0072, 4);
    expect(comparison.champion.falsePositiveRate.upper).toBeCloseTo(0.0217, 4);
    // z = (0.15625 − 0.0125 − 0.01) / √(0.15625·0.84375/960 + 0.0125·0.9875/960) = 10.914.
    expect(comparison.worse).toMatchObject({ metric: 'falsePositiveRate', margin: 0.01, alpha: 0.05 });
    expect(comparison.worse!.z).toBeCloseTo(10.914, 3);

    expect(describeOperatingPoints(comparison, 'champion v1')).toBe(
      "FPR at its threshold for recall 0.80 (0.500) is 0.156 [0.135, 0.181] vs champion v1's 0.013 [0.007, 0.022] at its serving threshold 0.700; " +
        'recall 0.800 [0.652, 0.895] vs 0.750 [0.598, 0.858]; on the same 1,000 examples (40 positive): worse by more than 0.01 (z=10.91, p=0.0 < α 0.05)',
    );
  });

  it('passes a candidate with a lower FPR at its threshold and no worse recall', () => {
    // Recall 0.8 at threshold 0.8: 32 fraud and 10 legitimate (FPR 10/960).
    const candidate = split([
      [32, 10, 0.8],
      [8, 950, 0.2],
    ]);
    const comparison = compareOperatingPoints(RECALL_80, chooseThreshold(RECALL_80, candidate.labels, candidate.scores), metricsAtThreshold(champion.labels, champion.scores, CHAMPION_THRESHOLD), LIVE_DEFAULTS);

    expect(comparison).toMatchObject({ passed: true, worse: undefined, candidate: { threshold: 0.8, recall: { rate: 0.8 }, falsePositiveRate: { successes: 10, trials: 960 } } });
    // Wilson 95 % of 10/960: [0.0057, 0.0191].
    expect(comparison.candidate.falsePositiveRate.lower).toBeCloseTo(0.0057, 4);
    expect(comparison.candidate.falsePositiveRate.upper).toBeCloseTo(0.0191, 4);
    expect(describeOperatingPoints(comparison, 'champion v1')).toBe(
      "FPR at its threshold for recall 0.80 (0.800) is 0.010 [0.006, 0.019] vs champion v1's 0.013 [0.007, 0.022] at its serving threshold 0.700; " +
        'recall 0.800 [0.652, 0.895] vs 0.750 [0.598, 0.858]; on the same 1,000 examples (40 positive)',
    );
  });

  it('refuses a candidate whose recall at its threshold is significantly worse than what the champion serves', () => {
    // The champion serves at 0.5 and catches all 40 fraud; the candidate catches 32.
    const all = split([[40, 12, 0.9], [0, 948, 0.1]]);
    const candidate = split([[32, 12, 0.8], [8, 948, 0.2]]);
    const comparison = compareOperatingPoints(RECALL_80, chooseThreshold(RECALL_80, candidate.labels, candidate.scores), metricsAtThreshold(all.labels, all.scores, 0.5), LIVE_DEFAULTS);
    // Unpooled z = (1 − 0.8 − 0.05) / √(0.8·0.2/40) = 2.372, p = 0.0089.
    expect(comparison.worse).toMatchObject({ metric: 'recall', margin: 0.05 });
    expect(comparison.worse!.z).toBeCloseTo(2.372, 3);
    expect(comparison.worse!.pValue).toBeCloseTo(0.0089, 4);
    expect(comparison.passed).toBe(false);
    expect(describeOperatingPoints(comparison, 'champion v4')).toMatch(/^recall at its threshold for recall 0\.80 \(0\.800\) is 0\.800 \[0\.652, 0\.895\] vs champion v4's 1\.000 \[0\.912, 1\.000\]/);
  });

  it('refuses with too few fraud examples in the split, saying how many are needed', () => {
    // 20 fraud: the same shapes, better at the threshold, but a recall of 0.8 is 16 examples.
    const candidate = split([[16, 0, 0.9], [4, 980, 0.1]]);
    const theirs = split([[15, 12, 0.9], [5, 968, 0.1]]);
    const comparison = compareOperatingPoints(RECALL_80, chooseThreshold(RECALL_80, candidate.labels, candidate.scores), metricsAtThreshold(theirs.labels, theirs.scores, 0.5), LIVE_DEFAULTS);
    expect(comparison).toMatchObject({ positives: 20, minPositives: 30, worse: undefined, passed: false });
    expect(describeOperatingPoints(comparison, 'champion v2')).toBe(
      'the test split holds 20 positive examples, too few for a threshold to count: at least 30 are needed to compare operating points with champion v2; ' +
        'train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)',
    );
  });

  it('refuses to compare points measured on different examples', () => {
    const other = split([[10, 10, 0.9], [30, 950, 0.1]]);
    expect(() => compareOperatingPoints(RECALL_80, metricsAtThreshold(other.labels, other.scores, 0.5), metricsAtThreshold(champion.labels.slice(1), champion.scores.slice(1), 0.5))).toThrow(
      'cannot compute the operating-point comparison: the candidate was measured on 40/960 positive/negative examples, the champion on 39/960: not the same split',
    );
  });
});
