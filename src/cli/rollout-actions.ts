/**
 * What the rollout commands do once they run (rollout-command.ts defines them and imports this
 * module inside its actions, so `--help` loads neither the Temporal SDK nor the workflow module):
 * start a rollout and wait for it to accept its versions, run an update or query on it, say why a
 * model has no running rollout, and render its status.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { TributaryConfig } from '../config/config.js';
import type { ErrorEstimate } from '../rollout/error-metrics.js';
import type { Proportion } from '../rollout/variant-metrics.js';
import { formatShare } from '../serving/model-deployment.js';
import { workflowUiLink } from '../worker/temporal-connection.js';
import { rolloutStatusQuery, rolloutWorkflowId, type abRollout, type RolloutOutcome, type RolloutStatus } from '../workflows/ab-rollout.js';
import type { RolloutPlan } from '../workflows/ab-rollout-plan.js';
import { TributaryChallengerVersion, TributaryModelName, TributaryModelVersion } from '../temporal/search-attributes.js';
import type { CliEnvironment } from './cli-environment.js';
import { renderTable } from '../terminal/text-table.js';
import { describeEnd, howItEnded, withClient, type EndedRun } from './workflow-client.js';

const formatTime = (epochMs: number | null): string => (epochMs === null ? '-' : new Date(epochMs).toISOString());
const interval = (proportion: Proportion): string =>
  proportion.rate === null ? '-' : `${proportion.rate.toFixed(4)} [${proportion.lower!.toFixed(3)}, ${proportion.upper!.toFixed(3)}] (${proportion.successes}/${proportion.trials})`;

/** The versions the rollout compares, and once it ended which one came out champion. */
function describeVersions(status: RolloutStatus): string {
  const champion = `v${status.champion?.version ?? '-'}`;
  const challenger = `v${status.challenger?.version ?? '-'}`;
  if (status.phase === 'promoted') return `challenger ${challenger} is now champion (was ${champion})`;
  if (status.phase === 'rolled-back') return `champion ${champion} stays; challenger ${challenger} was rolled back`;
  return `champion ${champion}, challenger ${challenger}`;
}

