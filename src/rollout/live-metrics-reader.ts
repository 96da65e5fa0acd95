/**
 * Reads a rollout's live metrics from Kafka: the scores, labels and dead letters written since a
 * snapshot of their end offsets (taken when the step began), joined and aggregated by
 * {@link computeLiveMetrics}. The figures always cover the whole period, from the step's snapshot
 * to the topics' current committed ends.
 *
 * A reader remembers what it read of each measurement (the step's snapshot) and where it
 * stopped, so a poll reads only what was written since the previous poll: a long step costs
 * each poll its new records, not everything since the step began. The remembered records are
 * exactly the ones a full read would find below those offsets, so the answer does not depend on
 * it: a worker that never saw the step (restarted, or another one) reads the period in full and
 * gets the same figures. Reads of one measurement run one after the other.
 */
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange } from '../streaming/offset-range-reader.js';
import type { PartitionOffset } from '../serving/model-deployment.js';
import { computeLiveMetrics, type LiveMetrics, type LiveMetricsScope, type ScoreObservation } from './live-metrics.js';
import { labelKeyOf, labelValueOf, type LiveMetricsSource } from './live-metrics-source.js';

/** Where the scores, labels and DLQ topics ended at a moment: the start of a measurement. */
export interface LiveOffsets {
  readonly scores: readonly PartitionOffset[];
  readonly labels: readonly PartitionOffset[];
  readonly dlq: readonly PartitionOffset[];
}

export interface LiveMetricsReaderDependencies {
  readonly reader: OffsetRangeReader;
  /** Decodes values by their schema id; the records are read in their writer's shape. */
  readonly decoder: AvroDecoder;
  /** Longest a read of one topic may take. @default 120_000 */
  readonly timeoutMs?: number;
}

export interface LiveMetricsRequest {
  readonly scope: LiveMetricsScope;
  readonly since: LiveOffsets;
  /** The model's features topic: DLQ records from it count against the model. */
  readonly featuresTopic: string;
  /** The pipeline's topics, label fields and task. */
  readonly source: LiveMetricsSource;
}

export interface LiveMetricsReader {
  /** The committed end offsets of the source's three topics now. */
  snapshot(source: LiveMetricsSource): Promise<LiveOffsets>;
  /** The metrics of everything written since `since`; `onProgress` is called as each topic is read (for heartbeats). */
  read(request: LiveMetricsRequest, onProgress?: () => void): Promise<LiveMetrics>;
}

/** How many measurements a reader remembers; the least recently read is forgotten first. */
const REMEMBERED_MEASUREMENTS = 16;

/** What has been read of one measurement, and the offsets each topic's next read starts from. */
interface Measurement {
  readonly scores: ScoreObservation[];
  readonly labels: Map<string, number>;
  dlqRecords: number;
  undecodable: number;
  next: LiveOffsets;
}

const newMeasurement = (since: LiveOffsets): Measurement => ({ scores: [], labels: new Map(), dlqRecords: 0, undecodable: 0, next: since });

/** Only what the metrics use: a few fields per score, however large the record. */
const observationOf = (score: ScoreObservation): ScoreObservation => ({
  event_id: score.event_id,
  prediction: score.prediction,
  decision: score.decision,
  model: score.model,
  model_version: score.model_version,
  variant: score.variant,
  shadow: score.shadow === null ? null : { model_version: score.shadow.model_version, prediction: score.shadow.prediction, decision: score.shadow.decision },
  deployment_revision: score.deployment_revision,
  scoring_ms: score.scoring_ms,
});

/** A labels record in its writer's shape: the definition names the two fields read. */
type LabelRecord = Readonly<Record<string, unknown>>;

interface DeadLetterRecord {
  readonly source_topic: string;
}

