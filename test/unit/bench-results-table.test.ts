import { describe, expect, it } from 'vitest';
import { at, benchmarkDocument, headlinesOf, jsonObjectsIn, markdownTable, type BenchmarkRun } from '../../bench/results-table.js';

const run = (name: string, result: Record<string, unknown> | null, problem: string | null = null): BenchmarkRun => ({ name, exitCode: result === null ? 1 : 0, durationMs: 12_300, result, problem });

describe('finding a benchmark’s JSON document in its stdout', () => {
  it('finds pretty-printed and one-line objects among other lines, braces in strings included', () => {
    const stdout = ['warming up {not json}', '{"level":"INFO","message":"a { brace"}', JSON.stringify({ benchmark: 'x', nested: { text: 'say "}"' } }, null, 2), 'done'].join('\n');
    expect(jsonObjectsIn(stdout)).toEqual([{ level: 'INFO', message: 'a { brace' }, { benchmark: 'x', nested: { text: 'say "}"' } }]);
  });

  it('prefers the last object naming a benchmark over a client’s log line printed after it', () => {
    const stdout = `${JSON.stringify({ bench: 'trigger-reaction', medianMs: 500 })}\n{"level":"INFO","logger":"kafkajs","message":"disconnected"}\n`;
    expect(benchmarkDocument(stdout)).toEqual({ bench: 'trigger-reaction', medianMs: 500 });
    expect(benchmarkDocument('{"a":1}\n{"b":2}')).toEqual({ b: 2 });
    expect(benchmarkDocument('no json here')).toBeUndefined();
  });

  it('reads dotted paths and stops at a missing step', () => {
    expect(at({ a: { b: [10, 20] } }, 'a.b.1')).toBe(20);
    expect(at({ a: 1 }, 'a.b.c')).toBeUndefined();
  });
});

