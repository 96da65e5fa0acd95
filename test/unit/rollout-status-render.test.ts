import { describe, expect, it } from 'vitest';
import { renderRolloutStatus } from '../../src/cli/rollout-actions.js';
import { loadConfig } from '../../src/config/config.js';
import { computeLiveMetrics } from '../../src/rollout/live-metrics.js';
import type { RolloutStatus } from '../../src/workflows/ab-rollout.js';

const status = (phase: RolloutStatus['phase']): RolloutStatus => ({
  model: 'fraud',
  phase,
  pausedFrom: null,
  champion: { version: 1, sha256: '1'.repeat(64) },
  challenger: { version: 2, sha256: '2'.repeat(64) },
  stepIndex: 0,
  steps: [{ mode: 'SPLIT', percent: 10, minSamples: 100, minDurationMs: 60_000 }],
  traffic: { mode: phase === 'running' ? 'SPLIT' : 'NONE', percent: phase === 'running' ? 10 : 0 },
  measurement: null,
  decisionDeadline: null,
  metrics: null,
  metricsAt: null,
  lastEvaluation: null,
  lastError: null,
  polls: 0,
  decisions: [],
});

describe('rollout status as a person reads it', () => {
  const config = loadConfig({ env: {} });
  const versionsLine = (phase: RolloutStatus['phase']): string | undefined => renderRolloutStatus(config, status(phase)).split('\n').find((line) => line.startsWith('versions'));

  it('says which version is champion once the rollout has ended', () => {
    expect(versionsLine('running')).toBe('versions       champion v1, challenger v2');
    expect(versionsLine('promoted')).toBe('versions       challenger v2 is now champion (was v1)');
    expect(versionsLine('rolled-back')).toBe('versions       champion v1 stays; challenger v2 was rolled back');
  });

  it('shows a regression rollout\'s MAE and RMSE per variant instead of rates', () => {
    const scores = [30, 40].map((prediction, index) => ({
      event_id: `o${index}`,
      prediction,
      decision: null,
      model: 'delivery',
      model_version: 1,
      variant: 'CHAMPION' as const,
      shadow: { model_version: 2, prediction: prediction + 4, decision: null },
      deployment_revision: 1,
      scoring_ms: 5,
    }));
    const metrics = computeLiveMetrics({ model: 'delivery', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 }, scores, new Map([['o0', 31], ['o1', 41]]), { task: 'regression', dlqRecords: 0, undecodable: 0 });
    const lines = renderRolloutStatus(config, { ...status('running'), metrics, metricsAt: 0 }).split('\n');
    expect(lines.find((line) => line.includes('VARIANT'))).toMatch(/VARIANT +SCORED +LABELLED +MAE \[CI\] +RMSE \[CI\] +P50\/P99 MS/);
    // Champion errors −1 and −1 (no spread); the challenger's shadow +3 and +3.
    expect(lines.find((line) => line.trim().startsWith('champion v1'))).toMatch(/champion v1 +2 +2 +1\.000 \[1\.000, 1\.000\] +1\.000 \[1\.000, 1\.000\] +5 \/ 5/);
    expect(lines.find((line) => line.trim().startsWith('challenger v2'))).toMatch(/challenger v2 +2 +2 +3\.000 \[3\.000, 3\.000\] +3\.000/);
  });
});
