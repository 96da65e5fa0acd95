/**
 * Reads a rollout's live metrics from Kafka: the scores, labels and dead letters written since a
 * snapshot of their end offsets (taken when the step began), joined and aggregated by
 * {@link computeLiveMetrics}. Each read covers the whole period again, from the step's snapshot
 * to the topics' current committed ends, so the figures never depend on an earlier read having
 * happened: a retried or re-run activity returns the same answer for the same offsets.
 */
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange } from '../streaming/offset-range-reader.js';
import type { PartitionOffset } from '../serving/model-deployment.js';
import { computeLiveMetrics, type LiveMetrics, type LiveMetricsScope, type ScoreObservation } from './live-metrics.js';

/** Where the scores, labels and DLQ topics ended at a moment: the start of a measurement. */
export interface LiveOffsets {
  readonly scores: readonly PartitionOffset[];
  readonly labels: readonly PartitionOffset[];
  readonly dlq: readonly PartitionOffset[];
}

export interface LiveMetricsTopics {
  readonly scores: string;
  readonly labels: string;
  readonly dlq: string;
}

export interface LiveMetricsReaderDependencies {
  readonly reader: OffsetRangeReader;
  /** Decodes values by their schema id; the records are read in their writer's shape. */
  readonly decoder: AvroDecoder;
  readonly topics: LiveMetricsTopics;
  /** Longest a read of one topic may take. @default 120_000 */
  readonly timeoutMs?: number;
}

export interface LiveMetricsRequest {
  readonly scope: LiveMetricsScope;
  readonly since: LiveOffsets;
  /** The model's features topic: DLQ records from it count against the model. */
  readonly featuresTopic: string;
}

export interface LiveMetricsReader {
  /** The committed end offsets of the three topics now. */
  snapshot(): Promise<LiveOffsets>;
  /** The metrics of everything written since `since`; `onProgress` is called as each topic is read (for heartbeats). */
  read(request: LiveMetricsRequest, onProgress?: () => void): Promise<LiveMetrics>;
}

interface LabelRecord {
  readonly transaction_id: string;
  readonly is_fraud: boolean;
}

interface DeadLetterRecord {
  readonly source_topic: string;
}

export function createLiveMetricsReader({ reader, decoder, topics, timeoutMs = 120_000 }: LiveMetricsReaderDependencies): LiveMetricsReader {
  const endOffsets = async (topic: string): Promise<PartitionOffset[]> =>
    (await reader.snapshotEndOffsets(topic)).map(({ partition, endOffset }) => ({ partition, offset: endOffset }));

  /** Every record of `topic` from `since` (a partition it lacks: from the log start) to the committed end now. */
  async function readSince<Value>(topic: string, since: readonly PartitionOffset[], onProgress?: () => void): Promise<{ values: Value[]; undecodable: number }> {
    const ranges: PartitionRange[] = (await reader.snapshotEndOffsets(topic)).map(({ partition, startOffset, endOffset }) => {
      const from = since.find((offset) => offset.partition === partition)?.offset ?? startOffset;
      // Retention may have deleted the start of the period: read what is left of it.
      const retained = BigInt(from) < BigInt(startOffset) ? startOffset : from;
      return { topic, partition, fromOffset: retained, toOffset: endOffset };
    });
    const decode = async (value: Buffer, source: Parameters<AvroDecoder['decode']>[1]): Promise<Value> => (await decoder.decode(value, source)).value as Value;
    const { records, undecodable } = await reader.readRange(ranges, decode, { timeoutMs, onProgress });
    return { values: records.map((record) => record.value), undecodable: undecodable.length };
  }

  return {
    async snapshot() {
      const [scores, labels, dlq] = await Promise.all([endOffsets(topics.scores), endOffsets(topics.labels), endOffsets(topics.dlq)]);
      return { scores, labels, dlq };
    },
    async read({ scope, since, featuresTopic }, onProgress) {
      const scores = await readSince<ScoreObservation>(topics.scores, since.scores, onProgress);
      const labels = await readSince<LabelRecord>(topics.labels, since.labels, onProgress);
      const deadLetters = await readSince<DeadLetterRecord>(topics.dlq, since.dlq, onProgress);
      const labelOf = new Map(labels.values.map((label) => [label.transaction_id, label.is_fraud]));
      const dlqRecords = deadLetters.values.filter((letter) => letter.source_topic === featuresTopic).length;
      const undecodable = scores.undecodable + labels.undecodable + deadLetters.undecodable;
      return computeLiveMetrics(scope, scores.values, labelOf, { dlqRecords, undecodable });
    },
  };
}
