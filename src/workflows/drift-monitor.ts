/**
 * driftMonitor: one long-running workflow per model (`drift-monitor:<model>`) that checks, every
 * `intervalMs`, how far the live feature and score distributions have moved from the champion's
 * training reference (PSI per feature-vector column; PSI and Kolmogorov–Smirnov of the champion's
 * scores), records the figures in its memo and search attributes, and starts `trainingPipeline`
 * (data: everything retained up to now; memo reason "drift") when a figure crosses its threshold.
 *
 * A loop with durable timers rather than a Temporal Schedule: the monitor keeps state between
 * checks (the last retraining it started, its cooldown, the last figures) that a person queries
 * with `status`, and pause/resume act on it at once; a schedule's runs would each start blank.
 * The run continues as new after `checksPerRun` checks, carrying its state. The `stop` signal ends
 * it: after the check in progress, if any, the workflow completes with its last state.
 *
 * No duplicate retraining: before starting one, an activity looks for a trainingPipeline of the
 * model that is still running, whoever started it (the threshold trigger, a schedule, a person,
 * this monitor's own last one, described directly). The child id `training:<model>:drift-<n>` is
 * deterministic, so a start that races another of the same id fails with "already started" and is
 * counted as "already running", never as a second run.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DriftActivities } from '../activities/drift-activities.js';
import type { DriftFigures } from '../drift/drift-figures.js';
import { judgeDrift } from '../drift/drift-verdict.js';
import { TributaryModelName, TributaryModelVersion, TributaryStage } from '../temporal/search-attributes.js';
import type { StopRequest } from './stop-request.js';
import { trainingPipeline, type TrainingPipelineInput } from './training-pipeline.js';
import { modelNameProblem, pipelineSettingsProblems } from './training-pipeline-input.js';

/** How the monitor checks and decides; every field may be left out. */
export interface DriftMonitorOptions {
  /** Time between two checks. @default 300_000 (5 min) */
  readonly intervalMs?: number;
  /** A feature column's PSI at or above it is drift. @default 0.25 */
  readonly featurePsiThreshold?: number;
  /** The champion's live-score PSI at or above it is drift. @default 0.25 */
  readonly scorePsiThreshold?: number;
  /** Newest feature (and score) records compared per check. @default 2000 */
  readonly liveRecords?: number;
  /** Training examples of the champion's lineage used as reference. @default 5000 */
  readonly referenceRecords?: number;
  /** Fewer live feature records than this decide nothing (too noisy). @default 500 */
  readonly minLiveRecords?: number;
  /** Least time between two retrainings this monitor starts. @default 3_600_000 (1 h) */
  readonly cooldownMs?: number;
  /** Checks per run before continuing as new. @default 200 */
  readonly checksPerRun?: number;
  /** How the started pipelines train, evaluate and gate. @default {} */
  readonly pipeline?: Omit<TrainingPipelineInput, 'model' | 'data' | 'triggeredBy'>;
}

/** What one check found. */
export interface DriftCheck {
  /** Epoch ms. */
  readonly at: number;
  /** Null when the check had nothing to compare (no champion, no live records yet). */
  readonly figures: DriftFigures | null;
  readonly drifted: boolean;
  /** The verdict or why there is none, then what the monitor did. */
  readonly outcome: string;
}

export interface DriftRetraining {
  readonly workflowId: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly reason: string;
}

/** The monitor's state: what `status` answers and what continue-as-new carries. */
export interface DriftMonitorState {
  readonly paused: boolean;
  readonly intervalMs: number;
  readonly featurePsiThreshold: number;
  readonly scorePsiThreshold: number;
  readonly cooldownMs: number;
  readonly checks: number;
  readonly lastCheck: DriftCheck | undefined;
  /** The last check failure (Kafka unreachable, …); cleared by the next good check. */
  readonly lastError: string | undefined;
  /** Retrainings started so far: the `<n>` of the next child id is this plus one. */
  readonly retrainingsStarted: number;
  readonly lastRetraining: DriftRetraining | undefined;
}

export const driftPauseSignal = defineSignal('pause');
export const driftResumeSignal = defineSignal('resume');
export const driftStatusQuery = defineQuery<DriftMonitorState>('status');
/** Ends the monitor once the check in progress (if any) is done; a retraining it started keeps running. */
export const driftStopSignal = defineSignal<[StopRequest]>('stop');

/** The result of a monitor that was stopped. */
export interface DriftMonitorStopped {
  readonly stoppedBy: string;
  readonly reason: string | undefined;
  /** Epoch ms. */
  readonly stoppedAt: number;
  readonly state: DriftMonitorState;
}

