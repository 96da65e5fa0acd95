/**
 * How the scoring worker's parts space out attempts (a failed chunk, a model that did not load, a
 * consumer that crashed): exponential from 200 ms, capped; and the one wait they all use, which
 * ends early when the worker stops so that stop() never waits out a back-off.
 */
import { setTimeout as delay } from 'node:timers/promises';

const FIRST_RETRY_DELAY_MS = 200;

/** Spacing of retries, bound to the signal that stops the worker. */
export interface Backoff {
  /** ms to wait before attempt `attempt + 1`, after `attempt` failures (1-based). */
  delay(attempt: number): number;
  /** Waits `ms`, or less once the worker stops; never rejects. */
  wait(ms: number): Promise<void>;
  /** Whether the worker is stopping: loops end instead of trying again. */
  readonly stopped: boolean;
}

/** 200 ms, 400 ms, 800 ms, … up to `maxDelayMs`. */
export function retryDelay(attempt: number, maxDelayMs: number): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), maxDelayMs);
}

export function createBackoff(maxDelayMs: number, stop: AbortSignal): Backoff {
  return {
    delay: (attempt) => retryDelay(attempt, maxDelayMs),
    async wait(ms) {
      try {
        await delay(ms, undefined, { signal: stop });
      } catch (error) {
        // Aborted: the worker stops, and the caller's loop sees `stopped`.
        if (!stop.aborted) throw error;
      }
    },
    get stopped() {
      return stop.aborted;
    },
  };
}