describe('headline figures against their same-run baselines', () => {
  it('training: each backend against the cpu backend', () => {
    const rows = headlinesOf(
      run('training', {
        benchmark: 'training',
        results: [
          { backend: 'wasm', trainSamplesPerSecond: 40_000, predictRowsPerSecond: { batch512: 3_000_000 } },
          { backend: 'cpu', trainSamplesPerSecond: 20_000, predictRowsPerSecond: { batch512: 150_000 } },
        ],
      }),
    );
    expect(rows[0]).toEqual({ benchmark: 'training', figure: 'training samples/s, wasm backend', value: '40,000 (×2.00)', baseline: 'cpu backend, same data and epochs' });
    expect(rows[1]!.value).toBe('3,000,000 (×20.00)');
    expect(rows[2]).toMatchObject({ figure: 'training samples/s, cpu backend', value: '20,000' });
  });

  it('scoring: scorer against the pass-through per delivery mode, swaps against steady', () => {
    const rows = headlinesOf(
      run('scoring', {
        benchmark: 'scoring',
        results: {
          'passThrough.exactly-once': { throughputPerSecond: 10_000, latency: { p50Ms: 50, p99Ms: 100 } },
          'scorer.exactly-once': { throughputPerSecond: 2_500, latency: { p50Ms: 80, p99Ms: 250 } },
        },
        swapP99OverSteadyP99: 1.4,
      }),
    );
    expect(rows).toEqual([
      { benchmark: 'scoring', figure: 'scorer throughput, exactly-once (records/s)', value: '2,500 (×0.25)', baseline: 'pass-through (same bytes, no model): 10,000/s' },
      { benchmark: 'scoring', figure: 'scorer end-to-end latency p99, exactly-once', value: '250 ms (×2.50)', baseline: 'pass-through p99 100 ms at the same rate' },
      { benchmark: 'scoring', figure: 'scorer p99 latency while the champion swaps every second', value: '×1.40', baseline: 'steady p99, exactly-once, same rate' },
    ]);
  });

  it('scoring: the onnx scorer against the tfjs scorer of the same run', () => {
    const rows = headlinesOf(
      run('scoring', {
        benchmark: 'scoring',
        results: {
          'scorer.exactly-once': { throughputPerSecond: 2_000, latency: { p50Ms: 80, p99Ms: 400 } },
          'scorer.onnx.exactly-once': { throughputPerSecond: 3_000, latency: { p50Ms: 60, p99Ms: 200 } },
        },
      }),
    );
    expect(rows).toEqual([{ benchmark: 'scoring', figure: 'onnx scorer throughput / p99, exactly-once', value: '3,000/s (×1.50) / 200 ms (×0.50)', baseline: 'tfjs scorer, same network: 2,000/s / 400 ms' }]);
  });

  it('flink-upgrade: blue/green and rollback downtime against the savepoint upgrade', () => {
    const rows = headlinesOf(run('flink-upgrade', { benchmark: 'flink-upgrade', rate: 200, upgrade: { medianOutputGapMs: 4_000 }, rollback: { medianOutputGapMs: 5_000 }, blueGreen: { medianOutputGapMs: 280, medianTakeoverMs: 3_500 } }));
    expect(rows.map((row) => [row.figure, row.value])).toEqual([
      ['feature job upgrade downtime (median output gap), blue/green', '280 ms (×0.07)'],
      ['feature job rollback downtime (median output gap)', '5000 ms (×1.25)'],
      ['blue/green takeover (decision → old job ended), median', '3500 ms'],
    ]);
    expect(rows[0]!.baseline).toBe('savepoint upgrade: 4000 ms, same run, 200 events/s');
  });

  it('trigger-reaction and feature-job: against the poll interval and the sink write', () => {
    expect(headlinesOf(run('trigger-reaction', { benchmark: 'trigger-reaction', medianMs: 600, p99Ms: 1_100, pollIntervalMs: 1_000 }))[0]).toMatchObject({ value: '600 ms / 1100 ms (×0.60 of a poll)', baseline: 'poll interval 1000 ms (half of it expected on average)' });
    const featureJob = headlinesOf(run('feature-job', { benchmark: 'feature-job', job: { checkpointIntervalMs: 10_000 }, throughput: { recordsPerSecond: 12_345.6, plainReadRecordsPerSecond: 24_691.2 }, cpu: { microsecondsPerEvent: 33, coresBusy: 1.444 }, latency: { endToEnd: { medianMs: 9_000, p99Ms: 15_000 }, toSinkWrite: { medianMs: 5_200 } } }));
    expect(featureJob.map((row) => row.value)).toEqual(['12,346 (×0.50)', '33', '9000 ms / 15.0 s']);
    expect(featureJob[0]!.baseline).toBe('one kafkajs consumer reading and Avro-decoding the same backlog: 24,691/s');
    expect(featureJob[1]!.baseline).toBe('absolute; 1.44 cores busy meanwhile');
    expect(featureJob[2]!.baseline).toBe('sink write p50 5200 ms (the rest is the wait for the checkpoint every 10.0 s that commits it)');
  });

  it('rollout-metrics: the following reader\'s poll against a full read of the same period', () => {
    expect(headlinesOf(run('rollout-metrics', { benchmark: 'rollout-metrics', backlog: 50_000, pollGrowth: 1_000, medianPollMs: 137, medianFullReadMs: 647 }))).toEqual([
      {
        benchmark: 'rollout-metrics',
        figure: 'rollout live-metrics poll, 50,000 transactions into the step, 1,000 new',
        value: '137 ms (×0.21)',
        baseline: "a full read of the step's period (what every poll cost before): 647 ms",
      },
    ]);
  });

  it('cli-startup: the help texts against a bare node start-up in the same run', () => {
    expect(headlinesOf(run('cli-startup', { benchmark: 'cli-startup', medianMs: { baseline: 60, help: 150, stackHelp: 12_000 } }))).toEqual([
      { benchmark: 'cli-startup', figure: 'tributary --help, process start to exit (median)', value: '150 ms (×2.50)', baseline: "bare node -e '': 60 ms, same run" },
      { benchmark: 'cli-startup', figure: 'tributary stack --help, process start to exit (median)', value: '12.0 s (×200.00)', baseline: "bare node -e '': 60 ms, same run" },
    ]);
  });

  it('status-unavailable: the time to the last "unavailable" against the section timeout', () => {
    expect(headlinesOf(run('status-unavailable', { benchmark: 'status-unavailable', medianMs: 1_250, maxMs: 12_000, sectionTimeoutMs: 10_000 }))).toEqual([
      { benchmark: 'status-unavailable', figure: 'tributary status with every service down, to the last "unavailable", median (slowest)', value: '1250 ms (12.0 s)', baseline: 'the section timeout it must not wait for: 10.0 s' },
    ]);
  });

  it('rollout-latency-guardrail: false and caught rollbacks beside the old default', () => {
    const rows = headlinesOf(run('rollout-latency-guardrail', { benchmark: 'rollout-latency-guardrail', checkpointIntervalMs: 10_000, share: 0.1, falseRollbackRate: { defaults: 0, beforeRelativeLatency: 1 }, slowerByMs: 1_000, slowerCaughtRate: 0.7694 }));
    expect(rows.map((row) => [row.figure, row.value, row.baseline])).toEqual([
      ["rollouts' latency guardrail: polls rolling back an equally fast challenger (10.0 s checkpoints, challenger 0.1 of the keys)", '0.0 %', 'old default (p99 ≤ 1000 ms): 100.0 %'],
      ["rollouts' latency guardrail: polls catching a challenger 1000 ms slower", '76.9 %', 'same simulated steps'],
    ]);
  });

  it('latency: each rate step’s transaction → score percentiles against the plain kafkajs baseline, and the unscored tail', () => {
    const step = (ratePerSecond: number, baseline: Record<string, number> | null, mode?: string) => ({ mode, ratePerSecond, transactions: ratePerSecond * 60, unscoredAfterProducerStopped: 3, stages: { sourceToScore: { p50Ms: 420, p99Ms: 900, p999Ms: 12_500 } }, baseline });
    const rows = headlinesOf(run('latency', { benchmark: 'latency', settings: { featureJob: { checkpointIntervalMs: 500, featureTiming: 'arrival' } }, steps: [step(1_000, { p99Ms: 45 }, 'exactly-once'), step(5_000, null, 'low-latency')] }));
    expect(rows.map((row) => [row.figure, row.value, row.baseline])).toEqual([
      ['transaction → score p50 / p99 / p99.9 at 1,000 events/s (exactly-once, features on arrival, 500 ms checkpoints)', '420 ms / 900 ms / 12.5 s (p99 ×20.00)', 'plain kafkajs produce → consume p99 at the same rate: 45 ms'],
      ['transactions never scored after the producer stopped, 1,000 events/s, exactly-once', '3 of 60,000', 'absolute'],
      ['transaction → score p50 / p99 / p99.9 at 5,000 events/s (low-latency, features on arrival, 500 ms checkpoints)', '420 ms / 900 ms / 12.5 s', 'absolute (run without the baseline)'],
      ['transactions never scored after the producer stopped, 5,000 events/s, low-latency', '3 of 300,000', 'absolute'],
    ]);
    // A document from before the modes: its steps were exactly-once.
    const older = headlinesOf(run('latency', { benchmark: 'latency', settings: { featureJob: { checkpointIntervalMs: 10_000 } }, steps: [step(100, { p99Ms: 45 })] }));
    expect(older[0]!.figure).toBe('transaction → score p50 / p99 / p99.9 at 100 events/s (exactly-once, 10.0 s checkpoints)');
  });

  it('capacity: one scorer process\'s CPU per event, and two processes in one group against one', () => {
    const drain = (recordsPerSecond: number, microsecondsPerEvent: number) => ({ recordsPerSecond, cpu: { microsecondsPerEvent } });
    const rows = headlinesOf(run('capacity', { benchmark: 'capacity', drains: { 'one.exactly-once': drain(8_000, 95), 'one.low-latency': drain(10_000, 80), 'two.exactly-once': drain(10_000, 110) } }));
    expect(rows.map((row) => [row.figure, row.value, row.baseline])).toEqual([
      ['scorer CPU per event, one process, exactly-once (µs)', '95', 'absolute; low-latency: 80 µs'],
      ['scorer throughput, two processes in one group, exactly-once (records/s)', '10,000 (×1.25)', 'one process: 8,000/s, same backlog size, the same 2 shared cores'],
    ]);
    // Rounds paired: their median ratio, not the ratio of the medians.
    const paired = headlinesOf(run('capacity', { drains: { 'one.exactly-once': drain(8_000, 95), 'two.exactly-once': drain(10_000, 110) }, twoOverOneThroughput: { median: 1.1, samples: [1.3, 1.1, 0.9] } }));
    expect(paired[1]!.value).toBe('10,000 (×1.10, median of rounds)');
  });

  it('says so for a failed benchmark and for an output it has no rule for', () => {
    expect(headlinesOf(run('scoring', null, 'exit code 1 (its stderr above says why)'))).toEqual([{ benchmark: 'scoring', figure: 'failed', value: 'exit code 1 (its stderr above says why)', baseline: '–' }]);
    expect(headlinesOf(run('new-one', { benchmark: 'new-one' }))[0]!.figure).toBe('no headline figure known for this output');
    // A known benchmark whose output changed shape: no row invented from missing fields.
    expect(headlinesOf(run('scoring', { benchmark: 'scoring', results: {} }))[0]!.figure).toBe('no headline figure known for this output');
  });

  it('makes no row of a figures rule whose required figure is missing, and rows once it is there', () => {
    const withoutRequired: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['trigger-reaction', { medianMs: 600, pollIntervalMs: 1_000 }, { p99Ms: 900 }],
      ['rollout-metrics', { medianPollMs: 137, backlog: 10 }, { medianFullReadMs: 647 }],
      ['cli-startup', { medianMs: { help: 150 } }, { medianMs: { help: 150, baseline: 60 } }],
      ['status-unavailable', { medianMs: 1_250, maxMs: 2_000 }, { sectionTimeoutMs: 10_000 }],
    ];
    for (const [name, partial, missing] of withoutRequired) {
      expect(headlinesOf(run(name, partial)).map((row) => row.figure)).toEqual(['no headline figure known for this output']);
      expect(headlinesOf(run(name, { ...partial, ...missing }))[0]!.figure).not.toBe('no headline figure known for this output');
    }
    // Optional figures stay optional: a missing poll interval is shown as unknown.
    expect(headlinesOf(run('trigger-reaction', { medianMs: 600, p99Ms: 900 }))[0]!.baseline).toBe('poll interval ? (half of it expected on average)');
  });
});

describe('the markdown table', () => {
  it('has one row per headline, escapes pipes and lists the run times', () => {
    const table = markdownTable([run('trigger-reaction', { medianMs: 600, p99Ms: 900, pollIntervalMs: 1_000 }), run('odd|name', null, 'printed no JSON object on stdout')]);
    expect(table.split('\n').slice(0, 4)).toEqual([
      '| benchmark | figure | value | compared with (same run) |',
      '| --- | --- | --- | --- |',
      '| trigger-reaction | threshold crossing → training started, median / p99 | 600 ms / 900 ms (×0.60 of a poll) | poll interval 1000 ms (half of it expected on average) |',
      '| odd\\|name | failed | printed no JSON object on stdout | – |',
    ]);
    expect(table).toContain('Run times: trigger-reaction 12.3 s, odd|name 12.3 s.');
  });
});
