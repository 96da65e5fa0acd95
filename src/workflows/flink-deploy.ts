/**
 * flinkDeploy: upgrades one Flink job to a new spec, watchable step by step in the Temporal UI.
 * One run per job at a time (workflow id `flink-deploy:<job>`).
 *
 * savepoint mode (default): stop the running job with a savepoint → submit the new spec from
 * that savepoint under a job id derived from this run → wait for RUNNING → health window
 * (checkpoint completed, no restart, no exception, output growing while input flows). When
 * the submit or the health window fails, roll back: stop the new job, resubmit the previous
 * spec from the SAME savepoint and check its health the same way. A stop-with-savepoint that
 * fails or times out aborts, never falling back to an older checkpoint; it is given up on first
 * (the operator's suspension withdrawn) so the old job keeps running, and the result says what
 * runs (over REST, Flink may still complete a stop it works on; a stop that completed after all
 * lets the upgrade go on from its savepoint).
 *
 * stateless mode: cancel the running job and start the new spec without state (the feature
 * job then resumes from its consumer group's committed offsets); a rollback starts the
 * previous spec the same way.
 *
 * blue-green mode: the new version starts BESIDE the running one, from a savepoint taken without
 * stopping it, and writes a new output topic; once healthy and caught up, it takes over (the
 * models reading the old topic move to the new one) and the old job stops with a savepoint.
 * See flink-deploy-blue-green.ts.
 *
 * The previous spec comes from the job's deployment record, which the activities keep;
 * savepoints beyond the retention are disposed of after a deployment ends.
 *
 * Adoption: one running job of the name that no deployment recorded (started by other means) is
 * stopped with a savepoint like a recorded one, and the new spec starts from that savepoint. Its
 * spec is unknown, so a failed new version cannot be rolled back to it: the run ends `failed` with
 * nothing running, and the result names the savepoint that holds the state.
 *
 * fromSavepoint: when nothing of the name runs (a first deployment, or after `tributary flink
 * cancel`), the new spec restores that savepoint or retained checkpoint; a failure rolls back to
 * the recorded spec, if any, from the same savepoint.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  patched,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FlinkDeployActivities, LocatedDeployment } from '../activities/flink-deploy-activities.js';
import { describeAbandonedStop, type AbandonedStop } from '../flink/abandoned-stop.js';
import { compileCatchUpOptions, type CatchUpOptions, type CatchUpVerdict } from '../flink/blue-green.js';
import { compileHealthWindowOptions, type HealthVerdict, type HealthWindowOptions } from '../flink/deployment-health.js';
import { deploymentJobId } from '../flink/deployment-job-id.js';
import type { CurrentDeployment, DeploymentOutcome, OutputHandoffRecord } from '../flink/deployment-record.js';
import type { FlinkJobSpec } from '../flink/deployment-spec.js';
import { deployBlueGreen } from './flink-deploy-blue-green.js';
import { transition, type DeploymentPhase } from './flink-deployment-state.js';
import { TributaryFlinkJob } from '../temporal/search-attributes.js';

/** How the running job's state reaches the new one. */
export type UpgradeMode = 'savepoint' | 'stateless' | 'blue-green';

/** Bounds of the deployment's steps; every field has a default. */
export interface FlinkDeployTimeouts {
  /** Stop-with-savepoint, from trigger to completion. @default 300_000 */
  readonly savepointMs?: number;
  /** Uploading the jar and running its main. @default 180_000 */
  readonly submitMs?: number;
  /** From submission to RUNNING. @default 120_000 */
  readonly runningMs?: number;
  /** Cancelling a job. @default 60_000 */
  readonly cancelMs?: number;
  /** How long a silent activity counts as alive; a worker that died is noticed after this. @default 20_000 */
  readonly heartbeatMs?: number;
}

