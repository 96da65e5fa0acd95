import { describe, expect, it } from 'vitest';
import { nearestRank, summariseStageLatencies } from '../../src/status/stage-latency.js';

describe('latency by stage over scores', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 200 }, (_, index) => index + 1);
    expect(nearestRank(sorted, 0.5)).toBe(100);
    expect(nearestRank(sorted, 0.99)).toBe(198);
    expect(nearestRank([7], 0.99)).toBe(7);
    expect(() => nearestRank([], 0.5)).toThrow(RangeError);
  });

  it('gives p50/p99 of each stage and the newest score', () => {
    // Score i: features 100 + i ms after its event, scored 10 × i ms after its features, i = 1..100.
    const scores = Array.from({ length: 100 }, (_, index) => {
      const i = index + 1;
      return { event_time: 1_000 * i, features_at: 1_000 * i + 100 + i, scored_at: 1_000 * i + 100 + i + 10 * i };
    });
    expect(summariseStageLatencies(scores)).toEqual({
      scores: 100,
      newestScoredAt: 100_000 + 200 + 1_000,
      stages: { sourceToFeatures: { p50: 150, p99: 199 }, featuresToScore: { p50: 500, p99: 990 }, sourceToScore: { p50: 650, p99: 1_189 } },
    });
  });

  it('has nothing to say without scores', () => {
    expect(summariseStageLatencies([])).toBeUndefined();
  });
});