/**
 * Runs before this patch had no `stop` handler (`drift stop` terminated them), so a `stop` sent
 * to one was buffered and ignored; replaying such a run must keep ignoring it.
 */
const STOP_SIGNAL_PATCH = 'stop-signal';

/** The workflow id of a model's drift monitor: one per model. */
export const driftMonitorWorkflowId = (model: string): string => `drift-monitor:${model}`;
/** The workflow id of the `n`th retraining a drift monitor starts. */
export const driftTrainingWorkflowId = (model: string, n: number): string => `training:${model}:drift-${n}`;

const { measureDrift } = proxyActivities<DriftActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '2m',
  // A monitor outlives Kafka outages: a failed check is recorded and the next one tries again.
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

const { findRunningTraining } = proxyActivities<DriftActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

const DEFAULTS = {
  intervalMs: 300_000,
  featurePsiThreshold: 0.25,
  scorePsiThreshold: 0.25,
  liveRecords: 2000,
  referenceRecords: 5000,
  minLiveRecords: 500,
  cooldownMs: 3_600_000,
  checksPerRun: 200,
};

/** Watches `model` for drift and retrains on it; see the module comment. */
export async function driftMonitor(model: string, options: DriftMonitorOptions = {}, carried?: DriftMonitorState): Promise<DriftMonitorStopped> {
  checkOptions(model, options);
  let state: DriftMonitorState = carried ?? {
    paused: false,
    intervalMs: options.intervalMs ?? DEFAULTS.intervalMs,
    featurePsiThreshold: options.featurePsiThreshold ?? DEFAULTS.featurePsiThreshold,
    scorePsiThreshold: options.scorePsiThreshold ?? DEFAULTS.scorePsiThreshold,
    cooldownMs: options.cooldownMs ?? DEFAULTS.cooldownMs,
    checks: 0,
    lastCheck: undefined,
    lastError: undefined,
    retrainingsStarted: 0,
    lastRetraining: undefined,
  };
  let wake = false;
  setHandler(driftPauseSignal, () => {
    state = { ...state, paused: true };
  });
  setHandler(driftResumeSignal, () => {
    state = { ...state, paused: false };
    wake = true;
  });
  setHandler(driftStatusQuery, () => state);
  let stop: StopRequest | undefined;
  if (patched(STOP_SIGNAL_PATCH)) {
    setHandler(driftStopSignal, (request) => {
      stop ??= request;
      wake = true;
    });
  }
  const stopped = (request: StopRequest): DriftMonitorStopped => {
    log.info('drift monitor stopped', { by: request.by, reason: request.reason });
    return { stoppedBy: request.by, reason: request.reason, stoppedAt: Date.now(), state };
  };

  const checksPerRun = options.checksPerRun ?? DEFAULTS.checksPerRun;
  for (let checksThisRun = 0; checksThisRun < checksPerRun && !workflowInfo().continueAsNewSuggested; checksThisRun += 1) {
    await condition(() => !state.paused || stop !== undefined);
    if (stop !== undefined) return stopped(stop);
    // Merged into the state as it is after the check: a pause signalled during it stays applied.
    state = { ...state, ...(await check(model, options, () => state)) };
    record(state);
    // A stop that arrived during the check ends the run now rather than after another interval.
    if (stop !== undefined) return stopped(stop);
    wake = false;
    await condition(() => wake, state.intervalMs);
  }
  if (stop !== undefined) return stopped(stop);
  return continueAsNew<typeof driftMonitor>(model, options, state);
}

/** What a check changes: never `paused`, which the signals own. */
type CheckResult = Pick<DriftMonitorState, 'checks' | 'lastError'> & Partial<Pick<DriftMonitorState, 'lastCheck' | 'retrainingsStarted' | 'lastRetraining'>>;

