/**
 * The pure rules of a blue/green upgrade: which output topic hands over to which, when the new
 * job counts as caught up, and the versioned topic name a new version writes. No I/O: the
 * workflow imports this module.
 */
import type { FlinkJobSpec } from './deployment-spec.js';

/** The output topic that moves: the old job's, and the new job's versioned one. */
export interface OutputHandoff {
  readonly previousTopic: string;
  readonly newTopic: string;
}

/**
 * The topic that hands over, from the two specs' observed outputs: exactly one output of the
 * running spec must be replaced by exactly one new output. Returns the problem otherwise.
 */
export function outputHandoff(previous: FlinkJobSpec, next: FlinkJobSpec): OutputHandoff | { readonly problem: string } {
  const before = previous.observedTopics?.outputs ?? [];
  const after = next.observedTopics?.outputs ?? [];
  const gone = before.filter((topic) => !after.includes(topic));
  const added = after.filter((topic) => !before.includes(topic));
  const [previousTopic] = gone;
  const [newTopic] = added;
  if (gone.length === 1 && added.length === 1 && previousTopic !== undefined && newTopic !== undefined) return { previousTopic, newTopic };
  return {
    problem:
      `a blue/green upgrade writes one output to a new topic beside the old one, but ${previous.version} writes [${before.join(', ')}] and ${next.version} writes [${after.join(', ')}]; ` +
      'give the new version its own features topic (tributary flink deploy --mode blue-green does) and name it in observedTopics.outputs',
  };
}

/** When the new job counts as caught up with its input; every field has a default. */
export interface CatchUpOptions {
  /** Records the job's sources may still have to read (Flink's `pendingRecords`, summed over sources and subtasks). @default 1_000 */
  readonly maxBacklogRecords?: number;
  /** How long the job may take to get there after its health window. @default 120_000 */
  readonly timeoutMs?: number;
  /** Time between two looks. @default 1_000 */
  readonly sampleIntervalMs?: number;
}

export type CompiledCatchUpOptions = Required<CatchUpOptions>;

export const CATCH_UP_DEFAULTS: CompiledCatchUpOptions = { maxBacklogRecords: 1_000, timeoutMs: 120_000, sampleIntervalMs: 1_000 };

/** Fills defaults and refuses values the wait cannot run with, naming each. */
export function compileCatchUpOptions(options: CatchUpOptions = {}): CompiledCatchUpOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as CatchUpOptions;
  const compiled = { ...CATCH_UP_DEFAULTS, ...given };
  const problems = (Object.keys(CATCH_UP_DEFAULTS) as (keyof CompiledCatchUpOptions)[])
    .filter((key) => !(Number.isInteger(compiled[key]) && compiled[key] >= (key === 'maxBacklogRecords' ? 0 : 1)))
    .map((key) => `${key}=${compiled[key]}: expected a whole number${key === 'maxBacklogRecords' ? ' >= 0' : ' >= 1'}`);
  if (problems.length > 0) throw new RangeError(`invalid catch-up options: ${problems.join('; ')}`);
  return compiled;
}

/** Whether the new job read its input up to (nearly) the end before the deadline. */
export interface CatchUpVerdict {
  readonly caughtUp: boolean;
  /** The last backlog seen; undefined when no source reported one. */
  readonly backlogRecords: number | undefined;
  readonly waitedMs: number;
  /** Why it is not caught up; undefined when it is. */
  readonly problem: string | undefined;
}

/** The verdict of a backlog reading taken `waitedMs` into the wait. */
export function judgeCatchUp(backlogRecords: number | undefined, waitedMs: number, options: CompiledCatchUpOptions): CatchUpVerdict {
  if (backlogRecords !== undefined && backlogRecords <= options.maxBacklogRecords) return { caughtUp: true, backlogRecords, waitedMs, problem: undefined };
  const problem = backlogRecords === undefined
    ? `the job's backlog stayed unknown for ${waitedMs} ms (no Kafka source, or its pendingRecords had no value)`
    : `the job's sources still had ${backlogRecords} record(s) to read after ${waitedMs} ms; at most ${options.maxBacklogRecords} allowed`;
  return { caughtUp: false, backlogRecords, waitedMs, problem };
}

/** Characters Kafka allows in a topic name. */
const TOPIC_UNSAFE = /[^a-zA-Z0-9._-]/g;

/**
 * The versioned topic a blue/green version writes: `<base topic>.<version>`, e.g.
 * `tributary.features.v2`; characters Kafka refuses become `-`.
 */
export function versionedTopicName(baseTopic: string, version: string): string {
  const name = `${baseTopic}.${version.replace(TOPIC_UNSAFE, '-')}`;
  if (name.length > 249) throw new RangeError(`topic name ${name} is longer than Kafka's 249 characters; choose a shorter version`);
  return name;
}