export interface FlinkDeployInput {
  /** The new version; its `jobName` names the deployment. */
  readonly spec: FlinkJobSpec;
  /** @default 'savepoint' */
  readonly mode?: UpgradeMode;
  /** Stop with MAX_WATERMARK (fires every event-time timer: ends windows for good). @default false */
  readonly drain?: boolean;
  /**
   * Restore the new spec from this savepoint or retained checkpoint. Only when no job of the name
   * runs (savepoint and stateless modes); a running job is upgraded from a fresh savepoint instead.
   * @default none: the running job's savepoint, or no state when nothing runs
   */
  readonly fromSavepoint?: string;
  /** @default {@link import('../flink/deployment-health.js').HEALTH_WINDOW_DEFAULTS} */
  readonly health?: HealthWindowOptions;
  /** blue-green: when the new job counts as caught up with its input. @default {@link import('../flink/blue-green.js').CATCH_UP_DEFAULTS} */
  readonly catchUp?: CatchUpOptions;
  /** Savepoints kept in the job's history; older ones are disposed of. @default 5 */
  readonly savepointRetention?: number;
  readonly timeouts?: FlinkDeployTimeouts;
}

/** How a deployment ended (a failed rollback fails the workflow instead, with this as details). */
export interface FlinkDeployResult {
  readonly outcome: DeploymentOutcome;
  readonly jobName: string;
  readonly mode: UpgradeMode;
  readonly fromVersion: string | undefined;
  readonly toVersion: string;
  /** The job that runs afterwards: the new one, the rolled-back one, or the old one when aborted. */
  readonly jobId: string | undefined;
  /** The savepoint the new version started from (taken of the old job, or `fromSavepoint`); after a `failed` run, where the state is. */
  readonly savepoint: string | undefined;
  /** The unrecorded job this deployment adopted (stopped with a savepoint). */
  readonly adoptedJobId?: string;
  /** From the old job's stop to the running job's RUNNING. */
  readonly downtimeMs: number | undefined;
  /** The new version's health verdict, when it got that far. */
  readonly health: HealthVerdict | undefined;
  /** The rolled-back version's health verdict. */
  readonly rollbackHealth: HealthVerdict | undefined;
  /** blue-green: whether the new job caught up with its input. */
  readonly catchUp: CatchUpVerdict | undefined;
  /** blue-green: where the output moved, and which models moved with it. */
  readonly handoff: BlueGreenHandoff | undefined;
  /** blue-green: from the takeover decision to the old job stopped. */
  readonly takeoverMs: number | undefined;
  /** Why it did not end `deployed` (or, blue-green, what went wrong after the takeover), with Flink's text. */
  readonly error: string | undefined;
  /** Savepoints that left the history and were disposed of. */
  readonly disposedSavepoints: readonly string[];
}

/** What `status` answers while the deployment runs and after it ended. */
export interface FlinkDeployStatus {
  readonly phase: DeploymentPhase;
  readonly jobName: string;
  readonly mode: UpgradeMode;
  readonly fromVersion: string | undefined;
  readonly toVersion: string;
  readonly previousJobId: string | undefined;
  readonly newJobId: string | undefined;
  readonly rollbackJobId: string | undefined;
  readonly savepoint: string | undefined;
  /** The unrecorded job this deployment adopts. */
  readonly adoptedJobId?: string;
  readonly downtimeMs: number | undefined;
  readonly health: HealthVerdict | undefined;
  readonly rollbackHealth: HealthVerdict | undefined;
  readonly catchUp: CatchUpVerdict | undefined;
  readonly handoff: BlueGreenHandoff | undefined;
  readonly takeoverMs: number | undefined;
  readonly error: string | undefined;
  /** Every phase entered, with its epoch ms. */
  readonly phases: readonly { readonly phase: DeploymentPhase; readonly at: number }[];
}

/** A blue/green handoff as it builds up: topics first, the overlap once marked, the models once moved. */
export interface BlueGreenHandoff {
  readonly previousTopic: string;
  readonly newTopic: string;
  readonly overlapFrom: OutputHandoffRecord['overlapFrom'] | undefined;
  readonly models: readonly string[] | undefined;
}

