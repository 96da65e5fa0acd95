/**
 * The deployment record of one Flink job: which spec runs as which job id, the savepoints
 * taken of it (newest first) and what each deployment ended in. It is the deployment
 * workflow's memory between runs: the previous spec a rollback resubmits comes from here,
 * never from a guess about what runs on the cluster. Pure data and pure functions.
 */
import type { FlinkJobSpec } from './deployment-spec.js';

/** One savepoint in a job's history. */
export interface SavepointEntry {
  /** Flink's location of the savepoint, e.g. `file:/…/savepoint-1a2b3c-…`. */
  readonly path: string;
  /** Epoch ms when Flink reported it complete. */
  readonly takenAt: number;
  /** The job it was taken of. */
  readonly jobId: string;
  /** The spec version that job ran. */
  readonly version: string;
  readonly triggerId: string;
  /**
   * `upgrade`: stop-with-savepoint of a deployment; `blue-green`: taken beside the running job for
   * the new version to start from (the job kept running); `manual`: `tributary flink savepoint`,
   * the job kept running; `stop`: `tributary flink cancel`, which stopped the job with it.
   */
  readonly reason: 'upgrade' | 'blue-green' | 'manual' | 'stop';
}

/** The spec that runs now, and as which job. */
export interface CurrentDeployment {
  readonly jobId: string;
  readonly spec: FlinkJobSpec;
  /** Epoch ms when it became current. */
  readonly since: number;
  /** The savepoint it was restored from; undefined when it started without state. */
  readonly restoredFrom: string | undefined;
  /** The workflow run that deployed it. */
  readonly deployedBy: string;
}

/**
 * How a deployment ended. `takeover-failed`: a blue/green version was healthy and caught up, but
 * moving the models' feature topic failed; both jobs run (see the event's handoff).
 */
export type DeploymentOutcome = 'deployed' | 'rolled-back' | 'aborted' | 'failed' | 'rollback-failed' | 'takeover-failed';

/**
 * What a person did to the job outside a deployment workflow: `submitted` (`tributary flink
 * submit`), `stopped` (`flink cancel`, with a savepoint), `cancelled` (`flink cancel
 * --discard-state`, state discarded).
 */
export type ManualOutcome = 'submitted' | 'stopped' | 'cancelled';

/** Where a blue/green upgrade moved the output, and which models it moved. */
export interface OutputHandoffRecord {
  readonly previousTopic: string;
  readonly newTopic: string;
  /** Per partition of the previous topic, the first offset whose transaction may reappear in the new one. */
  readonly overlapFrom: readonly { readonly partition: number; readonly offset: string }[];
  /** Models whose deployment now reads the new topic. */
  readonly models: readonly string[];
}

/** One deployment in the job's history. */
export interface DeploymentEvent {
  /** Epoch ms of the end. */
  readonly at: number;
  /** `<workflow id>/<run id>`. */
  readonly deployedBy: string;
  readonly outcome: DeploymentOutcome | ManualOutcome;
  readonly mode: string;
  readonly fromVersion: string | undefined;
  readonly toVersion: string;
  /** The job that runs after this deployment. */
  readonly jobId: string | undefined;
  readonly savepoint: string | undefined;
  /** From the old job's stop to the new (or rolled-back) job's RUNNING. */
  readonly downtimeMs: number | undefined;
  /** Why it did not end `deployed`, with Flink's text. */
  readonly error: string | undefined;
  /** Blue/green only: where the output moved (absent in events of other modes). */
  readonly handoff?: OutputHandoffRecord;
}

export interface DeploymentRecord {
  readonly jobName: string;
  readonly current: CurrentDeployment | undefined;
  /** Newest first. */
  readonly savepoints: readonly SavepointEntry[];
  /** Newest first, at most {@link EVENTS_KEPT}. */
  readonly events: readonly DeploymentEvent[];
}

/** Deployment events kept per job. */
export const EVENTS_KEPT = 50;

/** The record of a job nothing was deployed for yet. */
export const emptyDeploymentRecord = (jobName: string): DeploymentRecord => ({ jobName, current: undefined, savepoints: [], events: [] });

/** Adds a savepoint as the newest; a path already recorded is not added twice (a retried activity). */
export function withSavepoint(record: DeploymentRecord, entry: SavepointEntry): DeploymentRecord {
  if (record.savepoints.some((known) => known.path === entry.path)) return record;
  return { ...record, savepoints: [entry, ...record.savepoints] };
}

/** Records a deployment's end, and the spec that runs afterwards. */
export function withDeploymentEvent(record: DeploymentRecord, event: DeploymentEvent, current: CurrentDeployment | undefined): DeploymentRecord {
  return { ...record, current, events: [event, ...record.events.filter((known) => known.deployedBy !== event.deployedBy)].slice(0, EVENTS_KEPT) };
}

/**
 * Keeps the `retention` newest savepoints, and always the one the current job was restored
 * from; returns the record without the others and the others, to dispose of.
 */
export function retainSavepoints(record: DeploymentRecord, retention: number): { record: DeploymentRecord; expired: SavepointEntry[] } {
  if (!(Number.isInteger(retention) && retention >= 1)) throw new RangeError(`savepoint retention must be a whole number >= 1, got ${retention}`);
  const pinned = record.current?.restoredFrom;
  const kept: SavepointEntry[] = [];
  const expired: SavepointEntry[] = [];
  for (const [index, entry] of record.savepoints.entries()) (index < retention || entry.path === pinned ? kept : expired).push(entry);
  return { record: { ...record, savepoints: kept }, expired };
}
