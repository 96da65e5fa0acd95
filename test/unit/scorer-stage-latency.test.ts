import { describe, expect, it } from 'vitest';
import { createScorerMetrics, observeStageLatencies, stageLatenciesOf } from '../../src/serving/scorer-metrics.js';

/** The value of one sample of a metric's exposition, as Prometheus would scrape it. */
async function sample(metrics: ReturnType<typeof createScorerMetrics>, name: string, le?: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const pattern = le === undefined ? new RegExp(`^${name} (\\S+)$`, 'm') : new RegExp(`^${name}\\{le="${le.replace('+', '\\+')}"\\} (\\S+)$`, 'm');
  const match = pattern.exec(text);
  if (match === null) throw new Error(`no sample ${name}${le === undefined ? '' : ` le=${le}`} in the exposition`);
  return Number(match[1]);
}

describe('latency by stage of a score record', () => {
  const times = { event_time: 1_000_000, features_at: 1_000_420, scored_at: 1_000_455 };

  it('splits scored_at − event_time at the features record\'s Kafka timestamp', () => {
    expect(stageLatenciesOf(times)).toEqual({ sourceToFeatures: 420, featuresToScore: 35, sourceToScore: 455 });
  });

  it('observes each stage in seconds in its own histogram', async () => {
    const metrics = createScorerMetrics();
    observeStageLatencies(metrics, times);
    observeStageLatencies(metrics, { event_time: 0, features_at: 12_000, scored_at: 12_008 });

    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_count')).toBe(2);
    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_sum')).toBeCloseTo(0.42 + 12, 9);
    // 0.42 s is in the 0.5 s bucket and not the 0.35 s one; 12 s only from 15 s up.
    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_bucket', '0.35')).toBe(0);
    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_bucket', '0.5')).toBe(1);
    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_bucket', '10')).toBe(1);
    expect(await sample(metrics, 'tributary_scorer_features_latency_seconds_bucket', '15')).toBe(2);

    expect(await sample(metrics, 'tributary_scorer_scoring_latency_seconds_sum')).toBeCloseTo(0.035 + 0.008, 9);
    // 8 ms and 35 ms are told apart by the 10 ms and 35 ms bounds.
    expect(await sample(metrics, 'tributary_scorer_scoring_latency_seconds_bucket', '0.01')).toBe(1);
    expect(await sample(metrics, 'tributary_scorer_scoring_latency_seconds_bucket', '0.035')).toBe(2);

    expect(await sample(metrics, 'tributary_scorer_end_to_end_latency_seconds_sum')).toBeCloseTo(0.455 + 12.008, 9);
    expect(await sample(metrics, 'tributary_scorer_end_to_end_latency_seconds_bucket', '30')).toBe(2);
    expect(await sample(metrics, 'tributary_scorer_end_to_end_latency_seconds_bucket', '+Inf')).toBe(2);
  });
});
