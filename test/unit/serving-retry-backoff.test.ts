import { describe, expect, it } from 'vitest';
import { createBackoff, retryDelay } from '../../src/serving/retry-backoff.js';

describe('retryDelay', () => {
  it('doubles from 200 ms after each failure: 200, 400, 800, 1600, 3200, 6400', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(attempt, 10_000))).toEqual([200, 400, 800, 1600, 3200, 6400]);
  });

  it('stops at the cap: attempt 7 would be 200 * 2^6 = 12800, capped to 10000; with a 1000 ms cap attempt 4 (1600) gives 1000', () => {
    expect(retryDelay(7, 10_000)).toBe(10_000);
    expect(retryDelay(30, 10_000)).toBe(10_000);
    expect([3, 4].map((attempt) => retryDelay(attempt, 1000))).toEqual([800, 1000]);
  });
});

describe('createBackoff', () => {
  it('delays by retryDelay with its cap', () => {
    const backoff = createBackoff(500, new AbortController().signal);
    expect([1, 2, 3].map((attempt) => backoff.delay(attempt))).toEqual([200, 400, 500]);
  });

  it('ends a wait when the worker stops, so stop() never sits out a back-off', async () => {
    const stop = new AbortController();
    const backoff = createBackoff(10_000, stop.signal);
    expect(backoff.stopped).toBe(false);
    let ended = false;
    // An hour: only the abort can end it before the test times out.
    const waiting = backoff.wait(3_600_000).then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    stop.abort();
    await waiting;
    expect(ended).toBe(true);
    expect(backoff.stopped).toBe(true);
  });

  it('does not wait at all once stopped, and resolves rather than rejects', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(createBackoff(10_000, stop.signal).wait(3_600_000)).resolves.toBeUndefined();
  });

  it('waits the time asked when nothing stops it', async () => {
    const backoff = createBackoff(10_000, new AbortController().signal);
    let waited = false;
    const waiting = backoff.wait(30).then(() => {
      waited = true;
    });
    // An immediate runs before any timer: a wait that did not wait would have resolved by then.
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBe(false);
    await waiting;
    expect(waited).toBe(true);
  });
});
