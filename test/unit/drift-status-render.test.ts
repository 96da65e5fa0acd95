/** `tributary drift status` as a person reads it: the monitor's state, the last check's figures and worst columns, the last retraining. */
import { describe, expect, it } from 'vitest';
import { renderDriftStatus } from '../../src/cli/drift-status.js';
import { loadConfig } from '../../src/config/config.js';
import type { DriftMonitorState } from '../../src/workflows/drift-monitor.js';

const config = loadConfig({ env: {} });

describe('renderDriftStatus', () => {
  it('shows the verdict, the five worst columns in order and the retraining with its link', () => {
    const state: DriftMonitorState = {
      paused: false,
      intervalMs: 300_000,
      featurePsiThreshold: 0.25,
      scorePsiThreshold: 0.2,
      cooldownMs: 3_600_000,
      checks: 12,
      lastCheck: {
        at: Date.UTC(2026, 0, 1, 12, 0, 0),
        drifted: true,
        outcome: 'drift: feature amount:log1p PSI 0.412 >= 0.25; started training:fraud:drift-1',
        figures: {
          championVersion: 3,
          referenceRecords: 5000,
          liveRecords: 2000,
          features: [0.01, 0.412, 0.05, 0.3, 0.2, 0.02, 0.1].map((psi, i) => ({ column: `c${i}`, psi })),
          maxFeature: { column: 'c1', psi: 0.412 },
          score: { liveScores: 1800, psi: 0.05, ksStatistic: 0.07, ksPValue: 0.000123 },
        },
      },
      lastError: undefined,
      retrainingsStarted: 1,
      lastRetraining: { workflowId: 'training:fraud:drift-1', startedAt: Date.UTC(2026, 0, 1, 12, 0, 1), reason: 'drift: feature amount:log1p PSI 0.412 >= 0.25' },
    };
    expect(renderDriftStatus(config, 'fraud', state)).toBe(
      [
        'monitor         drift-monitor:fraud (checking), every 300000 ms; 12 checks so far',
        'thresholds      feature PSI >= 0.25, score PSI >= 0.2; cooldown 3600000 ms',
        'last check      2026-01-01T12:00:00.000Z: drift: feature amount:log1p PSI 0.412 >= 0.25; started training:fraud:drift-1',
        'champion        v3: 5000 reference vs 2000 live records',
        'score drift     PSI 0.050, KS D 0.070 (p 1.23e-4) over 1800 live scores',
        'top features    c1 0.412, c3 0.300, c4 0.200, c6 0.100, c2 0.050',
        'last error      -',
        'last retraining training:fraud:drift-1 at 2026-01-01T12:00:01.000Z (http://127.0.0.1:8233/namespaces/default/workflows/training%3Afraud%3Adrift-1)',
      ].join('\n'),
    );
  });

  it('shows dashes before the first check', () => {
    const text = renderDriftStatus(config, 'fraud', {
      paused: true,
      intervalMs: 60_000,
      featurePsiThreshold: 0.25,
      scorePsiThreshold: 0.25,
      cooldownMs: 0,
      checks: 0,
      lastCheck: undefined,
      lastError: undefined,
      retrainingsStarted: 0,
      lastRetraining: undefined,
    });
    expect(text.split('\n').slice(0, 1)).toEqual(['monitor         drift-monitor:fraud (paused), every 60000 ms; 0 checks so far']);
    expect(text).toContain('last check      none yet');
    expect(text).toContain('top features    -');
  });
});