export const flinkDeployStatusQuery = defineQuery<FlinkDeployStatus>('status');

/** The workflow id of a job's deployments: at most one runs at a time. */
export const flinkDeployWorkflowId = (jobName: string): string => `flink-deploy:${jobName}`;

const DEFAULT_TIMEOUTS: Required<FlinkDeployTimeouts> = { savepointMs: 300_000, submitMs: 180_000, runningMs: 120_000, cancelMs: 60_000, heartbeatMs: 20_000 };
const DEFAULT_SAVEPOINT_RETENTION = 5;
/** Submission numbers of {@link deploymentJobId}. */
const NEW_VERSION_SUBMISSION = 1;
const ROLLBACK_SUBMISSION = 2;
/**
 * Patch: a stop-with-savepoint that did not complete is given up on through an activity (the
 * operator's suspension is withdrawn), and the aborted run says what runs now. Runs started
 * before it report that the old job keeps running.
 */
export const ABANDON_STOP_PATCH = 'flink-deploy-abandons-unfinished-stop';
/** Patch: adopt an unrecorded running job, and restore `fromSavepoint`. Runs started before it refuse unrecorded jobs. */
export const ADOPTION_PATCH = 'flink-deploy-adopts-unrecorded-jobs';
/** The version a savepoint of an adopted job is recorded with: what that job ran is unknown. */
export const UNRECORDED_VERSION = '(unrecorded)';

/** What the blue/green steps share with the rest of the workflow. */
export interface DeploymentSteps {
  readonly input: FlinkDeployInput;
  readonly deployedBy: string;
  readonly runId: string;
  readonly timeouts: Required<FlinkDeployTimeouts>;
  readonly activities: ReturnType<typeof activitiesFor>;
  update(patch: Partial<FlinkDeployStatus>): void;
  moveTo(phase: DeploymentPhase, patch?: Partial<FlinkDeployStatus>): void;
  finish(outcome: DeploymentOutcome, patch: Partial<FlinkDeployStatus>, current: CurrentDeployment | 'unchanged' | undefined): Promise<FlinkDeployResult>;
  /** The message of what an activity threw. */
  describeFailure(error: unknown): string;
  /** Submits, waits for RUNNING and the health window; the failure text, or undefined when healthy. */
  runAndVerify(jobId: string, jobSpec: FlinkJobSpec, savepointPath: string | undefined, verifyingPhase: 'verifying' | 'verifying-rollback'): Promise<{ failure: string | undefined; runningAt: number | undefined }>;
}

