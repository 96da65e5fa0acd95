/**
 * Per model, the long-running workflows that act on it — threshold trigger, drift monitor, A/B
 * rollout — each as a one-line summary of its status query, "not running", or why it could not
 * be asked (no worker answering, …).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { reasonOf } from '../errors/tributary-error.js';
import { rolloutStatusQuery, rolloutWorkflowId, type RolloutStatus } from '../workflows/ab-rollout.js';
import { driftMonitorWorkflowId, driftStatusQuery, type DriftMonitorState } from '../workflows/drift-monitor.js';
import { statusQuery as triggerStatusQuery, thresholdTriggerWorkflowId, type ThresholdTriggerState } from '../workflows/threshold-trigger.js';

export interface WorkflowRow {
  readonly model: string;
  /** threshold-trigger, drift-monitor or rollout. */
  readonly kind: string;
  readonly workflowId: string;
  /** RUNNING, COMPLETED, … or `not running`. */
  readonly state: string;
  readonly summary: string;
}

/** How long a status query may wait for a worker to answer it. */
const QUERY_TIMEOUT_MS = 5_000;

const shown = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(3));

function triggerSummary(state: ThresholdTriggerState): string {
  const poll = state.lastPoll?.outcome ?? 'no poll yet';
  return `${state.paused ? 'paused' : 'polling'}; threshold ${state.threshold}; ${state.trainingsStarted} trainings started; last poll: ${poll}${state.lastError === undefined ? '' : `; error: ${state.lastError}`}`;
}

function driftSummary(state: DriftMonitorState): string {
  const figures = state.lastCheck?.figures ?? null;
  const figuresText = figures === null ? '' : `max feature PSI ${shown(figures.maxFeature.psi)} (${figures.maxFeature.column}), score PSI ${shown(figures.score?.psi)}; `;
  return `${state.paused ? 'paused' : 'checking'}; ${figuresText}${state.lastCheck?.drifted === true ? 'DRIFTED' : 'stable'}; ${state.retrainingsStarted} retrainings started${state.lastError === undefined ? '' : `; error: ${state.lastError}`}`;
}

function rolloutSummary(status: RolloutStatus): string {
  const challenger = status.challenger === null ? 'no challenger' : `challenger v${status.challenger.version}`;
  return `${status.phase}; ${challenger} on ${status.traffic.mode} ${status.traffic.percent} %; ${status.lastEvaluation ?? 'not evaluated yet'}${status.lastError === null ? '' : `; error: ${status.lastError}`}`;
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no worker answered the ${what} within ${QUERY_TIMEOUT_MS / 1000} s (is \`tributary worker\` running?)`)), QUERY_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function row<State>(client: Client, model: string, kind: string, workflowId: string, ask: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<State>, summarise: (state: State) => string): Promise<WorkflowRow> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return { model, kind, workflowId, state: status.name, summary: '-' };
    return { model, kind, workflowId, state: status.name, summary: summarise(await withTimeout(ask(handle), 'status query')) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { model, kind, workflowId, state: 'not running', summary: '-' };
    return { model, kind, workflowId, state: 'unknown', summary: `unavailable: ${reasonOf(error)}` };
  }
}

export async function workflowRows(client: Client, models: readonly string[]): Promise<WorkflowRow[]> {
  const rows = models.flatMap((model) => [
    row(client, model, 'threshold-trigger', thresholdTriggerWorkflowId(model), (handle) => handle.query(triggerStatusQuery), triggerSummary),
    row(client, model, 'drift-monitor', driftMonitorWorkflowId(model), (handle) => handle.query(driftStatusQuery), driftSummary),
    row(client, model, 'rollout', rolloutWorkflowId(model), (handle) => handle.query(rolloutStatusQuery), rolloutSummary),
  ]);
  return Promise.all(rows);
}
