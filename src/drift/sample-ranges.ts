/**
 * Which offsets a drift check reads. Live: the last records of each partition of a topic now,
 * `count` in all. Reference: at most `count` of a model's pinned training ranges, the same
 * fraction of every range, taken from each range's end (a contiguous read per partition; the
 * newest part of the training data, which is what the champion saw last).
 */
import type { OffsetRange } from '../registry/model-registry.js';
import type { PartitionEndOffset, PartitionRange } from '../streaming/offset-range-reader.js';

const size = (from: string, to: string): bigint => BigInt(to) - BigInt(from);

/** About `count` of the newest committed offsets of the topic, shared evenly by the partitions that hold data; empty ranges left out. */
export function newestRanges(snapshot: readonly PartitionEndOffset[], count: number): PartitionRange[] {
  const holding = snapshot.filter(({ startOffset, endOffset }) => size(startOffset, endOffset) > 0n);
  if (holding.length === 0 || count <= 0) return [];
  const perPartition = BigInt(Math.ceil(count / holding.length));
  return holding.map(({ topic, partition, startOffset, endOffset }) => {
    const from = BigInt(endOffset) - perPartition;
    return { topic, partition, fromOffset: (from > BigInt(startOffset) ? from : BigInt(startOffset)).toString(), toOffset: endOffset };
  });
}

/** The tail of every range holding the fraction `count / total` of it (all of it when the ranges hold fewer); empty ranges left out. */
export function sampleOfRanges(ranges: readonly OffsetRange[], count: number): PartitionRange[] {
  const nonEmpty = ranges.filter((range) => size(range.fromOffset, range.toOffset) > 0n);
  const total = nonEmpty.reduce((sum, range) => sum + size(range.fromOffset, range.toOffset), 0n);
  if (total === 0n || count <= 0) return [];
  return nonEmpty.map(({ topic, partition, fromOffset, toOffset }) => {
    const length = size(fromOffset, toOffset);
    const take = BigInt(count) >= total ? length : (length * BigInt(count) + total - 1n) / total;
    return { topic, partition, fromOffset: (BigInt(toOffset) - take).toString(), toOffset };
  });
}
