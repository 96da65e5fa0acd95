/**
 * The health window of a freshly started job, as a pure verdict: "stable" means more than
 * "seen RUNNING". A job is healthy when it completed at least one checkpoint (so its output
 * became visible to read_committed readers and its state is recoverable), did not restart,
 * recorded no exception, and — while its inputs grew — its outputs grew too.
 *
 * The first checkpoint is awaited within a bound derived from the job's own checkpointing (a
 * few intervals plus its checkpoint timeout), not within the fixed window: the first checkpoint
 * after a restore or a cluster start can take several intervals on a busy machine, and a fixed
 * window then fails a job that is fine.
 */
import type { JobState } from './flink-rest-client.js';

/** Thresholds of the health window; every field has a default. */
export interface HealthWindowOptions {
  /** How long the job is watched after it is RUNNING. @default 30_000 */
  readonly windowMs?: number;
  /** Time between two samples. @default 1_000 */
  readonly sampleIntervalMs?: number;
  /** Checkpoints that must complete (within the window, or by the checkpoint deadline). @default 1 */
  readonly minCompletedCheckpoints?: number;
  /** Checkpoint intervals the required checkpoints may take, on top of the job's checkpoint timeout. @default 3 */
  readonly checkpointIntervals?: number;
  /** Upper bound of the checkpoint deadline, whatever the job's checkpointing says. @default 1_200_000 */
  readonly maxCheckpointWaitMs?: number;
  /** Restarts tolerated within the window. @default 0 */
  readonly maxRestarts?: number;
  /** Input records (summed over the input topics) that mean "input is flowing". @default 1 */
  readonly minInputRecords?: number;
  /** Output records that must appear while input flows. @default 1 */
  readonly minOutputRecords?: number;
}

export type CompiledHealthWindowOptions = Required<HealthWindowOptions>;

export const HEALTH_WINDOW_DEFAULTS: CompiledHealthWindowOptions = {
  windowMs: 30_000,
  sampleIntervalMs: 1_000,
  minCompletedCheckpoints: 1,
  checkpointIntervals: 3,
  maxCheckpointWaitMs: 1_200_000,
  maxRestarts: 0,
  minInputRecords: 1,
  minOutputRecords: 1,
};

/** Fills defaults and refuses values the window cannot run with, naming each. */
export function compileHealthWindowOptions(options: HealthWindowOptions = {}): CompiledHealthWindowOptions {
  const compiled = { ...HEALTH_WINDOW_DEFAULTS, ...stripUndefined(options) };
  const atLeastOne = (key: keyof CompiledHealthWindowOptions): boolean => key === 'windowMs' || key === 'sampleIntervalMs' || key === 'maxCheckpointWaitMs';
  const problems = (Object.keys(HEALTH_WINDOW_DEFAULTS) as (keyof CompiledHealthWindowOptions)[])
    .filter((key) => !(Number.isInteger(compiled[key]) && compiled[key] >= (atLeastOne(key) ? 1 : 0)))
    .map((key) => `${key}=${compiled[key]}: expected a whole number${atLeastOne(key) ? ' >= 1' : ' >= 0'}`);
  if (problems.length > 0) throw new RangeError(`invalid health window options: ${problems.join('; ')}`);
  return compiled;
}

function stripUndefined(options: HealthWindowOptions): HealthWindowOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** What one look at the job shows. */
export interface JobHealthSample {
  readonly state: JobState;
  /** Flink's `numRestarts` metric of the job. */
  readonly restarts: number;
  /** Entries in the job's exception history. */
  readonly exceptions: number;
  /** Flink's text of the newest exception, when there is one. */
  readonly latestException: string | undefined;
  /** Checkpoints this job completed (a restored savepoint is not counted). */
  readonly completedCheckpoints: number;
}

/** A job's checkpointing as Flink reports it (`GET /jobs/:id/checkpoints/config`). */
export interface CheckpointSettings {
  /** Milliseconds between two checkpoint triggers. */
  readonly intervalMs: number;
  /** Milliseconds after which Flink gives up on a checkpoint. */
  readonly timeoutMs: number;
}

/** By when (ms after RUNNING) the required checkpoints must have completed, and how that was derived. */
export interface CheckpointDeadline {
  readonly ms: number;
  /** e.g. `3 × 2000 ms interval + 60000 ms checkpoint timeout`. */
  readonly derivation: string;
}

/**
 * The checkpoint deadline: `checkpointIntervals` intervals per required checkpoint plus one
 * checkpoint timeout (the last checkpoint triggered may take that long and still complete), never
 * shorter than the window and never longer than `maxCheckpointWaitMs`.
 */
