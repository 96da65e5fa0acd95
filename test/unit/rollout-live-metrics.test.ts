/**
 * computeLiveMetrics on scores and labels written by hand: which score counts for which variant
 * (decided, shadow, stale revision, other model or version), the label join, latency percentiles
 * by nearest rank, and the DLQ rate.
 */
import { describe, expect, it } from 'vitest';
import { computeLiveMetrics, quantileInterval, type ScoreObservation } from '../../src/rollout/live-metrics.js';

const score = (event_id: string, fields: Partial<ScoreObservation>): ScoreObservation => ({
  event_id,
  prediction: 0.5,
  decision: 'NEGATIVE',
  model: 'churn',
  model_version: 1,
  variant: 'CHAMPION',
  shadow: null,
  deployment_revision: 5,
  scoring_ms: 10,
  ...fields,
});

const SCORES: ScoreObservation[] = [
  score('t1', { decision: 'POSITIVE', prediction: 0.9, scoring_ms: 10 }),
  score('t2', { decision: 'POSITIVE', prediction: 0.8, scoring_ms: 20 }),
  score('t3', { prediction: 0.1, scoring_ms: 30, shadow: { model_version: 2, prediction: 0.7, decision: 'POSITIVE' } }),
  score('t4', { variant: 'CHALLENGER', model_version: 2, prediction: 0.2, scoring_ms: 40 }),
  score('t5', { variant: 'CHALLENGER', model_version: 2, decision: 'POSITIVE', prediction: 0.95, scoring_ms: 60 }),
  // Before the step's revision, another model, a stale version: not in the variants' figures.
  score('t6', { deployment_revision: 4, decision: 'POSITIVE' }),
  score('t7', { model: 'other' }),
  score('t8', { model_version: 9 }),
];
const LABELS = new Map([
  ['t1', 1],
  ['t2', 0],
  ['t3', 0],
  ['t4', 1],
  ['t6', 1],
]);

describe('computeLiveMetrics', () => {
  const metrics = computeLiveMetrics({ model: 'churn', championVersion: 1, challengerVersion: 2, fromRevision: 5, confidence: 0.95 }, SCORES, LABELS, { dlqRecords: 2, undecodable: 1 });

  it('counts the champion’s decisions joined with labels', () => {
    expect(metrics.champion).toMatchObject({ version: 1, scored: 3, confusion: { truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 0 } });
    expect(metrics.champion.rates.precision).toMatchObject({ successes: 1, trials: 2, rate: 0.5 });
    expect(metrics.champion.latencyMs).toEqual({ p50: 20, p99: 30, p99Interval: { lower: 20, upper: null } });
  });

  it('counts the challenger’s split decisions and its shadow scores, latency from what it decided only', () => {
    // t3 shadow POSITIVE on a negative one: FP; t4 NEGATIVE on a positive one: FN; t5 unlabelled.
    expect(metrics.challenger).toMatchObject({ version: 2, scored: 3, confusion: { truePositives: 0, falsePositives: 1, trueNegatives: 0, falseNegatives: 1 } });
    expect(metrics.challenger.rates.labelled).toBe(2);
    expect(metrics.challenger.latencyMs).toEqual({ p50: 40, p99: 60, p99Interval: { lower: 40, upper: null } });
    expect(metrics.challenger.scoreHistogram.counts).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
  });

  it('bounds the p99 by order statistics: ranks nq ± z·√(nq(1−q)), the upper one exclusive', () => {
    const thousand = Array.from({ length: 1000 }, (_, index) => index + 1);
    // n 1000, q 0.99, z 1.960: 990 ± 6.17 → ranks 983 and 997 + 1.
    expect(quantileInterval(thousand, 0.99, 0.95)).toEqual({ lower: 983, upper: 998 });
    // n 100: 99 ± 1.95 → rank 97, and 101 + 1 is beyond the sample: the p99 of 100 values has no upper bound.
    expect(quantileInterval(thousand.slice(0, 100), 0.99, 0.95)).toEqual({ lower: 97, upper: null });
    expect(quantileInterval([], 0.99, 0.95)).toEqual({ lower: null, upper: null });
  });

  it('rates the DLQ against everything of the model taken in, and reports what was read', () => {
    // 7 scores of the model (t7 is another model's) + 2 dead letters.
    expect(metrics.dlq).toEqual({ records: 2, intake: 9, rate: 2 / 9 });
    expect(metrics).toMatchObject({ scoresRead: 8, labelsRead: 5, undecodable: 1 });
    expect(metrics.scorePsi).toBeGreaterThan(0);
  });
});
