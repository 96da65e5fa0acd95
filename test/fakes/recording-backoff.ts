import { retryDelay, type Backoff } from '../../src/serving/retry-backoff.js';

/** The scorer's real delays (capped at 10 s) with waits that return at once and are recorded in `waits`. */
export function recordingBackoff(waits: number[], stopped = false): Backoff {
  return {
    delay: (attempt) => retryDelay(attempt, 10_000),
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    stopped,
  };
}
