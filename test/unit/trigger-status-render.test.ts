import { describe, expect, it } from 'vitest';
import { renderTriggerStatus } from '../../src/cli/trigger-command.js';
import type { ThresholdTriggerState } from '../../src/workflows/threshold-trigger.js';

const state: ThresholdTriggerState = {
  paused: false,
  threshold: 500,
  minPositives: 10,
  windowPositivesNeeded: 40,
  cooldownMs: 60_000,
  pollIntervalMs: 30_000,
  trainingsStarted: 1,
  lastStarted: {
    workflowId: 'training-orders-1',
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    offsetRanges: [{ topic: 'orders.training-examples', partition: 0, fromOffset: '0', toOffset: '612' }],
  },
  lastPoll: { at: Date.UTC(2026, 0, 2, 4, 0, 0), newOffsets: 12, counted: undefined, windowPositives: 55, testSplitPositives: 9, outcome: 'below the threshold' },
  polls: 7,
  lastError: undefined,
};

const view = { workflowId: 'threshold-trigger-orders', state, lastTrainingLink: 'http://ui/training-orders-1' };

describe('trigger status', () => {
  it("shows a classifier's positive examples in generic words", () => {
    expect(renderTriggerStatus({ ...view, task: 'binary-classification' }).split('\n')).toEqual([
      'trigger        threshold-trigger-orders (polling)',
      'threshold      500 new examples, at least 10 positive examples',
      'positives      at least 40 in everything a training reads, and gates.minTestPositives in its test split; last counted 55 (test split 9)',
      'cooldown       60000 ms; poll every 30000 ms; 7 polls so far',
      'last poll      2026-01-02T04:00:00.000Z: below the threshold',
      'last error     -',
      'last training  training-orders-1 at 2026-01-02T03:04:05.000Z (http://ui/training-orders-1)',
      'last offsets   0:[0,612)',
    ]);
  });

  it('shows no line about positives for a regression, whose labels are values', () => {
    const shown = renderTriggerStatus({ ...view, task: 'regression' });
    expect(shown.split('\n').slice(0, 3)).toEqual(['trigger        threshold-trigger-orders (polling)', 'threshold      500 new examples', 'cooldown       60000 ms; poll every 30000 ms; 7 polls so far']);
    expect(shown).not.toMatch(/positive|fraud/i);
  });
});
