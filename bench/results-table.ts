/**
 * What the benchmark runner (bench/run.ts) makes of each benchmark's output: the benchmark's JSON
 * document found in its stdout, and its headline figures, each beside the baseline it was measured
 * against in the same run, as rows of a markdown table. Pure, so the parsing and the table are
 * unit-tested without running a benchmark.
 */

/** One figure of the table. */
export interface Headline {
  readonly benchmark: string;
  readonly figure: string;
  readonly value: string;
  /** What the figure is measured against in the same run. */
  readonly baseline: string;
}

/** How one benchmark ran. */
export interface BenchmarkRun {
  readonly name: string;
  readonly exitCode: number;
  readonly durationMs: number;
  /** The benchmark's JSON document; null when it printed none (or failed before). */
  readonly result: Record<string, unknown> | null;
  /** Why there is no result, in one line; null when there is one. */
  readonly problem: string | null;
}

/** Every top-level `{...}` in `text` that parses as a JSON object, in order. Strings are respected, so braces inside them do not count. */
export function jsonObjectsIn(text: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"' && depth > 0) inString = true;
    else if (char === '{') {
      if (depth === 0) start = index;
      depth += 1;
    } else if (char === '}' && depth > 0) {
      depth -= 1;
      if (depth === 0) {
        try {
          const parsed: unknown = JSON.parse(text.slice(start, index + 1));
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) found.push(parsed as Record<string, unknown>);
        } catch {
          // Text that only looks like an object (a log line's braces): not the benchmark's document.
        }
      }
    }
  }
  return found;
}

/**
 * The benchmark's document in its stdout: the last JSON object that names a benchmark
 * (`benchmark` or `bench`), or else the last JSON object; undefined without any. Client
 * libraries may log JSON lines to stdout around it, so the naming key decides.
 */
export function benchmarkDocument(stdout: string): Record<string, unknown> | undefined {
  const objects = jsonObjectsIn(stdout);
  return objects.filter((object) => typeof object.benchmark === 'string' || typeof object.bench === 'string').at(-1) ?? objects.at(-1);
}

/** The value at a dotted path (`results.0.backend`), or undefined. */
export function at(document: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), document);
}

