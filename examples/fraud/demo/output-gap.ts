/**
 * The real output gap of a feature-job deployment: the longest pause between consecutive records
 * the job wrote to its features topic around the deployment. The feature job's records carry no
 * timestamp of their own, so Kafka stamps each with its write time (KafkaRecordEncoder.java); the
 * gap is measured on those, read back committed. It differs from flinkDeploy's `downtimeMs`, the
 * time from the old job's stop to the new job's RUNNING: the old job may have written its last
 * record before the stop, and the new one writes its first only once it has restored and consumed.
 */
import type { Consumer, Kafka } from 'kafkajs';

/** The longest pause in a topic's output and the two write times around it, epoch ms. */
export interface OutputGap {
  readonly gapMs: number;
  /** The last record written before the pause. */
  readonly lastBefore: number;
  /** The first record written after it. */
  readonly firstAfter: number;
}

/**
 * The largest gap between consecutive write times around the period [`from`, `to`]: over the
 * records written in it, plus the last one before it and the first one after it, so a pause that
 * begins before `from` or ends after `to` counts whole. Undefined when no record was written before
 * `from` or none after `to`: the pause cannot be bounded then. `writeTimes` need not be sorted.
 */
export function largestOutputGap(writeTimes: readonly number[], period: { readonly from: number; readonly to: number }): OutputGap | undefined {
  const sorted = [...writeTimes].sort((a, b) => a - b);
  const after = sorted.findIndex((at) => at > period.to);
  const firstInOrAfter = sorted.findIndex((at) => at >= period.from);
  const before = (firstInOrAfter < 0 ? sorted.length : firstInOrAfter) - 1;
  if (before < 0 || after < 0) return undefined;
  let largest: OutputGap = { gapMs: sorted[before + 1]! - sorted[before]!, lastBefore: sorted[before]!, firstAfter: sorted[before + 1]! };
  for (let index = before + 2; index <= after; index += 1) {
    const gapMs = sorted[index]! - sorted[index - 1]!;
    if (gapMs > largest.gapMs) largest = { gapMs, lastBefore: sorted[index - 1]!, firstAfter: sorted[index]! };
  }
  return largest;
}

/** Collects the write times of a topic's committed records as they arrive. */
export interface WriteTimeWatch {
  /** Every write time received so far, in arrival order. */
  readonly writeTimes: readonly number[];
  /** The latest write time received, or undefined before the first record. */
  latest(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Follows `topic` from its beginning, read_committed, in a consumer group of its own (`groupId`),
 * keeping only each record's write time. Resolves once the consumer runs; stop() disconnects it.
 */
export async function watchWriteTimes(kafka: Kafka, topic: string, groupId: string): Promise<WriteTimeWatch> {
  const writeTimes: number[] = [];
  let latest: number | undefined;
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const at = Number(message.timestamp);
          writeTimes.push(at);
          latest = Math.max(latest ?? at, at);
        }
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return { writeTimes, latest: () => latest, stop: () => consumer.disconnect() };
}