/** The rollout's state as a person reads it. */
export function renderRolloutStatus(config: TributaryConfig, status: RolloutStatus): string {
  const step = status.steps[status.stepIndex];
  const lines = [
    `rollout        ${rolloutWorkflowId(status.model)} (${status.phase}${status.pausedFrom === null ? '' : `, from ${status.pausedFrom}`}) ${workflowUiLink(config, rolloutWorkflowId(status.model))}`,
    `versions       ${describeVersions(status)}`,
    `step           ${step === undefined ? '-' : `${status.stepIndex + 1}/${status.steps.length}: ${step.mode} ${step.percent}%, at least ${step.minSamples} labelled scores per variant and ${step.minDurationMs} ms`}`,
    `traffic        ${status.traffic.mode}${status.traffic.mode === 'SPLIT' ? ` ${formatShare(status.traffic.percent / 100)}` : ''}; measuring since ${formatTime(status.measurement?.startedAt ?? null)} (deployment revision ${status.measurement?.fromRevision ?? '-'})`,
  ];
  if (status.decisionDeadline !== null) lines.push(`decide by      ${formatTime(status.decisionDeadline)} (then the plan's default action)`);
  const metrics = status.metrics;
  if (metrics === null) lines.push(`metrics        none yet (${status.polls} polls)`);
  else {
    lines.push(`metrics        at ${formatTime(status.metricsAt)}; score PSI ${metrics.scorePsi?.toFixed(4) ?? '-'}; DLQ ${metrics.dlq.records} of ${metrics.dlq.intake}`);
    const latency = (variant: typeof metrics.champion): string => (variant.latencyMs === null ? '-' : `${variant.latencyMs.p50.toFixed(0)} / ${variant.latencyMs.p99.toFixed(0)}`);
    // A regression model is compared on its errors (label's units), a classifier on its rates.
    const regression = metrics.task === 'regression';
    const error = (estimate: ErrorEstimate | null | undefined): string => (estimate === null || estimate === undefined ? '-' : `${estimate.value.toFixed(3)} [${estimate.lower.toFixed(3)}, ${estimate.upper.toFixed(3)}]`);
    const row = (name: string, variant: typeof metrics.champion): string[] => [
      `${name} v${variant.version}`,
      String(variant.scored),
      String(variant.labelled ?? variant.rates.labelled),
      ...(regression ? [error(variant.errors?.mae), error(variant.errors?.rmse)] : [interval(variant.rates.precision), interval(variant.rates.recall), interval(variant.rates.falsePositiveRate)]),
      latency(variant),
    ];
    const headers = regression ? ['VARIANT', 'SCORED', 'LABELLED', 'MAE [CI]', 'RMSE [CI]', 'P50/P99 MS'] : ['VARIANT', 'SCORED', 'LABELLED', 'PRECISION [CI]', 'RECALL', 'FALSE-POSITIVE RATE', 'P50/P99 MS'];
    lines.push(
      renderTable(headers, [row('champion', metrics.champion), row('challenger', metrics.challenger)])
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  lines.push(`evaluation     ${status.lastEvaluation ?? '-'}`, `last error     ${status.lastError ?? '-'}`, 'decisions');
  for (const entry of status.decisions.slice(-10)) lines.push(`  ${formatTime(entry.at)}  ${entry.action.padEnd(14)} ${entry.by}: ${entry.reason}`);
  return lines.join('\n');
}

type RolloutHandle = WorkflowHandle<typeof abRollout>;

/**
 * Runs `work` on the model's rollout. A refused update prints the validator's reason; a rollout
 * that does not exist, or has ended, says so and how to go on. Undefined after a failure.
 */
export async function onRollout<T>(cli: CliEnvironment, model: string, work: (handle: RolloutHandle) => Promise<T>): Promise<T | undefined> {
  const workflowId = rolloutWorkflowId(model);
  return withClient(cli.config(), async (client) => {
    const handle = client.workflow.getHandle<typeof abRollout>(workflowId);
    try {
      return await work(handle);
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        cli.fail(error.cause instanceof Error ? error.cause.message : error.message);
        return undefined;
      }
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      cli.fail(await whyNoRunningRollout(client, model));
      return undefined;
    }
  });
}

/**
 * The status of the model's rollout: a running one, or one that ended by its own decision
 * (promoted, rolled back). A run that failed or was terminated has no meaningful status (it may
 * never have accepted its versions), so that is a one-line error saying how it ended and why.
 */
export async function rolloutStatusOf(cli: CliEnvironment, model: string): Promise<RolloutStatus | undefined> {
  return onRollout(cli, model, async (handle) => {
    const closed = await howItEnded(handle);
    if (closed !== undefined && closed.status !== 'COMPLETED') {
      cli.fail(`the last rollout of model ${model} ${describeEnd(closed)} (workflow ${handle.workflowId}); ${startHint(model)}`);
      return undefined;
    }
    return handle.query(rolloutStatusQuery);
  });
}

const startHint = (model: string): string => `start one with \`tributary rollout start ${model} --challenger <version>\``;

/** The message for a model whose rollout is not running: never started, or how it ended. */
async function whyNoRunningRollout(client: Client, model: string): Promise<string> {
  const workflowId = rolloutWorkflowId(model);
  const handle = client.workflow.getHandle<typeof abRollout>(workflowId);
  let closed: EndedRun | undefined;
  try {
    closed = await howItEnded(handle);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return `no rollout of model ${model} (workflow ${workflowId}); ${startHint(model)}`;
    throw error;
  }
  // Not found, then running: a new run started between the two calls.
  if (closed === undefined) return `a new rollout of model ${model} started while this command ran (workflow ${workflowId}); see it with \`tributary rollout status ${model}\``;
  if (closed.status !== 'COMPLETED') return `the last rollout of model ${model} ${describeEnd(closed)} (workflow ${workflowId}); ${startHint(model)}`;
  const outcome = (await handle.result()) as RolloutOutcome;
  return `the rollout of model ${model} has ended: ${outcome.action} by ${outcome.decision.by} at ${formatTime(outcome.decision.at)} (${outcome.decision.reason}); v${outcome.championVersion} is champion`;
}

/** How long `rollout start` waits for the rollout to accept its versions, and then for its first step. */
const START_WAIT_MS = 30_000;
const POLL_MS = 500;

type Progress = { readonly kind: 'reached'; readonly status: RolloutStatus } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'pending' };

