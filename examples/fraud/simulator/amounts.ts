import type { Random } from './prng.js';

/** A log-normal amount around `median`, kept within [min, max] and rounded to cents. */
export function drawAmount(random: Random, median: number, sigma: number, min: number, max = Number.POSITIVE_INFINITY): number {
  const amount = Math.min(max, Math.max(min, random.logNormal(median, sigma)));
  return Math.round(amount * 100) / 100;
}