/** Deploys `input.spec`; see the module comment. */
export async function flinkDeploy(input: FlinkDeployInput): Promise<FlinkDeployResult> {
  const { spec } = input;
  const mode = input.mode ?? 'savepoint';
  const retention = input.savepointRetention ?? DEFAULT_SAVEPOINT_RETENTION;
  const health = input.health ?? {};
  checkInput(input, mode, retention);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...input.timeouts };
  const compiledHealth = compileHealthWindowOptions(health);
  // The watch may outlast its window while the first checkpoint is awaited, up to maxCheckpointWaitMs.
  const activities = activitiesFor(timeouts, Math.max(compiledHealth.windowMs, compiledHealth.maxCheckpointWaitMs), compileCatchUpOptions(input.catchUp).timeoutMs);
  const { workflowId, runId } = workflowInfo();
  const deployedBy = `${workflowId}/${runId}`;

  let status: FlinkDeployStatus = {
    phase: 'locating',
    jobName: spec.jobName,
    mode,
    fromVersion: undefined,
    toVersion: spec.version,
    previousJobId: undefined,
    newJobId: undefined,
    rollbackJobId: undefined,
    savepoint: undefined,
    downtimeMs: undefined,
    health: undefined,
    rollbackHealth: undefined,
    catchUp: undefined,
    handoff: undefined,
    takeoverMs: undefined,
    error: undefined,
    phases: [{ phase: 'locating', at: Date.now() }],
  };
  setHandler(flinkDeployStatusQuery, () => status);
  upsertSearchAttributes([{ key: TributaryFlinkJob, value: spec.jobName }]);
  const publish = (): void =>
    upsertMemo({ phase: status.phase, version: status.toVersion, jobId: status.rollbackJobId ?? status.newJobId ?? status.previousJobId ?? null, savepoint: status.savepoint ?? null, downtimeMs: status.downtimeMs ?? null, error: status.error ?? null });
  const update = (patch: Partial<FlinkDeployStatus>): void => {
    status = { ...status, ...patch };
    publish();
  };
  const moveTo = (phase: DeploymentPhase, patch: Partial<FlinkDeployStatus> = {}): void =>
    update({ ...patch, phase: transition(status.phase, phase), phases: [...status.phases, { phase, at: Date.now() }] });
  publish();

  /** Records the end, disposes of expired savepoints, and returns the result. */
  const finish = async (outcome: DeploymentOutcome, patch: Partial<FlinkDeployStatus>, current: CurrentDeployment | 'unchanged' | undefined): Promise<FlinkDeployResult> => {
    moveTo(outcome, patch);
    const runningJobId = current === 'unchanged' ? status.previousJobId : current?.jobId;
    const { handoff } = status;
    const expired = await activities.record.recordDeployment({
      jobName: spec.jobName,
      event: {
        at: Date.now(), deployedBy, outcome, mode, fromVersion: status.fromVersion, toVersion: spec.version, jobId: runningJobId, savepoint: status.savepoint, downtimeMs: status.downtimeMs, error: status.error,
        ...(handoff ? { handoff: { previousTopic: handoff.previousTopic, newTopic: handoff.newTopic, overlapFrom: handoff.overlapFrom ?? [], models: handoff.models ?? [] } } : {}),
      },
      current: current === 'unchanged' ? undefined : current,
      keepCurrent: current === 'unchanged',
      savepointRetention: retention,
    });
    const failedDisposals = expired.length > 0 ? await activities.dispose.disposeSavepoints(expired.map((entry) => entry.path)) : [];
    const failedPaths = new Set(failedDisposals.map((failure) => failure.path));
    const result: FlinkDeployResult = {
      outcome,
      jobName: spec.jobName,
      mode,
      fromVersion: status.fromVersion,
      toVersion: spec.version,
      jobId: runningJobId,
      savepoint: status.savepoint,
      ...(status.adoptedJobId ? { adoptedJobId: status.adoptedJobId } : {}),
      downtimeMs: status.downtimeMs,
      health: status.health,
      rollbackHealth: status.rollbackHealth,
      catchUp: status.catchUp,
      handoff: status.handoff,
      takeoverMs: status.takeoverMs,
      error: status.error,
      disposedSavepoints: expired.map((entry) => entry.path).filter((path) => !failedPaths.has(path)),
    };
    if (outcome === 'rollback-failed') {
      throw ApplicationFailure.create({ type: 'FlinkRollbackFailed', message: `${spec.jobName}: the new version and the rollback both failed: ${status.error ?? ''}`, nonRetryable: true, details: [result] });
    }
    if (outcome === 'takeover-failed') {
      throw ApplicationFailure.create({ type: 'FlinkTakeoverFailed', message: `${spec.jobName}: ${status.error ?? 'the takeover failed'}`, nonRetryable: true, details: [result] });
    }
    return result;
  };

  /** Submits a spec, waits for RUNNING and the health window; resolves with the failure text, or undefined when healthy. */
  const runAndVerify = async (jobId: string, jobSpec: FlinkJobSpec, savepointPath: string | undefined, verifyingPhase: 'verifying' | 'verifying-rollback', stoppedAt?: number): Promise<{ failure: string | undefined; runningAt: number | undefined }> => {
    try {
      await activities.submit.submitJob({ jobId, spec: jobSpec, savepointPath });
    } catch (error) {
      return { failure: `submitting ${jobSpec.version} as job ${jobId} failed: ${describeFailure(error)}`, runningAt: undefined };
    }
    moveTo(verifyingPhase);
    let runningAt: number | undefined;
    try {
      runningAt = (await activities.wait.waitForRunning({ jobId, timeoutMs: timeouts.runningMs })).runningAt;
      if (stoppedAt !== undefined) update({ downtimeMs: runningAt - stoppedAt });
      const verdict = await activities.health.watchHealth({ jobId, topics: jobSpec.observedTopics, options: health });
      update(verifyingPhase === 'verifying' ? { health: verdict } : { rollbackHealth: verdict });
      if (verdict.healthy) return { failure: undefined, runningAt };
      return { failure: `job ${jobId} (${jobSpec.version}) is not healthy: ${verdict.problems.join('; ')}${verdict.flinkError ? `; Flink: ${verdict.flinkError}` : ''}`, runningAt };
    } catch (error) {
      return { failure: `job ${jobId} (${jobSpec.version}) did not start: ${describeFailure(error)}`, runningAt };
    }
  };

  const adopts = patched(ADOPTION_PATCH);
  let located: LocatedDeployment;
  try {
    located = adopts
      ? await activities.quick.locateDeployment(spec.jobName, mode, { adoptUnrecorded: true, ...(input.fromSavepoint ? { fromSavepoint: input.fromSavepoint } : {}) })
      : await activities.quick.locateDeployment(spec.jobName, mode);
  } catch (error) {
    return finish('aborted', { error: describeFailure(error) }, 'unchanged');
  }
  const adopted = located.unrecorded;
  const previous = located.current;
  update({ fromVersion: previous?.spec.version, previousJobId: adopted?.jobId ?? previous?.jobId, ...(adopted ? { adoptedJobId: adopted.jobId } : {}) });
  if (mode === 'blue-green' && previous) {
    return deployBlueGreen({ input, deployedBy, runId, timeouts, activities, update, moveTo, finish, describeFailure, runAndVerify: (jobId, jobSpec, savepointPath, phase) => runAndVerify(jobId, jobSpec, savepointPath, phase) }, previous);
  }

  let restoreFrom: string | undefined;
  let stoppedAt: number | undefined;
  const toStop = adopted ? { jobId: adopted.jobId, version: UNRECORDED_VERSION } : previous && located.running ? { jobId: previous.jobId, version: previous.spec.version } : undefined;
  if (toStop && mode === 'savepoint') {
    moveTo('savepointing');
    try {
      const taken = await activities.savepoint.stopWithSavepoint({ jobName: spec.jobName, jobId: toStop.jobId, version: toStop.version, drain: input.drain ?? false, timeoutMs: timeouts.savepointMs });
      restoreFrom = taken.path;
      stoppedAt = taken.stoppedAt;
      update({ savepoint: taken.path });
    } catch (error) {
      if (!patched(ABANDON_STOP_PATCH)) {
        return finish('aborted', { error: `stop-with-savepoint of job ${toStop.jobId} failed, so it keeps running and nothing was submitted: ${describeFailure(error)}` }, 'unchanged');
      }
      const abandoned = await abandonStop(activities, spec.jobName, toStop, triggerIdOf(error), timeouts.savepointMs);
      if (abandoned.outcome !== 'stopped') return finish('aborted', { error: abandonedStopMessage(spec.jobName, toStop.jobId, error, abandoned) }, 'unchanged');
      // The stop completed after all: go on from its savepoint. When the job stopped is unknown, so is the downtime.
      restoreFrom = abandoned.savepoint;
      update({ savepoint: abandoned.savepoint });
    }
  } else if (toStop) {
    moveTo('stopping');
    try {
      stoppedAt = (await activities.cancel.cancelJob({ jobId: toStop.jobId, timeoutMs: timeouts.cancelMs })).stoppedAt;
    } catch (error) {
      return finish('aborted', { error: `cancelling job ${toStop.jobId} failed: ${describeFailure(error)}` }, 'unchanged');
    }
  } else if (input.fromSavepoint) {
    restoreFrom = input.fromSavepoint;
    update({ savepoint: restoreFrom });
  }

  const newJobId = deploymentJobId(runId, NEW_VERSION_SUBMISSION);
  moveTo('submitting', { newJobId });
  const attempt = await runAndVerify(newJobId, spec, restoreFrom, 'verifying', stoppedAt);
  if (attempt.failure === undefined) {
    return finish('deployed', {}, { jobId: newJobId, spec, since: attempt.runningAt ?? Date.now(), restoredFrom: restoreFrom, deployedBy });
  }
  update({ error: attempt.failure });

  // An adopted job's spec is unknown: there is nothing to roll back to, only the savepoint to resume from.
  if (!previous || adopted) {
    await activities.cancel.cancelJob({ jobId: newJobId, timeoutMs: timeouts.cancelMs });
    const stateKept = restoreFrom === undefined
      ? {}
      : { error: `${attempt.failure}; nothing runs now${adopted ? ` (job ${adopted.jobId} was not recorded by any deployment, so its spec is unknown and it cannot be rolled back to)` : ''}: the state is in savepoint ${restoreFrom}` };
    return finish('failed', stateKept, undefined);
  }

  moveTo('rolling-back');
  await activities.cancel.cancelJob({ jobId: newJobId, timeoutMs: timeouts.cancelMs });
  const rollbackJobId = deploymentJobId(runId, ROLLBACK_SUBMISSION);
  update({ rollbackJobId, downtimeMs: undefined });
  const rollback = await runAndVerify(rollbackJobId, previous.spec, restoreFrom, 'verifying-rollback', stoppedAt);
  const rolledBack: CurrentDeployment = { jobId: rollbackJobId, spec: previous.spec, since: rollback.runningAt ?? Date.now(), restoredFrom: restoreFrom, deployedBy };
  if (rollback.failure === undefined) return finish('rolled-back', {}, rolledBack);
  return finish('rollback-failed', { error: `${attempt.failure}; the rollback failed too: ${rollback.failure}` }, rolledBack);
}

