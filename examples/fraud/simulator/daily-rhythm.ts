import type { Random } from './prng.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Relative shopping activity at 00:00, 01:00, … 23:00: quiet at night, peaks at lunch and early evening. */
const RELATIVE_ACTIVITY = [0.25, 0.15, 0.1, 0.1, 0.12, 0.25, 0.5, 0.9, 1.2, 1.3, 1.35, 1.45, 1.6, 1.5, 1.35, 1.3, 1.35, 1.5, 1.65, 1.6, 1.35, 1.05, 0.75, 0.45];
const MEAN_ACTIVITY = RELATIVE_ACTIVITY.reduce((sum, a) => sum + a, 0) / RELATIVE_ACTIVITY.length;

/**
 * Activity per hour of the day, scaled to a mean of 1, so a daily mean rate times this is the rate
 * in that hour. Hours are those of the simulated clock (UTC); cities do not get time zones of their own.
 */
const HOURLY_ACTIVITY: readonly number[] = RELATIVE_ACTIVITY.map((a) => a / MEAN_ACTIVITY);
const PEAK_ACTIVITY = Math.max(...HOURLY_ACTIVITY);

function activityAt(time: number): number {
  const hour = Math.floor((((time % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  return HOURLY_ACTIVITY[hour] ?? 1;
}

/**
 * Arrival times of purchases: a Poisson process whose rate follows {@link HOURLY_ACTIVITY} around a
 * daily mean, drawn by thinning (candidates at the peak rate, each kept with probability
 * activity / peak).
 */
export class ArrivalClock {
  private clock: number;
  private readonly meanPeakGapMs: number;

  /** @param ratePerSecond mean arrivals per second of simulated time, averaged over a day */
  constructor(startTime: number, ratePerSecond: number) {
    this.clock = startTime;
    this.meanPeakGapMs = 1000 / (ratePerSecond * PEAK_ACTIVITY);
  }

  /** The next arrival in whole epoch milliseconds; never before the previous one. */
  next(random: Random): number {
    for (;;) {
      this.clock += random.exponential(this.meanPeakGapMs);
      if (random.chance(activityAt(this.clock) / PEAK_ACTIVITY)) return Math.floor(this.clock);
    }
  }
}
