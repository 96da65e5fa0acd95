/**
 * The health window's checkpoint deadline and verdict, with figures computed by hand. The case of
 * issue 17: a first deployment after a stack start whose first checkpoint took longer than a
 * fixed 4 s window ("0 checkpoint(s) completed in 4023 ms; 1 required") must keep being watched
 * until a bound derived from the job's own checkpointing.
 */
import { describe, expect, it } from 'vitest';
import { checkpointDeadline, compileHealthWindowOptions, judgeHealth, watchIsOver, type JobHealthSample } from '../../src/flink/deployment-health.js';

const running = (completedCheckpoints: number, restarts = 0): JobHealthSample => ({ state: 'RUNNING', restarts, exceptions: restarts, latestException: undefined, completedCheckpoints });

describe('checkpointDeadline', () => {
  it('allows three intervals plus the checkpoint timeout for the first checkpoint', () => {
    // 3 × 2000 + 60000 = 66000
    expect(checkpointDeadline({ intervalMs: 2_000, timeoutMs: 60_000 }, compileHealthWindowOptions({ windowMs: 4_000 }))).toEqual({
      ms: 66_000,
      derivation: '3 × 2000 ms interval + 60000 ms checkpoint timeout',
    });
    // Flink's defaults without a configured timeout: 3 × 10000 + 600000 = 630000
    expect(checkpointDeadline({ intervalMs: 10_000, timeoutMs: 600_000 }, compileHealthWindowOptions()).ms).toBe(630_000);
  });

  it('scales the intervals with the checkpoints required', () => {
    // 2 checkpoints × 3 intervals = 6 × 2000 + 60000 = 72000
    expect(checkpointDeadline({ intervalMs: 2_000, timeoutMs: 60_000 }, compileHealthWindowOptions({ minCompletedCheckpoints: 2 })).ms).toBe(72_000);
  });

  it('is never shorter than the window, and never longer than maxCheckpointWaitMs', () => {
    // 3 × 100 + 100 = 400 < 4000
    expect(checkpointDeadline({ intervalMs: 100, timeoutMs: 100 }, compileHealthWindowOptions({ windowMs: 4_000 }))).toEqual({
      ms: 4_000,
      derivation: 'the 4000 ms window (longer than 3 × 100 ms interval + 100 ms checkpoint timeout)',
    });
    // 3 × 60000 + 3600000 = 3780000 > 1200000
    expect(checkpointDeadline({ intervalMs: 60_000, timeoutMs: 3_600_000 }, compileHealthWindowOptions())).toEqual({
      ms: 1_200_000,
      derivation: 'capped at 1200000 ms (3 × 60000 ms interval + 3600000 ms checkpoint timeout)',
    });
  });

  it('refuses a zero cap and negative intervals', () => {
    expect(() => compileHealthWindowOptions({ maxCheckpointWaitMs: 0, checkpointIntervals: -1 })).toThrow(
      'invalid health window options: checkpointIntervals=-1: expected a whole number >= 0; maxCheckpointWaitMs=0: expected a whole number >= 1',
    );
  });
});

describe('watchIsOver and the verdict', () => {
  const options = compileHealthWindowOptions({ windowMs: 4_000 });
  const deadline = checkpointDeadline({ intervalMs: 2_000, timeoutMs: 60_000 }, options);

  it('keeps watching a job whose first checkpoint has not completed when the window ends', () => {
    expect(watchIsOver(running(0), 4_023, options, deadline)).toBe(false);
    expect(watchIsOver(running(1), 4_023, options, deadline)).toBe(true);
    // The window itself is watched to its end even when a checkpoint completed early.
    expect(watchIsOver(running(1), 3_000, options, deadline)).toBe(false);
  });

  it('stops at the checkpoint deadline, or at once when a sample condemns the job', () => {
    expect(watchIsOver(running(0), 65_999, options, deadline)).toBe(false);
    expect(watchIsOver(running(0), 66_000, options, deadline)).toBe(true);
    expect(watchIsOver(running(0, 1), 100, options, deadline)).toBe(true);
  });

  it('is healthy when the first checkpoint completed after the window but before the deadline', () => {
    const verdict = judgeHealth(running(1), { start: { inputRecords: 100, outputRecords: 50 }, end: { inputRecords: 300, outputRecords: 240 } }, 9_500, options, deadline);
    expect(verdict).toMatchObject({ healthy: true, problems: [], figures: { completedCheckpoints: 1, inputRecords: 200, outputRecords: 190, watchedMs: 9_500 } });
  });

  it('names the deadline and its derivation when no checkpoint completed by then', () => {
    const verdict = judgeHealth(running(0), undefined, 66_012, options, deadline);
    expect(verdict.healthy).toBe(false);
    expect(verdict.problems).toEqual(['0 checkpoint(s) completed in 66012 ms; 1 required within 66000 ms (3 × 2000 ms interval + 60000 ms checkpoint timeout)']);
  });
});
