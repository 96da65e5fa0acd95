import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatedEvent } from './simulated-event.js';

/** One record for a producer: the topic is the logical name; the sink maps it to the real topic. */
export interface SinkRecord {
  readonly topic: 'transactions' | 'labels';
  readonly key: string;
  readonly value: unknown;
}

/** Where the runner delivers events, a batch at a time: a Kafka producer, stdout, a test's array. */
export interface SimulationSink {
  /** Resolves once the batch is accepted (for Kafka: acknowledged); the runner waits before sending more. */
  send(records: SinkRecord[]): Promise<void>;
}

/** A sink that holds a connection, released by `close()`. */
export type ClosableSimulationSink = SimulationSink & { close(): Promise<void> };

/** Time as the runner sees it; tests pass a fake so that pacing is checked without waiting. */
export interface RunnerClock {
  /** Milliseconds from any fixed origin. */
  now(): number;
  /** Resolves after `ms`; rejects (with any error) when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface SimulationProgress {
  /** Events accepted by the sink so far. */
  readonly sent: number;
  readonly transactions: number;
  readonly labels: number;
  /** Event time of the last transaction sent, if any. */
  readonly lastEventTime: number | undefined;
}

export interface SimulationResult extends SimulationProgress {
  /** True when the signal stopped the run before the events or `count` ran out. */
  readonly aborted: boolean;
}

export interface RunSimulationOptions {
  /** What `paced` counts, per second of wall-clock time. Must be > 0. */
  readonly rate: number;
  /**
   * What `rate` counts: every event (transactions and labels), or transactions only, labels
   * travelling with them. At the generator's own rate in transactions, `'transactions'` keeps
   * simulated time running with the wall clock. @default 'events'
   */
  readonly paced?: 'events' | 'transactions';
  /** Stop after this many events. @default undefined (until the events run out) */
  readonly count?: number;
  /** Stops the run: a batch being sent completes, one waiting for its turn is dropped; the result says `aborted`. @default undefined */
  readonly signal?: AbortSignal;
  /** Events per `send`, which is also the burst the token bucket allows. @default rate / 20, from 1 to 1,000 */
  readonly batchSize?: number;
  /** Called after every batch the sink accepted. @default undefined */
  readonly onProgress?: (progress: SimulationProgress) => void;
  /** @default the process clock (`performance.now`, timers) */
  readonly clock?: RunnerClock;
}

const SYSTEM_CLOCK: RunnerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

const defaultBatchSize = (rate: number): number => Math.min(1_000, Math.max(1, Math.ceil(rate / 20)));

/**
 * Sends `events` to `sink` at `rate` events (or transactions, see `paced`) per second of
 * wall-clock time, in batches, paced by a token bucket (tokens refill at `rate` per second up to
 * one batch; a batch waits until it has a token per paced event). Stops when the events or
 * `count` run out, or when `signal` aborts.
 * A failing `send` rejects the returned promise with the sink's error.
 */
export async function runSimulation(events: Iterable<SimulatedEvent>, sink: SimulationSink, options: RunSimulationOptions): Promise<SimulationResult> {
  const { rate, paced = 'events', count = Number.POSITIVE_INFINITY, signal, onProgress, clock = SYSTEM_CLOCK } = options;
  const tokensFor = (batch: readonly SimulatedEvent[]): number => (paced === 'events' ? batch.length : batch.filter((event) => event.topic === 'transactions').length);
  const batchSize = options.batchSize ?? defaultBatchSize(rate);
  if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`rate must be a finite number of events per second > 0, got ${rate}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);

  const iterator = events[Symbol.iterator]();
  let progress: SimulationProgress = { sent: 0, transactions: 0, labels: 0, lastEventTime: undefined };
  let aborted = false;
  let tokens = batchSize;
  let refilledAt = clock.now();
  const refill = (): void => {
    const now = clock.now();
    tokens = Math.min(batchSize, tokens + ((now - refilledAt) * rate) / 1000);
    refilledAt = now;
  };

  try {
    while (progress.sent < count) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      const batch: SimulatedEvent[] = [];
      const limit = Math.min(batchSize, count - progress.sent);
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        batch.push(next.value);
        if (batch.length >= limit) break;
      }
      if (batch.length === 0) break;

      const needed = tokensFor(batch);
      refill();
      if (tokens < needed) {
        try {
          await clock.sleep(((needed - tokens) * 1000) / rate, signal);
        } catch (error) {
          if (!signal?.aborted) throw error;
          aborted = true;
          break;
        }
        refill();
      }
      tokens -= needed;
      await sink.send(batch);
      progress = advance(progress, batch);
      onProgress?.(progress);
    }
  } finally {
    // Lets a generator that was stopped early run its cleanup.
    iterator.return?.();
  }
  return { ...progress, aborted };
}

function advance(progress: SimulationProgress, batch: readonly SimulatedEvent[]): SimulationProgress {
  let { transactions, labels, lastEventTime } = progress;
  for (const event of batch) {
    if (event.topic === 'transactions') {
      transactions++;
      lastEventTime = event.value.event_time;
    } else labels++;
  }
  return { sent: progress.sent + batch.length, transactions, labels, lastEventTime };
}
