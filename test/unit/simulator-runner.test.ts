import { describe, expect, it } from 'vitest';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import type { SimulatedEvent } from '../../examples/fraud/simulator/simulated-event.js';
import { runSimulation, type RunnerClock, type SinkRecord, type SimulationProgress } from '../../examples/fraud/simulator/simulation-runner.js';

const START = Date.UTC(2025, 0, 15);

/** A sink that keeps every batch, and can run a hook after each one. */
function collectingSink(afterBatch: (batches: SinkRecord[][]) => void = () => {}) {
  const batches: SinkRecord[][] = [];
  return {
    batches,
    send: async (records: SinkRecord[]) => {
      batches.push(records);
      afterBatch(batches);
    },
  };
}

/** A clock that only moves when the runner sleeps, and records how long it asked to sleep. */
function fakeClock(onSleep: (ms: number) => void = () => {}): RunnerClock & { slept: number[] } {
  let time = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => time,
    sleep: async (ms, signal) => {
      slept.push(ms);
      onSleep(ms);
      if (signal?.aborted) throw new Error('aborted');
      time += ms;
    },
  };
}

/** `n` endless simulated events (no count) cut to the first `n`. */
const events = (n: number): SimulatedEvent[] => {
  const all: SimulatedEvent[] = [];
  for (const event of simulateEvents({ startTime: START, seed: 11 })) {
    all.push(event);
    if (all.length === n) break;
  }
  return all;
};

describe('runSimulation', () => {
  it('sends every event in batches, in order, and reports progress after each batch', async () => {
    const input = events(230);
    const sink = collectingSink();
    const progress: SimulationProgress[] = [];
    const result = await runSimulation(input, sink, { rate: 1_000, batchSize: 100, clock: fakeClock(), onProgress: (p) => progress.push(p) });
    expect(sink.batches.map((b) => b.length)).toEqual([100, 100, 30]);
    expect(sink.batches.flat()).toEqual(input);
    expect(progress.map((p) => p.sent)).toEqual([100, 200, 230]);
    const transactions = input.filter((e) => e.topic === 'transactions');
    expect(result).toEqual({
      sent: 230,
      transactions: transactions.length,
      labels: 230 - transactions.length,
      lastEventTime: transactions.at(-1)?.value.event_time,
      aborted: false,
    });
  });

  it('stops after count events of an endless stream', async () => {
    const sink = collectingSink();
    const result = await runSimulation(simulateEvents({ startTime: START }), sink, { rate: 1_000, count: 250, batchSize: 100, clock: fakeClock() });
    expect(sink.batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(result).toMatchObject({ sent: 250, aborted: false });
  });

  it('paces with a token bucket: a batch waits for one token per event, refilled at rate per second', async () => {
    // 20 events at 10/s in batches of 5: the first batch uses the full bucket, each later one waits 500 ms.
    const clock = fakeClock();
    await runSimulation(events(20), collectingSink(), { rate: 10, batchSize: 5, clock });
    expect(clock.slept).toEqual([500, 500, 500]);
  });

  it('paced by transactions, sends rate transactions per second and lets their labels travel free', async () => {
    // Labels a thousand times sooner than chargebacks, so they mix with the transactions.
    const input = [...simulateEvents({ startTime: START, seed: 11, count: 300, labelDelayScale: 0.001 })];
    const transactions = input.filter((event) => event.topic === 'transactions').length;
    expect(transactions).toBe(300);
    const clock = fakeClock();
    const result = await runSimulation(input, collectingSink(), { rate: 10, paced: 'transactions', batchSize: 5, clock });
    expect(result).toMatchObject({ sent: input.length, transactions, labels: input.length - transactions });
    expect(result.labels).toBeGreaterThan(50);
    // The first batch's tokens are there at the start; every later transaction waits a tenth of a second.
    const firstBatchTransactions = input.slice(0, 5).filter((event) => event.topic === 'transactions').length;
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBeCloseTo(((transactions - firstBatchTransactions) * 1000) / 10, 6);
  });

  it('counts time spent sending towards the next batch', async () => {
    let time = 0;
    const slept: number[] = [];
    const clock: RunnerClock = {
      now: () => time,
      sleep: async (ms) => {
        slept.push(ms);
        time += ms;
      },
    };
    // Each send takes 300 ms, so 3 of the 5 tokens a batch needs are back when it is ready.
    const sink = { send: async () => void (time += 300) };
    await runSimulation(events(15), sink, { rate: 10, batchSize: 5, clock });
    expect(slept.map(Math.round)).toEqual([200, 200]);
  });

  it('stops when the signal aborts after a batch, and says so', async () => {
    const controller = new AbortController();
    const sink = collectingSink((batches) => batches.length === 3 && controller.abort());
    const result = await runSimulation(events(1_000), sink, { rate: 1_000, batchSize: 50, signal: controller.signal, clock: fakeClock() });
    expect(sink.batches).toHaveLength(3);
    expect(result).toMatchObject({ sent: 150, aborted: true });
  });

  it('stops while waiting for tokens when the signal aborts, without sending the waiting batch', async () => {
    const controller = new AbortController();
    const clock = fakeClock(() => controller.abort());
    const sink = collectingSink();
    const result = await runSimulation(events(100), sink, { rate: 10, batchSize: 10, signal: controller.signal, clock });
    expect(sink.batches).toHaveLength(1);
    expect(result).toMatchObject({ sent: 10, aborted: true });
  });

  it('sends nothing when the signal has already aborted', async () => {
    const sink = collectingSink();
    const result = await runSimulation(events(10), sink, { rate: 10, signal: AbortSignal.abort(), clock: fakeClock() });
    expect(sink.batches).toEqual([]);
    expect(result).toMatchObject({ sent: 0, aborted: true });
  });

  it('passes on a failure of the sink', async () => {
    const sink = { send: () => Promise.reject(new Error('broker unreachable')) };
    await expect(runSimulation(events(10), sink, { rate: 10, clock: fakeClock() })).rejects.toThrow('broker unreachable');
  });

  it('refuses a rate or batch size it cannot pace by', async () => {
    await expect(runSimulation([], collectingSink(), { rate: 0 })).rejects.toThrow('rate must be a finite number of events per second > 0, got 0');
    await expect(runSimulation([], collectingSink(), { rate: 10, batchSize: 0.5 })).rejects.toThrow('batchSize must be a whole number ≥ 1, got 0.5');
  });

  it('runs on the process clock by default', async () => {
    const sink = collectingSink();
    const result = await runSimulation(events(2_000), sink, { rate: 1_000_000 });
    expect(result).toMatchObject({ sent: 2_000, aborted: false });
    expect(sink.batches.every((b) => b.length <= 1_000)).toBe(true);
  });
});