/**
 * Gives up on the stop of `stopped` that did not complete, so what the run reports is what runs:
 * the activity puts the job back to running where the service can, or learns that the stop
 * completed after all. An error is an outcome too: then nobody knows, and the message says so.
 */
async function abandonStop(activities: ReturnType<typeof activitiesFor>, jobName: string, stopped: { jobId: string; version: string }, triggerId: string | undefined, timeoutMs: number): Promise<AbandonedStop | { readonly outcome: 'unknown'; readonly error: string }> {
  try {
    return await activities.abandon.abandonStopWithSavepoint({ jobName, jobId: stopped.jobId, version: stopped.version, triggerId, timeoutMs });
  } catch (error) {
    return { outcome: 'unknown', error: describeFailure(error) };
  }
}

/** The aborted run's error: why the stop did not complete, and what runs now. */
function abandonedStopMessage(jobName: string, jobId: string, stopFailure: unknown, abandoned: AbandonedStop | { readonly outcome: 'unknown'; readonly error: string }): string {
  const cause = describeFailure(stopFailure);
  if (abandoned.outcome === 'running') return `stop-with-savepoint of job ${jobId} failed, so it keeps running and nothing was submitted: ${cause}`;
  if (abandoned.outcome === 'unknown') {
    return `stop-with-savepoint of job ${jobId} did not complete, so nothing was submitted: ${cause}; giving it up failed too (${abandoned.error}), so job ${jobId} may still stop: ` +
      `check with \`tributary flink status ${jobName}\`, and if it stopped, restore its state with \`tributary flink deploy ${jobName} --from-savepoint <path>\` (its newest savepoint)`;
  }
  // The activity's own timeout already gave the stop up and said what runs; say it once.
  const now = describeAbandonedStop(jobName, jobId, abandoned);
  return `stop-with-savepoint of job ${jobId} did not complete, so nothing was submitted: ${cause}${cause.includes(now) ? '' : `; ${now}`}`;
}

