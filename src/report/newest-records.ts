/**
 * Reads the newest records of a topic: about `count` in all, shared evenly between its
 * partitions, each from where its share starts (or its log start) to its committed end. A report
 * needs recent traffic, not a whole topic's history, and must not grow with the topic.
 */
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange } from '../streaming/offset-range-reader.js';

export interface NewestRecords<Value> {
  readonly values: readonly Value[];
  readonly undecodable: number;
}

/** The ranges holding the newest `count` offsets of `topic`, split evenly across its partitions. */
export function newestRanges(topic: string, ends: readonly { readonly partition: number; readonly startOffset: string; readonly endOffset: string }[], count: number): PartitionRange[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`the newest records to read must be a whole number >= 1, got ${count}`);
  const perPartition = BigInt(Math.ceil(count / Math.max(1, ends.length)));
  return ends
    .filter(({ startOffset, endOffset }) => BigInt(endOffset) > BigInt(startOffset))
    .map(({ partition, startOffset, endOffset }) => {
      const from = BigInt(endOffset) - perPartition;
      return { topic, partition, fromOffset: (from > BigInt(startOffset) ? from : BigInt(startOffset)).toString(), toOffset: endOffset };
    });
}

/** The newest records of `topic`, decoded with their writer's schema. */
export async function readNewestRecords<Value>(
  reader: OffsetRangeReader,
  decoder: AvroDecoder,
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<NewestRecords<Value>> {
  const ranges = newestRanges(topic, await reader.snapshotEndOffsets(topic), count);
  if (ranges.length === 0) return { values: [], undecodable: 0 };
  const { records, undecodable } = await reader.readRange(ranges, async (value, source) => (await decoder.decode(value, source)).value as Value, { timeoutMs });
  return { values: records.map((record) => record.value), undecodable: undecodable.length };
}
