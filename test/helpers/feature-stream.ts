/**
 * What the feature-job tests share: a stream of simulated transactions and labels written through
 * the real simulation sink, remembering every transaction it sent, and the audit of what the job
 * made of it, read back from `features` until every transaction has its record.
 */
import type { Kafka } from 'kafkajs';
import type { TributaryConfig } from '../../src/config/config.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { simulatorTopics } from '../../examples/fraud/fraud-pipeline.js';
import { createKafkaSimulationSink } from '../../examples/fraud/simulator/kafka-sink.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import type { Transaction } from '../../examples/fraud/simulator/simulated-event.js';
import { runSimulation, type SinkRecord } from '../../examples/fraud/simulator/simulation-runner.js';
import { collectingConsumer } from './kafka.js';
import { waitFor } from './wait-for.js';
import { fraudTopic } from './fraud-topics.js';

const DAY_MS = 86_400_000;
const DEFAULT_START_TIME = Date.parse('2026-03-02T08:00:00Z');
/** Transactions a day after the stream: enough cards that every partition's watermark passes the stream's last events. */
const FLUSHING_TRANSACTIONS = 30;

export interface SimulatedStreamOptions {
  readonly seed: number;
  /** Events per second. */
  readonly rate: number;
  /** Stop by itself after this many events. @default until stopped */
  readonly count?: number;
  /** Event time of the first event. @default 2026-03-02T08:00Z */
  readonly startTime?: number;
}

export interface SimulatedStream {
  /** The ids of every transaction written so far. */
  readonly transactionIds: ReadonlySet<string>;
  /** Stops writing (at once; safe to call in a `finally`). */
  stop(): void;
  /**
   * Waits for the stream to end (stopped, or its count written), then writes transactions a day
   * later, whose watermarks let the job emit the stream's last events, and closes the sink.
   * Flushing transactions are not in `transactionIds`.
   */
  finish(): Promise<void>;
}

/** Starts writing simulated events as `config`'s principal (labels arrive soon after their transactions). */
export async function startSimulatedStream(config: TributaryConfig, { seed, rate, count, startTime = DEFAULT_START_TIME }: SimulatedStreamOptions): Promise<SimulatedStream> {
  const sink = await createKafkaSimulationSink(config, simulatorTopics(config));
  const transactionIds = new Set<string>();
  const recording = {
    async send(batch: SinkRecord[]) {
      await sink.send(batch);
      for (const record of batch) if (record.topic === 'transactions') transactionIds.add((record.value as Transaction).transaction_id);
    },
  };
  const stopped = new AbortController();
  const simulation = runSimulation(simulateEvents({ seed, startTime, labelDelayScale: 0.05 }), recording, { rate, count, signal: stopped.signal });
  // Awaited by finish(); when a test fails before that, its outcome no longer matters.
  simulation.catch(() => undefined);
  return {
    transactionIds,
    stop: () => stopped.abort(),
    async finish() {
      try {
        const simulated = await simulation;
        const flushing = simulateEvents({ seed: seed + 1, startTime: (simulated.lastEventTime ?? startTime) + DAY_MS, count: FLUSHING_TRANSACTIONS, outOfOrderMs: 0, lateShare: 0 });
        await sink.send([...flushing].filter((event) => event.topic === 'transactions'));
      } finally {
        await sink.close();
      }
    },
  };
}

/** A feature record as the audit reads it. */
export interface AuditedFeature {
  readonly transaction_id: string;
  readonly feature_job_version: string;
}

export interface FeatureAudit {
  /** The features of the stream's transactions (flushing ones left out), in the order read. */
  readonly features: readonly AuditedFeature[];
  /** Transactions with more than one feature. */
  readonly duplicated: readonly string[];
}

/**
 * Reads `features` (read_committed) until every one of `transactionIds` has a record, then
 * counts them; fails when one is still missing after `timeoutMs`.
 */
export async function auditFeatures(
  kafka: Kafka,
  registry: SchemaRegistryClient,
  config: TributaryConfig,
  transactionIds: ReadonlySet<string>,
  timeoutMs = 180_000,
): Promise<FeatureAudit> {
  const consumer = await collectingConsumer(kafka, fraudTopic(config, 'features'));
  try {
    const decoder = createAvroDecoder(registry);
    const decoded = (): Promise<AuditedFeature[]> => Promise.all(consumer.received.map(async ({ message }) => (await decoder.decode(message.value as Buffer)).value as AuditedFeature));
    const all = await waitFor(`a feature for each of ${transactionIds.size} transactions`, async () => {
      const values = await decoded();
      const seen = new Set(values.map((value) => value.transaction_id));
      return [...transactionIds].every((id) => seen.has(id)) ? values : undefined;
    }, timeoutMs, 2_000);
    const features = all.filter((value) => transactionIds.has(value.transaction_id));
    const counts = new Map<string, number>();
    for (const { transaction_id: id } of features) counts.set(id, (counts.get(id) ?? 0) + 1);
    return { features, duplicated: [...counts].filter(([, count]) => count > 1).map(([id]) => id) };
  } finally {
    await consumer.consumer.disconnect();
  }
}
