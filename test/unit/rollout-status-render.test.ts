import { describe, expect, it } from 'vitest';
import { renderRolloutStatus } from '../../src/cli/rollout-actions.js';
import { loadConfig } from '../../src/config/config.js';
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
});