/**
 * The stop's trigger id, when the failure carries it: an activity's own error holds it in its
 * details; a timeout Temporal enforced (the worker lost, the activity stuck) in the last heartbeat.
 */
function triggerIdOf(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const { cause } = error;
  const carrier: unknown = cause instanceof TimeoutFailure ? cause.lastHeartbeatDetails : cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  const triggerId = typeof carrier === 'object' && carrier !== null ? (carrier as { triggerId?: unknown }).triggerId : undefined;
  return typeof triggerId === 'string' ? triggerId : undefined;
}

/** One proxy per kind of step, each with its own timeouts and retry policy. */
function activitiesFor(timeouts: Required<FlinkDeployTimeouts>, healthWatchMs: number, catchUpMs: number) {
  const heartbeatTimeout = timeouts.heartbeatMs;
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 };
  return {
    quick: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: '30s', retry: { ...retry, maximumAttempts: 5 } }),
    record: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: '30s', retry: { ...retry, maximumAttempts: 10 } }),
    savepoint: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: timeouts.savepointMs + 30_000, heartbeatTimeout, retry }),
    // Giving up on a stop may wait up to savepointMs for Flink to settle it; it must get through, so more attempts.
    abandon: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: timeouts.savepointMs + 30_000, heartbeatTimeout, retry: { ...retry, maximumAttempts: 5 } }),
    // A submit is safe to retry only because the activity first looks for the job id it submits under.
    submit: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: timeouts.submitMs, heartbeatTimeout, retry: { ...retry, initialInterval: '2s' } }),
    wait: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: timeouts.runningMs + 30_000, heartbeatTimeout, retry }),
    health: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: healthWatchMs + 60_000, heartbeatTimeout, retry }),
    cancel: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: timeouts.cancelMs + 30_000, heartbeatTimeout, retry: { ...retry, maximumAttempts: 5 } }),
    dispose: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: '5m', heartbeatTimeout, retry }),
    // Creating a topic and registering its schema: Kafka and the registry, seconds each.
    output: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: '2m', retry }),
    catchUp: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: catchUpMs + 60_000, heartbeatTimeout, retry }),
    // The takeover outlasts a short Kafka outage rather than leave two jobs running: about 5 minutes of attempts.
    takeover: proxyActivities<FlinkDeployActivities>({ startToCloseTimeout: '2m', heartbeatTimeout, retry: { ...retry, maximumInterval: '30s', maximumAttempts: 12 } }),
  };
}