export function createLiveMetricsReader({ reader, decoder, timeoutMs = 120_000 }: LiveMetricsReaderDependencies): LiveMetricsReader {
  const endOffsets = async (topic: string): Promise<PartitionOffset[]> =>
    (await reader.snapshotEndOffsets(topic)).map(({ partition, endOffset }) => ({ partition, offset: endOffset }));

  /**
   * Every record of `topic` from `since` (a partition it lacks: from the log start) to the
   * committed end now, and that end: where the next read starts.
   */
  async function readSince<Value>(topic: string, since: readonly PartitionOffset[], onProgress?: () => void): Promise<{ values: Value[]; undecodable: number; end: PartitionOffset[] }> {
    const ranges: PartitionRange[] = (await reader.snapshotEndOffsets(topic)).map(({ partition, startOffset, endOffset }) => {
      const from = since.find((offset) => offset.partition === partition)?.offset ?? startOffset;
      // Retention may have deleted the start of the period: read what is left of it.
      const retained = BigInt(from) < BigInt(startOffset) ? startOffset : from;
      // A read never goes backwards, even when the snapshot of `since` is ahead of this one.
      return { topic, partition, fromOffset: retained, toOffset: BigInt(endOffset) < BigInt(retained) ? retained : endOffset };
    });
    const decode = async (value: Buffer, source: Parameters<AvroDecoder['decode']>[1]): Promise<Value> => (await decoder.decode(value, source)).value as Value;
    const { records, undecodable } = await reader.readRange(ranges, decode, { timeoutMs, onProgress });
    return { values: records.map((record) => record.value), undecodable: undecodable.length, end: ranges.map(({ partition, toOffset }) => ({ partition, offset: toOffset })) };
  }

  /** Reads what was written since the measurement's last read and adds it; nothing changes unless all three reads succeed. */
  async function extend(measurement: Measurement, { featuresTopic, source }: LiveMetricsRequest, onProgress?: () => void): Promise<Measurement> {
    const { topics, labelKey, labelField } = source;
    const scores = await readSince<ScoreObservation>(topics.scores, measurement.next.scores, onProgress);
    const labels = await readSince<LabelRecord>(topics.labels, measurement.next.labels, onProgress);
    const deadLetters = await readSince<DeadLetterRecord>(topics.dlq, measurement.next.dlq, onProgress);
    for (const score of scores.values) measurement.scores.push(observationOf(score));
    for (const label of labels.values) {
      const key = labelKeyOf(label[labelKey]);
      const value = labelValueOf(label[labelField]);
      if (key !== undefined && value !== undefined) measurement.labels.set(key, value);
    }
    measurement.dlqRecords += deadLetters.values.filter((letter) => letter.source_topic === featuresTopic).length;
    measurement.undecodable += scores.undecodable + labels.undecodable + deadLetters.undecodable;
    measurement.next = { scores: scores.end, labels: labels.end, dlq: deadLetters.end };
    return measurement;
  }

  /** Per measurement, the latest read; insertion order is recency. */
  const measurements = new Map<string, Promise<Measurement>>();

  return {
    async snapshot({ topics }) {
      const [scores, labels, dlq] = await Promise.all([endOffsets(topics.scores), endOffsets(topics.labels), endOffsets(topics.dlq)]);
      return { scores, labels, dlq };
    },
    async read(request, onProgress) {
      const { scope, since, featuresTopic, source } = request;
      const key = JSON.stringify({ since, featuresTopic, source });
      const previous = measurements.get(key);
      // After a failed read the measurement starts over from the step's snapshot.
      const start = previous ? previous.catch(() => newMeasurement(since)) : Promise.resolve(newMeasurement(since));
      const next = start.then((measurement) => extend(measurement, request, onProgress));
      measurements.delete(key);
      measurements.set(key, next);
      for (const forgotten of [...measurements.keys()].slice(0, Math.max(0, measurements.size - REMEMBERED_MEASUREMENTS))) measurements.delete(forgotten);
      const measurement = await next;
      return computeLiveMetrics(scope, measurement.scores, measurement.labels, { task: source.task, dlqRecords: measurement.dlqRecords, undecodable: measurement.undecodable });
    },
  };
}