/** Waits until the rollout's status satisfies `reached`, or the run has failed (a version that cannot be rolled out, no champion, …). */
async function waitForRollout(handle: RolloutHandle, reached: (status: RolloutStatus) => boolean, timeoutMs: number): Promise<Progress> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(POLL_MS)) {
    const closed = await howItEnded(handle);
    if (closed !== undefined && closed.status !== 'COMPLETED') return { kind: 'failed', reason: closed.status === 'FAILED' ? (closed.reason ?? 'no reason recorded') : describeEnd(closed) };
    const status = await handle.query(rolloutStatusQuery);
    if (reached(status)) return { kind: 'reached', status };
  }
  return { kind: 'pending' };
}

export interface StartOptions {
  readonly challenger: number;
  readonly champion?: number;
  readonly plan?: RolloutPlan;
  readonly by: string;
  readonly reason?: string;
  readonly wait: boolean;
}

/**
 * Starts the model's rollout and waits until it has accepted its versions (the registry's checks
 * run in its first activity): a refusal is the command's error, so even `--no-wait` never reports
 * a rollout that is not going to run. With `wait`, then waits for the first step's routing and
 * prints the status.
 */
export async function startRollout(cli: CliEnvironment, model: string, options: StartOptions): Promise<void> {
  const config = cli.config();
  const workflowId = rolloutWorkflowId(model);
  await withClient(config, async (client) => {
    let handle: RolloutHandle;
    try {
      handle = await client.workflow.start<typeof abRollout>('abRollout', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ model, challengerVersion: options.challenger, championVersion: options.champion, plan: options.plan ?? {}, requestedBy: options.by, reason: options.reason }],
        typedSearchAttributes: [
          { key: TributaryModelName, value: model },
          { key: TributaryModelVersion, value: String(options.challenger) },
          { key: TributaryChallengerVersion, value: options.challenger },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      cli.fail(`a rollout of model ${model} is already running (workflow ${workflowId}); see it with \`tributary rollout status ${model}\`, or end it with \`tributary promote|rollback ${model}\``);
      return;
    }
    const link = workflowUiLink(config, workflowId);
    const noWorker = `is a worker polling task queue ${config.temporal.taskQueue}? Follow it with \`tributary rollout status ${model}\``;
    const accepted = await waitForRollout(handle, (status) => status.challenger !== null, START_WAIT_MS);
    if (accepted.kind === 'failed') return cli.fail(`the rollout of model ${model} did not start: ${accepted.reason}`);
    if (accepted.kind === 'pending') return cli.print(`started ${workflowId}: challenger v${options.challenger}; ${link}\nit has not checked its versions yet after ${START_WAIT_MS / 1000} s; ${noWorker}`);
    cli.print(`started ${workflowId}: challenger v${options.challenger} against champion v${accepted.status.champion?.version ?? '-'}; ${link}`);
    if (!options.wait) return;
    const first = await waitForRollout(handle, (status) => status.measurement !== null, START_WAIT_MS);
    if (first.kind === 'failed') cli.fail(`the rollout of model ${model} did not start: ${first.reason}`);
    else if (first.kind === 'reached') cli.print(renderRolloutStatus(config, first.status));
    else cli.print(`the first step is not published yet after ${START_WAIT_MS / 1000} s; ${noWorker}`);
  });
}
