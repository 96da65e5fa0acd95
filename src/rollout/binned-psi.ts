/**
 * PSI of a numeric sample against a reference whose range is not known beforehand (a feature
 * column, a regression model's predictions), so the bins come from the reference itself: cut points at its deciles, so
 * each bin holds about a tenth of the reference and no bin is empty by construction. A column
 * with few distinct values (flags, counts, `*_missing` columns) gets one bin per value instead,
 * cut half-way between neighbouring values; decile cuts there would put a 95/5 flag into a
 * single bin and never see its share move. The first and last bins are open-ended, so live
 * values outside the reference's range still count. The formula is {@link populationStabilityIndex}.
 * Drift uses it for feature columns and predictions, the rollout for a regression challenger's
 * predictions against the champion's.
 */
import { populationStabilityIndex, type ScoreHistogram } from './psi.js';

/** Bins of a reference with many distinct values. @default 10 */
export const DEFAULT_BINS = 10;

/** The cut points between bins, ascending: bin i holds values in [cuts[i-1], cuts[i]), bin 0 everything below cuts[0]. */
export function referenceCuts(reference: ArrayLike<number>, bins = DEFAULT_BINS): number[] {
  if (!(Number.isInteger(bins) && bins >= 2)) throw new RangeError(`feature PSI needs a whole number of bins >= 2, got ${bins}`);
  const sorted = Float64Array.from(reference).sort();
  if (sorted.length === 0) return [];
  const distinct = [...new Set(sorted)];
  if (distinct.length <= bins) return distinct.slice(1).map((value, i) => (distinct[i]! + value) / 2);
  const cuts = new Set<number>();
  for (let i = 1; i < bins; i += 1) cuts.add(sorted[Math.floor((i * sorted.length) / bins)]!);
  // A cut at the minimum would leave bin 0 empty on the reference side.
  cuts.delete(sorted[0]!);
  return [...cuts].sort((a, b) => a - b);
}

/** Counts of `values` in the bins `cuts` define (binary search; cuts.length + 1 bins). */
export function binCounts(values: ArrayLike<number>, cuts: readonly number[]): number[] {
  const counts = new Array<number>(cuts.length + 1).fill(0);
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i]!;
    let low = 0;
    let high = cuts.length;
    // The number of cuts <= value is the bin.
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cuts[middle]! <= value) low = middle + 1;
      else high = middle;
    }
    counts[low] = counts[low]! + 1;
  }
  return counts;
}

/** PSI of `live` against `reference` over the reference's bins; undefined when either is empty. */
export function featurePsi(reference: ArrayLike<number>, live: ArrayLike<number>, bins = DEFAULT_BINS): number | undefined {
  if (reference.length === 0 || live.length === 0) return undefined;
  const cuts = referenceCuts(reference, bins);
  const edges = [Number.NEGATIVE_INFINITY, ...cuts, Number.POSITIVE_INFINITY];
  const histogram = (values: ArrayLike<number>): ScoreHistogram => ({ edges, counts: binCounts(values, cuts) });
  return populationStabilityIndex(histogram(reference), histogram(live));
}