export function checkpointDeadline(settings: CheckpointSettings, options: CompiledHealthWindowOptions): CheckpointDeadline {
  const intervals = options.checkpointIntervals * Math.max(1, options.minCompletedCheckpoints);
  const derived = intervals * settings.intervalMs + settings.timeoutMs;
  const ms = Math.min(Math.max(derived, options.windowMs), options.maxCheckpointWaitMs);
  const derivation = `${intervals} × ${settings.intervalMs} ms interval + ${settings.timeoutMs} ms checkpoint timeout`;
  if (ms === derived) return { ms, derivation };
  return { ms, derivation: ms === options.windowMs ? `the ${options.windowMs} ms window (longer than ${derivation})` : `capped at ${ms} ms (${derivation})` };
}

/** Summed last stable offsets of the observed topics at the start and the end of the window. */
export interface TopicProgress {
  readonly inputRecords: number;
  readonly outputRecords: number;
}

/** What the window saw: the figures a person reads in `status` and in the result. */
export interface HealthFigures {
  readonly state: JobState;
  readonly restarts: number;
  readonly exceptions: number;
  readonly completedCheckpoints: number;
  /** Input records that arrived during the window; undefined when no topics are observed. */
  readonly inputRecords: number | undefined;
  /** Output records that became visible during the window; undefined when no topics are observed. */
  readonly outputRecords: number | undefined;
  /** How long the job was watched. */
  readonly watchedMs: number;
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** One line per failed criterion; empty when healthy. */
  readonly problems: readonly string[];
  readonly figures: HealthFigures;
  /** Flink's text of the newest exception, when the job recorded one. */
  readonly flinkError: string | undefined;
}

const UNHEALTHY_STATES: readonly JobState[] = ['FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED'];

/**
 * Whether a sample already condemns the job, before the window ends: it left RUNNING, restarted
 * more than allowed, or recorded an exception. Waiting longer cannot make such a job healthy.
 */
export function failsEarly(sample: JobHealthSample, options: CompiledHealthWindowOptions): boolean {
  return UNHEALTHY_STATES.includes(sample.state) || sample.restarts > options.maxRestarts || sample.exceptions > 0;
}

/**
 * Whether watching may stop: the window is over and the required checkpoints completed, or the
 * checkpoint deadline passed, or a sample already condemns the job.
 */
export function watchIsOver(sample: JobHealthSample, watchedMs: number, options: CompiledHealthWindowOptions, deadline: CheckpointDeadline): boolean {
  if (failsEarly(sample, options) || watchedMs >= deadline.ms) return true;
  return watchedMs >= options.windowMs && sample.completedCheckpoints >= options.minCompletedCheckpoints;
}

/**
 * The verdict of a window from its last sample and the topic progress at its start and end
 * (undefined when the spec observes no topics). `deadline`, when given, is the checkpoint
 * deadline the watch waited for, named in the problem when checkpoints are missing.
 */
export function judgeHealth(
  sample: JobHealthSample,
  progress: { readonly start: TopicProgress; readonly end: TopicProgress } | undefined,
  watchedMs: number,
  options: CompiledHealthWindowOptions,
  deadline?: CheckpointDeadline,
): HealthVerdict {
  const inputRecords = progress ? progress.end.inputRecords - progress.start.inputRecords : undefined;
  const outputRecords = progress ? progress.end.outputRecords - progress.start.outputRecords : undefined;
  const problems: string[] = [];
  if (sample.state !== 'RUNNING') problems.push(`the job is ${sample.state}, not RUNNING`);
  if (sample.restarts > options.maxRestarts) problems.push(`the job restarted ${sample.restarts} time(s); at most ${options.maxRestarts} allowed`);
  if (sample.exceptions > 0) problems.push(`the job recorded ${sample.exceptions} exception(s)`);
  if (sample.completedCheckpoints < options.minCompletedCheckpoints) {
    problems.push(`${sample.completedCheckpoints} checkpoint(s) completed in ${watchedMs} ms; ${options.minCompletedCheckpoints} required${deadline ? ` within ${deadline.ms} ms (${deadline.derivation})` : ''}`);
  }
  if (inputRecords !== undefined && outputRecords !== undefined && inputRecords >= options.minInputRecords && outputRecords < options.minOutputRecords) {
    problems.push(`${inputRecords} input record(s) arrived but only ${outputRecords} output record(s) became visible; ${options.minOutputRecords} required`);
  }
  return {
    healthy: problems.length === 0,
    problems,
    figures: {
      state: sample.state,
      restarts: sample.restarts,
      exceptions: sample.exceptions,
      completedCheckpoints: sample.completedCheckpoints,
      inputRecords,
      outputRecords,
      watchedMs,
    },
    flinkError: sample.latestException,
  };
}
