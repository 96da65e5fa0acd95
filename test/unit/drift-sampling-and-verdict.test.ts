/**
 * Which offsets a drift check reads (the newest of each partition; a tail sample of the pinned
 * training ranges), the figures it computes from two matrices, and the verdict on them.
 */
import { describe, expect, it } from 'vitest';
import { computeDriftFigures, type DriftFigures } from '../../src/drift/drift-figures.js';
import { judgeDrift } from '../../src/drift/drift-verdict.js';
import { newestRanges, sampleOfRanges } from '../../src/drift/sample-ranges.js';
import type { FeatureMatrix } from '../../src/training/feature-matrix.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { testSpec, testVectoriser } from '../helpers/scoring-models.js';

/** Records through the fraud example's vectoriser, as the drift check vectorises them through the champion's. */
function toFeatureMatrix(records: readonly unknown[]): FeatureMatrix {
  const batch = testVectoriser.vectoriseBatch(records);
  return { rowCount: batch.rowCount, columnCount: testVectoriser.width, values: batch.values };
}
const columns = testSpec.columns;

const T = 'tributary.features';

describe('newestRanges', () => {
  const snapshot = [
    { topic: T, partition: 0, startOffset: '0', endOffset: '100' },
    { topic: T, partition: 1, startOffset: '0', endOffset: '0' },
    { topic: T, partition: 2, startOffset: '95', endOffset: '100' },
  ];

  it('shares the count between the partitions that hold data', () => {
    expect(newestRanges(snapshot, 10)).toEqual([
      { topic: T, partition: 0, fromOffset: '95', toOffset: '100' },
      { topic: T, partition: 2, fromOffset: '95', toOffset: '100' },
    ]);
  });

  it('never starts below the retained log', () => {
    expect(newestRanges(snapshot, 20)).toEqual([
      { topic: T, partition: 0, fromOffset: '90', toOffset: '100' },
      { topic: T, partition: 2, fromOffset: '95', toOffset: '100' },
    ]);
  });

  it('is empty for an empty topic', () => {
    expect(newestRanges([{ topic: T, partition: 0, startOffset: '7', endOffset: '7' }], 10)).toEqual([]);
  });
});

describe('sampleOfRanges', () => {
  const ranges = [
    { topic: T, partition: 0, fromOffset: '0', toOffset: '300' },
    { topic: T, partition: 1, fromOffset: '100', toOffset: '200' },
    { topic: T, partition: 2, fromOffset: '50', toOffset: '50' },
  ];

  it('takes the same fraction of the end of every range', () => {
    // 100 of 400: a quarter of each, 75 and 25 offsets.
    expect(sampleOfRanges(ranges, 100)).toEqual([
      { topic: T, partition: 0, fromOffset: '225', toOffset: '300' },
      { topic: T, partition: 1, fromOffset: '175', toOffset: '200' },
    ]);
  });

  it('takes the whole ranges when they hold fewer than asked', () => {
    expect(sampleOfRanges(ranges, 1000)).toEqual(ranges.slice(0, 2));
  });
});

describe('computeDriftFigures', () => {
  const reference = toFeatureMatrix(generateSyntheticExamples({ count: 400, seed: 1 }));

  it('finds no drift between two samples of one distribution and a large one on a shifted amount', () => {
    const same = toFeatureMatrix(generateSyntheticExamples({ count: 400, seed: 2 }));
    const shifted = toFeatureMatrix(generateSyntheticExamples({ count: 400, seed: 2 }).map((example) => ({ ...example, amount: example.amount * 20 })));
    const scores = Array.from({ length: 400 }, (_, i) => (i % 10) / 10 + 0.05);

    const stable = computeDriftFigures({ championVersion: 3, columns, reference, live: same, referenceScores: scores, liveScores: scores });
    expect(stable.features.map((feature) => feature.column)).toEqual(columns);
    expect(stable.maxFeature.psi).toBeLessThan(0.1);
    expect(stable.score).toMatchObject({ liveScores: 400, psi: 0, ksStatistic: 0, ksPValue: 1 });

    const drifted = computeDriftFigures({ championVersion: 3, columns, reference, live: shifted, referenceScores: scores, liveScores: [] });
    expect(drifted.maxFeature.column).toBe('amount:log1p');
    expect(drifted.maxFeature.psi).toBeGreaterThan(1);
    expect(drifted.score).toBeNull();
    expect(drifted).toMatchObject({ championVersion: 3, referenceRecords: 400, liveRecords: 400 });
  });
});

describe('judgeDrift', () => {
  const figures = (amountPsi: number, scorePsi: number | null): DriftFigures => ({
    championVersion: 1,
    referenceRecords: 100,
    liveRecords: 100,
    features: [
      { column: 'amount:log1p', psi: amountPsi },
      { column: 'txn_count_10m:standardised', psi: 0.02 },
    ],
    maxFeature: { column: amountPsi > 0.02 ? 'amount:log1p' : 'txn_count_10m:standardised', psi: Math.max(amountPsi, 0.02) },
    score: scorePsi === null ? null : { liveScores: 100, psi: scorePsi, ksStatistic: 0.1, ksPValue: 0.5 },
  });
  const thresholds = { featurePsi: 0.25, scorePsi: 0.2 };

  it('is drift when a feature reaches its threshold, naming it', () => {
    expect(judgeDrift(figures(0.25, 0.01), thresholds)).toEqual({ drifted: true, summary: 'feature amount:log1p PSI 0.250 >= 0.25' });
  });

  it('is drift when the score PSI reaches its threshold', () => {
    expect(judgeDrift(figures(0.1, 0.3), thresholds)).toEqual({ drifted: true, summary: 'score PSI 0.300 >= 0.2' });
  });

  it('is no drift below both, with the largest figures in the summary', () => {
    expect(judgeDrift(figures(0.1, 0.05), thresholds)).toEqual({ drifted: false, summary: 'max feature PSI 0.100 (amount:log1p), score PSI 0.050 (KS D 0.100): below the thresholds' });
    expect(judgeDrift(figures(0.1, null), thresholds).summary).toBe('max feature PSI 0.100 (amount:log1p), no live scores of the champion: below the thresholds');
  });
});