/** One check: measure, judge, maybe start a retraining. Never throws for a failed activity. */
async function check(model: string, options: DriftMonitorOptions, live: () => DriftMonitorState): Promise<CheckResult> {
  const state = live();
  const checked = { checks: state.checks + 1 };
  const at = Date.now();
  let measurement: Awaited<ReturnType<DriftActivities['measureDrift']>>;
  try {
    measurement = await measureDrift(model, { liveRecords: options.liveRecords ?? DEFAULTS.liveRecords, referenceRecords: options.referenceRecords ?? DEFAULTS.referenceRecords });
  } catch (error) {
    return { ...checked, lastError: `drift check failed: ${describeFailure(error)}` };
  }
  const observed = (figures: DriftFigures | null, drifted: boolean, outcome: string): CheckResult => ({ ...checked, lastError: undefined, lastCheck: { at, figures, drifted, outcome } });
  if (measurement.kind === 'skipped') return observed(null, false, `nothing to compare: ${measurement.reason}`);

  const { figures } = measurement;
  const minLive = options.minLiveRecords ?? DEFAULTS.minLiveRecords;
  if (figures.liveRecords < minLive) return observed(figures, false, `only ${figures.liveRecords} live feature records, fewer than the ${minLive} a verdict needs`);
  const verdict = judgeDrift(figures, { featurePsi: state.featurePsiThreshold, scorePsi: state.scorePsiThreshold });
  if (!verdict.drifted) return observed(figures, false, `no drift: ${verdict.summary}`);

  const sinceLast = state.lastRetraining === undefined ? Number.POSITIVE_INFINITY : at - state.lastRetraining.startedAt;
  if (sinceLast < state.cooldownMs) {
    return observed(figures, true, `drift: ${verdict.summary}; retraining cooling down for another ${state.cooldownMs - sinceLast} ms`);
  }
  let running: string | null;
  try {
    running = await findRunningTraining(model, state.lastRetraining === undefined ? [] : [state.lastRetraining.workflowId]);
  } catch (error) {
    return { ...observed(figures, true, `drift: ${verdict.summary}; not retraining, the running-training lookup failed`), lastError: `running-training lookup failed: ${describeFailure(error)}` };
  }
  if (live().paused) return observed(figures, true, `drift: ${verdict.summary}; paused during the check, no retraining started`);
  if (running !== null) return observed(figures, true, `drift: ${verdict.summary}; training ${running} is already running, not starting another`);

  const n = state.retrainingsStarted + 1;
  const workflowId = driftTrainingWorkflowId(model, n);
  const reason = `drift: ${verdict.summary}`;
  const triggeredBy = `workflow:${workflowInfo().workflowId}`;
  try {
    await startChild(trainingPipeline, {
      workflowId,
      args: [{ ...options.pipeline, model, data: { kind: 'up-to-now' }, triggeredBy }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [{ key: TributaryModelName, value: model }],
      memo: { triggeredBy, reason: 'drift', drift: verdict.summary },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return observed(figures, true, `drift: ${verdict.summary}; training ${workflowId} is already running, not starting another`);
  }
  return {
    ...observed(figures, true, `drift: ${verdict.summary}; started ${workflowId}`),
    retrainingsStarted: n,
    lastRetraining: { workflowId, startedAt: Date.now(), reason },
  };
}

/** The last check's figures in the memo (what the Temporal UI shows without opening history) and its verdict in the search attributes. */
function record(state: DriftMonitorState): void {
  const { lastCheck } = state;
  const figures = lastCheck?.figures ?? null;
  upsertMemo({
    checks: state.checks,
    drifted: lastCheck?.drifted ?? false,
    championVersion: figures?.championVersion ?? null,
    maxFeaturePsi: figures?.maxFeature.psi ?? null,
    maxFeature: figures?.maxFeature.column ?? null,
    scorePsi: figures?.score?.psi ?? null,
    scoreKsStatistic: figures?.score?.ksStatistic ?? null,
    lastRetraining: state.lastRetraining?.workflowId ?? null,
  });
  if (lastCheck === undefined || figures === null) return;
  upsertSearchAttributes([
    { key: TributaryModelVersion, value: String(figures.championVersion) },
    { key: TributaryStage, value: lastCheck.drifted ? 'drifted' : 'stable' },
  ]);
}

/** The activity's own message: an ActivityFailure wraps the ApplicationFailure that carries it. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** Refuses a model name or options the loop cannot run with, as a non-retryable failure naming each. */
function checkOptions(model: string, options: DriftMonitorOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw ApplicationFailure.nonRetryable(`invalid drift monitor options: expected an object such as {"intervalMs":300000}, got ${JSON.stringify(options)}`, 'InvalidDriftMonitorOptions');
  }
  const problems: string[] = [modelNameProblem(model)].filter((problem): problem is string => problem !== undefined);
  const whole = (name: keyof DriftMonitorOptions, minimum: number): void => {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= minimum)) problems.push(`${name}=${JSON.stringify(value)}: expected a whole number >= ${minimum}`);
  };
  const positive = (name: keyof DriftMonitorOptions): void => {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) problems.push(`${name}=${JSON.stringify(value)}: expected a number > 0`);
  };
  whole('intervalMs', 1);
  whole('liveRecords', 1);
  whole('referenceRecords', 1);
  whole('minLiveRecords', 0);
  whole('cooldownMs', 0);
  whole('checksPerRun', 1);
  positive('featurePsiThreshold');
  positive('scorePsiThreshold');
  problems.push(...pipelineSettingsProblems(options.pipeline ?? {}).map((problem) => `pipeline.${problem}`));
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid drift monitor options: ${problems.join('; ')}`, 'InvalidDriftMonitorOptions');
}
