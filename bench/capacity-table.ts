/**
 * The capacity table of the README: cores and partitions for a target event rate, from CPU per
 * event and per-consumer throughput measured on this machine (bench/capacity.bench.ts for the
 * scorer, bench/feature-job.bench.ts for the feature job). Pure arithmetic, so its unit test
 * checks it on figures computed by hand; what it counts and what it leaves out is in
 * `CAPACITY_ASSUMPTIONS`, printed with every table.
 */

/** What one stage of the pipeline was measured to cost. */
export interface StageFigures {
  /** CPU microseconds per event of the stage's process (user + system, all its threads). */
  readonly microsecondsPerEvent: number;
  /**
   * Events per second one consumer of the stage handled: one scorer process, or the feature job
   * at parallelism 1 (one subtask). A partition is read by one consumer of a group at a time, so
   * no partition may carry more than this.
   */
  readonly recordsPerSecondPerConsumer: number;
  /** Where the figures came from (a results file and its path in it), carried into the table. */
  readonly source: string;
}

export interface CapacityInputs {
  readonly scorer: StageFigures;
  /** Absent: the table is the scorer's alone. */
  readonly featureJob?: StageFigures;
  /** Provision this many times the measured need, for peaks and a noisy neighbour; at least 1. */
  readonly headroom: number;
  /** Event rates to size for. @default [10_000, 100_000, 1_000_000] */
  readonly targets?: readonly number[];
}

export interface CapacityRow {
  readonly eventsPerSecond: number;
  /** Partitions of the source, features and scores topics: every stage's consumers can then keep up with headroom. */
  readonly partitions: number;
  /** Scorer processes in one consumer group. */
  readonly scorerProcesses: number;
  /** Cores the scorer processes use, with headroom, to one decimal (rounded up). */
  readonly scorerCores: number;
  /** The feature job's parallelism (subtasks); null without feature job figures. */
  readonly featureJobParallelism: number | null;
  /** Cores of the feature job's TaskManagers, with headroom, to one decimal (rounded up); null without feature job figures. */
  readonly featureJobCores: number | null;
  /** Scorer and feature job cores together, rounded up to whole cores. */
  readonly totalCores: number;
}

export interface CapacityTable {
  readonly headroom: number;
  readonly rows: readonly CapacityRow[];
  readonly assumptions: readonly string[];
}

export const DEFAULT_CAPACITY_TARGETS: readonly number[] = [10_000, 100_000, 1_000_000];

export const CAPACITY_ASSUMPTIONS: readonly string[] = [
  'Counted: the scorer processes and the feature job (its TaskManager process, which the feature-job bench measures whole: sources, operators, sinks, checkpoints, GC).',
  'Not counted, not measured here: the Kafka brokers, the schema registry, replication (the local broker has one replica), the Flink JobManager, Temporal, the trainer, the network and the disks.',
  'Cores scale linearly with events: a stage needs events/s × its CPU µs per event, times the headroom. The measured two-scorer ratio on this 2-core machine cannot confirm that beyond 2 cores.',
  'Partitions: one partition is read by one consumer of a group at a time, so each partition carries at most the slowest stage\'s single-consumer rate divided by the headroom; the scorer needs one process per such share, the feature job one subtask.',
  'Figures come from a shared 2-core machine under load: they are what one process achieved there, not what a dedicated core gives.',
];

const upToTenth = (value: number): number => Math.ceil(Math.round(value * 1e6) / 1e5) / 10;

function validated(name: string, figures: StageFigures): StageFigures {
  for (const [key, value] of Object.entries({ microsecondsPerEvent: figures.microsecondsPerEvent, recordsPerSecondPerConsumer: figures.recordsPerSecondPerConsumer })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name}.${key} must be a positive number, got ${value} (from ${figures.source})`);
  }
  return figures;
}

/** Cores and partitions for each target rate; throws a RangeError on a figure that is not a positive number. */
export function capacityTable(inputs: CapacityInputs): CapacityTable {
  const { headroom } = inputs;
  if (!Number.isFinite(headroom) || headroom < 1) throw new RangeError(`headroom must be a number of at least 1, got ${headroom}`);
  const scorer = validated('scorer', inputs.scorer);
  const featureJob = inputs.featureJob === undefined ? undefined : validated('featureJob', inputs.featureJob);
  const targets = inputs.targets ?? DEFAULT_CAPACITY_TARGETS;
  const rows = targets.map((eventsPerSecond): CapacityRow => {
    if (!Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) throw new RangeError(`target rates must be positive numbers, got ${eventsPerSecond}`);
    const consumersFor = (stage: StageFigures): number => Math.ceil((eventsPerSecond * headroom) / stage.recordsPerSecondPerConsumer);
    const coresFor = (stage: StageFigures): number => upToTenth((eventsPerSecond * stage.microsecondsPerEvent * headroom) / 1e6);
    const scorerProcesses = consumersFor(scorer);
    const featureJobParallelism = featureJob === undefined ? null : consumersFor(featureJob);
    const scorerCores = coresFor(scorer);
    const featureJobCores = featureJob === undefined ? null : coresFor(featureJob);
    return {
      eventsPerSecond,
      partitions: Math.max(scorerProcesses, featureJobParallelism ?? 0),
      scorerProcesses,
      scorerCores,
      featureJobParallelism,
      featureJobCores,
      totalCores: Math.ceil(Math.round((scorerCores + (featureJobCores ?? 0)) * 10) / 10),
    };
  });
  return { headroom, rows, assumptions: CAPACITY_ASSUMPTIONS };
}

const grouped = (value: number): string => value.toLocaleString('en-US');

/** The table as markdown, for the README and docs/measured.md. */
export function capacityMarkdown(table: CapacityTable): string {
  const withJob = table.rows.some((row) => row.featureJobCores !== null);
  const header = withJob
    ? ['| events/s | partitions | scorer processes | scorer cores | feature job parallelism | feature job cores | cores in all |', '| --- | --- | --- | --- | --- | --- | --- |']
    : ['| events/s | partitions | scorer processes | scorer cores |', '| --- | --- | --- | --- |'];
  const lines = table.rows.map((row) =>
    withJob
      ? `| ${grouped(row.eventsPerSecond)} | ${grouped(row.partitions)} | ${grouped(row.scorerProcesses)} | ${row.scorerCores} | ${grouped(row.featureJobParallelism ?? 0)} | ${row.featureJobCores} | ${grouped(row.totalCores)} |`
      : `| ${grouped(row.eventsPerSecond)} | ${grouped(row.partitions)} | ${grouped(row.scorerProcesses)} | ${row.scorerCores} |`,
  );
  return [...header, ...lines].join('\n');
}
