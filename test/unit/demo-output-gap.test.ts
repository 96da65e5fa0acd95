import { describe, expect, it } from 'vitest';
import { largestOutputGap } from '../../examples/fraud/demo/output-gap.js';

/** A deployment from t = 1000 to t = 2000 (epoch ms, made small). */
const PERIOD = { from: 1_000, to: 2_000 };

describe('largestOutputGap', () => {
  it('finds the longest pause between consecutive writes inside the period', () => {
    // The old job writes every 100 ms until 1200, the new one from 1900 on.
    const writes = [800, 900, 1_000, 1_100, 1_200, 1_900, 2_000, 2_100];
    expect(largestOutputGap(writes, PERIOD)).toEqual({ gapMs: 700, lastBefore: 1_200, firstAfter: 1_900 });
  });

  it('counts a pause that began before the period or ends after it whole', () => {
    // Nothing written from 700 until 2300: the pause straddles the whole period.
    expect(largestOutputGap([600, 700, 2_300, 2_400], PERIOD)).toEqual({ gapMs: 1_600, lastBefore: 700, firstAfter: 2_300 });
    // The last write of the old job inside, the first of the new one after the period.
    expect(largestOutputGap([900, 1_500, 2_600], PERIOD)).toEqual({ gapMs: 1_100, lastBefore: 1_500, firstAfter: 2_600 });
  });

  it('ignores gaps outside the period and takes the write times in any order', () => {
    // A 5 s pause long before the deployment, and a 4 s one long after it, are not its gap.
    const writes = [2_050, -5_000, 0, 950, 1_050, 1_300, 1_950, 6_050, 10_000];
    expect(largestOutputGap(writes, PERIOD)).toEqual({ gapMs: 650, lastBefore: 1_300, firstAfter: 1_950 });
  });

  it('is undefined when nothing was written before the period or nothing after it', () => {
    expect(largestOutputGap([1_100, 1_500, 2_500], PERIOD)).toBeUndefined();
    expect(largestOutputGap([500, 1_500, 2_000], PERIOD)).toBeUndefined();
    expect(largestOutputGap([], PERIOD)).toBeUndefined();
  });
});
