/**
 * What the scoring fault tests share: a producer that keeps writing features through a fault
 * (retrying a batch until Kafka takes it), the scorer group's committed progress, and the final
 * exactly-once audit of scores against the features that were committed.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { TributaryConfig } from '../../src/config/config.js';
import { reasonOf } from '../../src/errors/tributary-error.js';
import type { AvroProducer } from '../../src/streaming/avro-producer.js';
import type { FraudFeatureRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { featureRecords, readScores, readTopic } from '../helpers/scoring.js';

const BATCH = 20;
const PAUSE_MS = 50;
const RETRY_PAUSE_MS = 500;

export interface SteadyProducer {
  /** Transaction ids Kafka acknowledged. */
  readonly acknowledged: string[];
  /** Send attempts that failed and were tried again (the fault as the producer saw it). */
  readonly failedAttempts: () => number;
  stop(): Promise<void>;
}

/**
 * Sends 20 feature records every 50 ms until stopped. A batch Kafka refuses is tried again (every
 * 500 ms) until it is taken, so the stream carries on through a fault; `acknowledged` then holds
 * exactly the ids Kafka confirmed.
 */
export function steadyFeatureProducer(producer: () => AvroProducer, runId: string, log: (line: string) => void): SteadyProducer {
  const acknowledged: string[] = [];
  let failures = 0;
  let producing = true;
  const loop = (async () => {
    for (let sent = 0; producing; sent += BATCH) {
      const records = featureRecords(runId, sent, BATCH);
      for (;;) {
        try {
          await producer().send('features', records.map((value) => ({ key: value.transaction_id, value })));
          break;
        } catch (error) {
          failures += 1;
          if (failures % 10 === 1) log(`producer: batch at ${sent} refused (${reasonOf(error)}); trying again`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
        }
      }
      acknowledged.push(...records.map((record) => record.transaction_id));
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  })();
  return {
    acknowledged,
    failedAttempts: () => failures,
    stop: async () => {
      producing = false;
      await loop;
    },
  };
}

/** The sum over partitions of the group's committed offsets on `topic` (records it has scored and committed). */
export async function committedRecords(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (committed?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
}

export interface ScoreAudit {
  /** Feature records committed to the topic (read_committed). */
  readonly inputs: number;
  readonly scores: number;
  /** Ids with fewer scores than committed feature records. */
  readonly missing: string[];
  /** Ids with more scores than committed feature records. */
  readonly duplicated: string[];
  /** Scores of ids that never were a committed feature record. */
  readonly unexpected: string[];
  /** Ids Kafka acknowledged to the producer that are not in the committed features. */
  readonly lostInputs: string[];
}

const countBy = (ids: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
};

/** Every committed feature record has exactly one committed score, and every acknowledged input is among them. */
export async function auditScores(kafka: Kafka, config: TributaryConfig, acknowledged: readonly string[]): Promise<ScoreAudit> {
  const inputs = (await readTopic<FeatureRecord>(kafka, config, 'features')).map((record) => record.value.transaction_id);
  const scores = (await readScores(kafka, config)).map((score) => score.event_id);
  const inputCounts = countBy(inputs);
  const scoreCounts = countBy(scores);
  return {
    inputs: inputs.length,
    scores: scores.length,
    missing: [...inputCounts].filter(([id, count]) => (scoreCounts.get(id) ?? 0) < count).map(([id]) => id),
    duplicated: [...scoreCounts].filter(([id, count]) => count > (inputCounts.get(id) ?? 0) && inputCounts.has(id)).map(([id]) => id),
    unexpected: [...scoreCounts.keys()].filter((id) => !inputCounts.has(id)),
    lostInputs: acknowledged.filter((id) => !inputCounts.has(id)),
  };
}
