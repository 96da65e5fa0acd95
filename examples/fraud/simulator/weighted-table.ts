import type { Random } from './prng.js';

/** Picks entries in proportion to their weights, in O(log n) per pick (cumulative sums + binary search). */
export class WeightedTable<T> {
  private readonly items: readonly T[];
  private readonly cumulative: readonly number[];

  /** @throws RangeError when there is no entry or a weight is negative, or none is positive. */
  constructor(entries: readonly (readonly [item: T, weight: number])[]) {
    let total = 0;
    const cumulative: number[] = [];
    for (const [, weight] of entries) {
      if (!(weight >= 0)) throw new RangeError(`weights must be ≥ 0, got ${weight}`);
      total += weight;
      cumulative.push(total);
    }
    if (!(total > 0)) throw new RangeError('a weighted table needs at least one positive weight');
    this.items = entries.map(([item]) => item);
    this.cumulative = cumulative;
  }

  pick(random: Random): T {
    const target = random.next() * (this.cumulative[this.cumulative.length - 1] ?? 0);
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.cumulative[middle] ?? 0) > target) high = middle;
      else low = middle + 1;
    }
    return this.items[low] as T;
  }
}