const numberAt = (document: unknown, path: string): number | undefined => {
  const value = at(document, path);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
const ratio = (value: number): string => `×${value.toFixed(2)}`;

type HeadlineRow = Omit<Headline, 'benchmark'>;
type HeadlineRule = (document: Record<string, unknown>) => (HeadlineRow | undefined)[];

/**
 * A rule over a few numbers of the document, read at `paths` by name: no row when one of
 * `required` is missing (the figure means nothing without it), else the rows `rows` makes.
 */
function figuresRule<Name extends string, Required extends Name>(
  paths: Readonly<Record<Name, string>>,
  required: readonly Required[],
  rows: (figures: Readonly<Record<Name, number | undefined>> & Readonly<Record<Required, number>>) => (HeadlineRow | undefined)[],
): HeadlineRule {
  return (document) => {
    const figures = Object.fromEntries(Object.entries<string>(paths).map(([name, path]) => [name, numberAt(document, path)])) as Record<Name, number | undefined>;
    if (required.some((name) => figures[name] === undefined)) return [];
    return rows(figures as Record<Name, number | undefined> & Record<Required, number>);
  };
}

interface TrainingBackend {
  readonly backend: string;
  readonly trainSamplesPerSecond: number;
  readonly predictRowsPerSecond: Readonly<Record<string, number>>;
}

const RULES: Readonly<Record<string, HeadlineRule>> = {
  training(document) {
    const results = (at(document, 'results') as TrainingBackend[] | undefined) ?? [];
    const cpu = results.find((result) => result.backend === 'cpu');
    return results.flatMap((result) => {
      const versusCpu = (value: number | undefined, cpuValue: number | undefined): string =>
        value === undefined ? '–' : result === cpu || cpuValue === undefined ? grouped(value) : `${grouped(value)} (${ratio(value / cpuValue)})`;
      const baseline = result === cpu ? 'itself (the plain JavaScript baseline)' : 'cpu backend, same data and epochs';
      return [
        { figure: `training samples/s, ${result.backend} backend`, value: versusCpu(result.trainSamplesPerSecond, cpu?.trainSamplesPerSecond), baseline },
        { figure: `prediction rows/s at batch 512, ${result.backend} backend`, value: versusCpu(result.predictRowsPerSecond.batch512, cpu?.predictRowsPerSecond.batch512), baseline },
      ];
    });
  },
  'feature-job'(document) {
    const throughput = numberAt(document, 'throughput.recordsPerSecond');
    const plainRead = numberAt(document, 'throughput.plainReadRecordsPerSecond');
    const p50 = numberAt(document, 'latency.endToEnd.medianMs');
    const p99 = numberAt(document, 'latency.endToEnd.p99Ms');
    const sinkP50 = numberAt(document, 'latency.toSinkWrite.medianMs');
    const checkpointMs = numberAt(document, 'job.checkpointIntervalMs');
    const cpuPerEvent = numberAt(document, 'cpu.microsecondsPerEvent');
    const coresBusy = numberAt(document, 'cpu.coresBusy');
    return [
      throughput === undefined
        ? undefined
        : {
            figure: 'feature job throughput on a backlog (records/s, parallelism 1)',
            value: plainRead === undefined ? grouped(throughput) : `${grouped(throughput)} (${ratio(throughput / plainRead)})`,
            baseline: plainRead === undefined ? 'absolute' : `one kafkajs consumer reading and Avro-decoding the same backlog: ${grouped(plainRead)}/s`,
          },
      cpuPerEvent === undefined
        ? undefined
        : {
            figure: 'feature job CPU per event on the backlog (TaskManager process, µs)',
            value: grouped(cpuPerEvent),
            baseline: `absolute; ${coresBusy === undefined ? '?' : coresBusy.toFixed(2)} cores busy meanwhile`,
          },
      p50 === undefined || p99 === undefined
        ? undefined
        : {
            figure: 'features end-to-end latency p50 / p99',
            value: `${ms(p50)} / ${ms(p99)}`,
            baseline: `sink write p50 ${sinkP50 === undefined ? '–' : ms(sinkP50)} (the rest is the wait for the checkpoint${checkpointMs === undefined ? '' : ` every ${ms(checkpointMs)}`} that commits it)`,
          },
    ];
  },
  'flink-upgrade'(document) {
    const savepointGap = numberAt(document, 'upgrade.medianOutputGapMs');
    const blueGreenGap = numberAt(document, 'blueGreen.medianOutputGapMs');
    const rollbackGap = numberAt(document, 'rollback.medianOutputGapMs');
    const takeover = numberAt(document, 'blueGreen.medianTakeoverMs');
    const stream = `${String(at(document, 'rate') ?? '?')} events/s`;
    const versusSavepoint = (gap: number): string => (savepointGap === undefined ? ms(gap) : `${ms(gap)} (${ratio(gap / savepointGap)})`);
    const savepointBaseline = `savepoint upgrade: ${savepointGap === undefined ? '–' : ms(savepointGap)}, same run, ${stream}`;
    return [
      blueGreenGap === undefined ? undefined : { figure: 'feature job upgrade downtime (median output gap), blue/green', value: versusSavepoint(blueGreenGap), baseline: savepointBaseline },
      rollbackGap === undefined ? undefined : { figure: 'feature job rollback downtime (median output gap)', value: versusSavepoint(rollbackGap), baseline: savepointBaseline },
      blueGreenGap !== undefined || savepointGap === undefined ? undefined : { figure: 'feature job upgrade downtime (median output gap), savepoint', value: ms(savepointGap), baseline: `absolute, ${stream}` },
      takeover === undefined ? undefined : { figure: 'blue/green takeover (decision → old job ended), median', value: ms(takeover), baseline: 'absolute' },
    ];
  },
  'trigger-reaction': figuresRule({ median: 'medianMs', p99: 'p99Ms', poll: 'pollIntervalMs' }, ['median', 'p99'], ({ median, p99, poll }) => [
    { figure: 'threshold crossing → training started, median / p99', value: `${ms(median)} / ${ms(p99)}${poll === undefined ? '' : ` (${ratio(median / poll)} of a poll)`}`, baseline: `poll interval ${poll === undefined ? '?' : ms(poll)} (half of it expected on average)` },
  ]),
  'rollout-metrics': figuresRule({ poll: 'medianPollMs', full: 'medianFullReadMs', backlog: 'backlog', growth: 'pollGrowth' }, ['poll', 'full'], ({ poll, full, backlog, growth }) => [
    {
      figure: `rollout live-metrics poll, ${backlog === undefined ? '?' : grouped(backlog)} transactions into the step, ${growth === undefined ? '?' : grouped(growth)} new`,
      value: `${ms(poll)} (${ratio(poll / full)})`,
      baseline: `a full read of the step's period (what every poll cost before): ${ms(full)}`,
    },
  ]),
  'rollout-latency-guardrail'(document) {
    const falseRate = numberAt(document, 'falseRollbackRate.defaults');
    const before = numberAt(document, 'falseRollbackRate.beforeRelativeLatency');
    const caught = numberAt(document, 'slowerCaughtRate');
    const slowerBy = numberAt(document, 'slowerByMs');
    const checkpoint = numberAt(document, 'checkpointIntervalMs');
    const setting = `${checkpoint === undefined ? '?' : ms(checkpoint)} checkpoints, challenger ${String(at(document, 'share') ?? '?')} of the keys`;
    return [
      falseRate === undefined ? undefined : { figure: `rollouts' latency guardrail: polls rolling back an equally fast challenger (${setting})`, value: `${(falseRate * 100).toFixed(1)} %`, baseline: `old default (p99 ≤ 1000 ms): ${before === undefined ? '–' : `${(before * 100).toFixed(1)} %`}` },
      caught === undefined ? undefined : { figure: `rollouts' latency guardrail: polls catching a challenger ${slowerBy === undefined ? '?' : ms(slowerBy)} slower`, value: `${(caught * 100).toFixed(1)} %`, baseline: 'same simulated steps' },
    ];
  },
  latency(document) {
    const steps = (at(document, 'steps') as unknown[] | undefined) ?? [];
    const checkpoint = numberAt(document, 'settings.featureJob.checkpointIntervalMs');
    const timing = at(document, 'settings.featureJob.featureTiming');
    return steps.flatMap((step) => {
      // Each step names its scorer's mode; documents from before the modes had exactly-once steps only.
      const mode = String(at(step, 'mode') ?? 'exactly-once');
      const setting = `${mode}, ${timing === undefined ? '' : `features on ${String(timing)}, `}${checkpoint === undefined ? '?' : ms(checkpoint)} checkpoints`;
      const rate = numberAt(step, 'ratePerSecond');
      const p50 = numberAt(step, 'stages.sourceToScore.p50Ms');
      const p99 = numberAt(step, 'stages.sourceToScore.p99Ms');
      const p999 = numberAt(step, 'stages.sourceToScore.p999Ms');
      const baseP99 = numberAt(step, 'baseline.p99Ms');
      const unscored = numberAt(step, 'unscoredAfterProducerStopped');
      const transactions = numberAt(step, 'transactions');
      if (rate === undefined || p50 === undefined || p99 === undefined || p999 === undefined) return [];
      return [
        {
          figure: `transaction → score p50 / p99 / p99.9 at ${grouped(rate)} events/s (${setting})`,
          value: `${ms(p50)} / ${ms(p99)} / ${ms(p999)}${baseP99 === undefined ? '' : ` (p99 ${ratio(p99 / baseP99)})`}`,
          baseline: baseP99 === undefined ? 'absolute (run without the baseline)' : `plain kafkajs produce → consume p99 at the same rate: ${ms(baseP99)}`,
        },
        unscored === undefined || transactions === undefined ? undefined : { figure: `transactions never scored after the producer stopped, ${grouped(rate)} events/s, ${mode}`, value: `${grouped(unscored)} of ${grouped(transactions)}`, baseline: 'absolute' },
      ];
    });
  },
  'cli-startup': figuresRule({ help: 'medianMs.help', stackHelp: 'medianMs.stackHelp', baseline: 'medianMs.baseline' }, ['baseline'], ({ help, stackHelp, baseline }) => {
    const row = (command: string, value: number | undefined): HeadlineRow | undefined =>
      value === undefined ? undefined : { figure: `${command}, process start to exit (median)`, value: `${ms(value)} (${ratio(value / baseline)})`, baseline: `bare node -e '': ${ms(baseline)}, same run` };
    return [row('tributary --help', help), row('tributary stack --help', stackHelp)];
  }),
  // Far below the timeout when it works, so the slowest round says more than a ratio near zero.
  'status-unavailable': figuresRule({ median: 'medianMs', max: 'maxMs', timeout: 'sectionTimeoutMs' }, ['median', 'timeout'], ({ median, max, timeout }) => [
    { figure: 'tributary status with every service down, to the last "unavailable", median (slowest)', value: `${ms(median)} (${max === undefined ? '–' : ms(max)})`, baseline: `the section timeout it must not wait for: ${ms(timeout)}` },
  ]),
  capacity(document) {
    // Drain keys hold a dot (`one.exactly-once`), so they are looked up as keys, not paths.
    const drains = (at(document, 'drains') ?? {}) as Record<string, unknown>;
    const one = drains['one.exactly-once'];
    const lowLatency = drains['one.low-latency'];
    const two = drains['two.exactly-once'];
    const cpu = numberAt(one, 'cpu.microsecondsPerEvent');
    const lowLatencyCpu = numberAt(lowLatency, 'cpu.microsecondsPerEvent');
    const oneRate = numberAt(one, 'recordsPerSecond');
    const twoRate = numberAt(two, 'recordsPerSecond');
    // The bench pairs the two drains within each round (the same minutes of load); its median ratio, when there, is the figure.
    const pairedRatio = numberAt(document, 'twoOverOneThroughput.median');
    return [
      cpu === undefined ? undefined : { figure: 'scorer CPU per event, one process, exactly-once (µs)', value: grouped(cpu), baseline: `absolute; low-latency: ${lowLatencyCpu === undefined ? '–' : grouped(lowLatencyCpu)} µs` },
      oneRate === undefined || twoRate === undefined ? undefined : { figure: 'scorer throughput, two processes in one group, exactly-once (records/s)', value: `${grouped(twoRate)} (${ratio(pairedRatio ?? twoRate / oneRate)}${pairedRatio === undefined ? '' : ', median of rounds'})`, baseline: `one process: ${grouped(oneRate)}/s, same backlog size, the same 2 shared cores` },
    ];
  },
  scoring(document) {
    // Result keys hold a dot (`scorer.exactly-once`), so they are looked up as keys, not paths.
    const results = (at(document, 'results') ?? {}) as Record<string, unknown>;
    const rows: (HeadlineRow | undefined)[] = [];
    for (const delivery of ['at-least-once', 'exactly-once']) {
      const scorer = results[`scorer.${delivery}`];
      const passThrough = results[`passThrough.${delivery}`];
      const throughput = numberAt(scorer, 'throughputPerSecond');
      const baseThroughput = numberAt(passThrough, 'throughputPerSecond');
      if (throughput !== undefined && baseThroughput !== undefined) {
        rows.push({ figure: `scorer throughput, ${delivery} (records/s)`, value: `${grouped(throughput)} (${ratio(throughput / baseThroughput)})`, baseline: `pass-through (same bytes, no model): ${grouped(baseThroughput)}/s` });
      }
      const p99 = numberAt(scorer, 'latency.p99Ms');
      const baseP99 = numberAt(passThrough, 'latency.p99Ms');
      if (p99 !== undefined && baseP99 !== undefined) {
        rows.push({ figure: `scorer end-to-end latency p99, ${delivery}`, value: `${ms(p99)} (${ratio(p99 / baseP99)})`, baseline: `pass-through p99 ${ms(baseP99)} at the same rate` });
      }
    }
    // The same network served by ONNX Runtime, exactly-once, beside the TensorFlow.js scorer of the same run.
    const onnx = results['scorer.onnx.exactly-once'];
    const tfjs = results['scorer.exactly-once'];
    const onnxThroughput = numberAt(onnx, 'throughputPerSecond');
    const tfjsThroughput = numberAt(tfjs, 'throughputPerSecond');
    const onnxP99 = numberAt(onnx, 'latency.p99Ms');
    const tfjsP99 = numberAt(tfjs, 'latency.p99Ms');
    if (onnxThroughput !== undefined && tfjsThroughput !== undefined && onnxP99 !== undefined && tfjsP99 !== undefined) {
      rows.push({ figure: 'onnx scorer throughput / p99, exactly-once', value: `${grouped(onnxThroughput)}/s (${ratio(onnxThroughput / tfjsThroughput)}) / ${ms(onnxP99)} (${ratio(onnxP99 / tfjsP99)})`, baseline: `tfjs scorer, same network: ${grouped(tfjsThroughput)}/s / ${ms(tfjsP99)}` });
    }
    const swap = numberAt(document, 'swapP99OverSteadyP99');
    if (swap !== undefined) rows.push({ figure: 'scorer p99 latency while the champion swaps every second', value: ratio(swap), baseline: 'steady p99, exactly-once, same rate' });
    return rows;
  },
};

/** The headline figures of one run; a failed run or one without a known shape is one row saying so. */
export function headlinesOf(run: BenchmarkRun): Headline[] {
  if (run.result === null) return [{ benchmark: run.name, figure: 'failed', value: run.problem ?? `exit code ${run.exitCode}`, baseline: '–' }];
  const rule = RULES[run.name];
  const rows = rule === undefined ? [] : rule(run.result).filter((row): row is HeadlineRow => row !== undefined);
  if (rows.length === 0) return [{ benchmark: run.name, figure: 'no headline figure known for this output', value: 'see the JSON file', baseline: '–' }];
  return rows.map((row) => ({ benchmark: run.name, ...row }));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table of every run's headlines, with each run's duration. */
export function markdownTable(runs: readonly BenchmarkRun[]): string {
  const lines = ['| benchmark | figure | value | compared with (same run) |', '| --- | --- | --- | --- |'];
  for (const run of runs) {
    for (const row of headlinesOf(run)) lines.push(`| ${cell(row.benchmark)} | ${cell(row.figure)} | ${cell(row.value)} | ${cell(row.baseline)} |`);
  }
  const durations = runs.map((run) => `${run.name} ${ms(run.durationMs)}`).join(', ');
  return `${lines.join('\n')}\n\nRun times: ${durations}.\n`;
}