/** The activity's own message: an ActivityFailure wraps the ApplicationFailure that carries it. */
function describeFailure(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Refuses input the deployment cannot run with, as one non-retryable failure naming each problem. */
function checkInput(input: FlinkDeployInput, mode: string, retention: number): void {
  const problems: string[] = [];
  if (!['savepoint', 'stateless', 'blue-green'].includes(mode)) problems.push(`mode=${mode}: expected savepoint, stateless or blue-green`);
  if (input.fromSavepoint !== undefined && mode === 'blue-green') problems.push('fromSavepoint: a blue/green upgrade starts from a savepoint of the running job; restore a savepoint with mode savepoint');
  if (input.fromSavepoint === '') problems.push('fromSavepoint is empty');
  if (!(Number.isInteger(retention) && retention >= 1)) problems.push(`savepointRetention=${retention}: expected a whole number >= 1`);
  if (!input.spec.jobName) problems.push('spec.jobName is empty');
  if (!input.spec.version) problems.push('spec.version is empty');
  if (!input.spec.entryClass) problems.push('spec.entryClass is empty');
  for (const [key, value] of Object.entries(input.timeouts ?? {})) {
    if (!(Number.isInteger(value) && (value as number) > 0)) problems.push(`timeouts.${key}=${String(value)}: expected a positive whole number of ms`);
  }
  try {
    compileHealthWindowOptions(input.health);
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    compileCatchUpOptions(input.catchUp);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid flink deployment input: ${problems.join('; ')}`, 'InvalidFlinkDeployInput');
}
