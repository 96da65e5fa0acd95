/**
 * The champion/challenger rollout from the command line: `tributary rollout start|status|pause|
 * resume`, `tributary promote`, `tributary rollback` and `tributary set-traffic`. Every change
 * goes through a Temporal Update of the model's `rollout:<model>` workflow, so the command prints
 * the rollout's new state when it returns, or the validator's reason when it was refused.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import type { Proportion } from '../rollout/variant-metrics.js';
import { formatShare } from '../serving/model-deployment.js';
import {
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStatusQuery,
  rolloutWorkflowId,
  setTrafficUpdate,
  type abRollout,
  type RolloutOutcome,
  type RolloutStatus,
} from '../workflows/ab-rollout.js';
import { ROLLOUT_PRESETS, rolloutPlanProblems, type RolloutPlan } from '../workflows/ab-rollout-plan.js';
import { TributaryChallengerVersion, TributaryModelName, TributaryModelVersion } from '../workflows/search-attributes.js';
import { workflowUiLink } from '../worker/temporal-connection.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { renderTable } from './output.js';
import { modelName, withClient } from './trigger-command.js';

/** Who a change is recorded as when `--by` is not given: the OS user. */
function defaultAuthor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** A preset name (`standard`, `quick`) or a JSON file, checked before anything starts. */
export function rolloutPlanArgument(value: string): RolloutPlan {
  const preset = ROLLOUT_PRESETS[value];
  if (preset !== undefined) return preset;
  let plan: unknown;
  try {
    plan = JSON.parse(readFileSync(value, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new InvalidArgumentError(`expected a preset (${Object.keys(ROLLOUT_PRESETS).join(', ')}) or a JSON plan file, got "${value}": ${reason}`);
  }
  const problems = rolloutPlanProblems(plan);
  if (problems.length > 0) throw new InvalidArgumentError(`the plan in ${value} is invalid: ${problems.join('; ')}`);
  return plan as RolloutPlan;
}

/** A traffic share in percent, 0 to 100. */
export function percentArgument(value: string): number {
  const parsed = Number(value.replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 100) throw new InvalidArgumentError(`expected a percentage from 0 to 100, got "${value}"`);
  return parsed;
}

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
    const row = (name: string, variant: typeof metrics.champion): string[] => [
      `${name} v${variant.version}`,
      String(variant.scored),
      String(variant.rates.labelled),
      interval(variant.rates.precision),
      interval(variant.rates.recall),
      interval(variant.rates.falsePositiveRate),
      variant.latencyMs === null ? '-' : `${variant.latencyMs.p50.toFixed(0)} / ${variant.latencyMs.p99.toFixed(0)}`,
    ];
    lines.push(
      renderTable(['VARIANT', 'SCORED', 'LABELLED', 'PRECISION [CI]', 'RECALL', 'FALSE-POSITIVE RATE', 'P50/P99 MS'], [row('champion', metrics.champion), row('challenger', metrics.challenger)])
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  lines.push(`evaluation     ${status.lastEvaluation ?? '-'}`, `last error     ${status.lastError ?? '-'}`, 'decisions');
  for (const entry of status.decisions.slice(-10)) lines.push(`  ${formatTime(entry.at)}  ${entry.action.padEnd(14)} ${entry.by}: ${entry.reason}`);
  return lines.join('\n');
}

/**
 * Runs `work` on the model's rollout. A refused update prints the validator's reason; a rollout
 * that does not exist, or has ended, says so and how to go on. Undefined after a failure.
 */
async function onRollout<T>(cli: CliEnvironment, model: string, work: (handle: WorkflowHandle<typeof abRollout>) => Promise<T>): Promise<T | undefined> {
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

/** The message for a model whose rollout is not running: never started, or how it ended. */
async function whyNoRunningRollout(client: Client, model: string): Promise<string> {
  const workflowId = rolloutWorkflowId(model);
  const startHint = `start one with \`tributary rollout start ${model} --challenger <version>\``;
  let closed: string;
  try {
    closed = (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return `no rollout of model ${model} (workflow ${workflowId}); ${startHint}`;
    throw error;
  }
  if (closed !== 'COMPLETED') return `the last rollout of model ${model} ended ${closed.toLowerCase()} (workflow ${workflowId}); ${startHint}`;
  const outcome = (await client.workflow.getHandle<typeof abRollout>(workflowId).result()) as RolloutOutcome;
  return `the rollout of model ${model} has ended: ${outcome.action} by ${outcome.decision.by} at ${formatTime(outcome.decision.at)} (${outcome.decision.reason}); v${outcome.championVersion} is champion`;
}

/** How long `rollout start` waits for the first step's routing before it returns. */
const FIRST_STEP_WAIT_MS = 30_000;

type FirstStep = { readonly kind: 'running'; readonly status: RolloutStatus } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'pending' };

/** Waits until the rollout has published its first step, or has failed (a version that cannot be rolled out, no champion, …). */
async function firstStep(handle: WorkflowHandle<typeof abRollout>, timeoutMs: number): Promise<FirstStep> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
    if ((await handle.describe()).status.name !== 'RUNNING') {
      try {
        await handle.result();
      } catch (error) {
        return { kind: 'failed', reason: error instanceof Error && error.cause instanceof Error ? reasonOfFailure(error.cause) : String(error) };
      }
    }
    const status = await handle.query(rolloutStatusQuery);
    if (status.measurement !== null) return { kind: 'running', status };
  }
  return { kind: 'pending' };
}

/** The innermost message of a failure chain: an activity's own error under its ActivityFailure. */
function reasonOfFailure(error: Error): string {
  return error.cause instanceof Error ? reasonOfFailure(error.cause) : error.message;
}

interface AuthorOptions {
  readonly by: string;
  readonly reason?: string;
}

const withAuthor = (command: Command): Command =>
  command.option('--by <name>', 'who makes the change, recorded in the registry and the decision log; the OS user by default', defaultAuthor()).option('--reason <text>', 'why; recorded with the change');

/** `tributary rollout start|status|pause|resume`. */
export function rolloutCommand(cli: CliEnvironment): Command {
  const command = new Command('rollout').description('champion/challenger rollouts: one abRollout workflow per model (rollout:<model>) that ramps a challenger and ends in promote or rollback');

  command
    .command('start')
    .description('start rolling a challenger version out against the champion')
    .argument('<model>', 'model name', modelName)
    .requiredOption('--challenger <version>', 'the version to roll out (a candidate or challenger)', positiveInteger)
    .option('--champion <version>', 'refuse to start unless this version is the champion', positiveInteger)
    .option('--plan <preset|file>', `a preset (${Object.keys(ROLLOUT_PRESETS).join(', ')}) or a JSON plan file`, rolloutPlanArgument)
    .option('--by <name>', 'who starts it; the OS user by default', defaultAuthor())
    .option('--reason <text>', 'why the rollout starts, recorded in its decision log')
    .option('--no-wait', 'return once the workflow has started, without waiting for its first step')
    .action(async (model: string, options: { challenger: number; champion?: number; plan?: RolloutPlan; by: string; reason?: string; wait: boolean }) => {
      const config = cli.config();
      const workflowId = rolloutWorkflowId(model);
      await withClient(config, async (client) => {
        let handle: WorkflowHandle<typeof abRollout>;
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
        cli.print(`started ${workflowId}: challenger v${options.challenger}; ${workflowUiLink(config, workflowId)}`);
        if (!options.wait) return;
        const first = await firstStep(handle, FIRST_STEP_WAIT_MS);
        if (first.kind === 'failed') cli.fail(`the rollout of model ${model} did not start: ${first.reason}`);
        else if (first.kind === 'running') cli.print(renderRolloutStatus(config, first.status));
        else cli.print(`the first step is not published yet after ${FIRST_STEP_WAIT_MS / 1000} s; is a worker polling task queue ${config.temporal.taskQueue}? Follow it with \`tributary rollout status ${model}\``);
      });
    });

  command
    .command('status')
    .description("the rollout's phase, step, traffic, per-variant metrics with confidence intervals, and decisions")
    .argument('<model>', 'model name', modelName)
    .option('--json', 'print the status as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const status = await onRollout(cli, model, (handle) => handle.query(rolloutStatusQuery));
      if (status !== undefined) cli.print(options.json === true ? JSON.stringify(status, null, 2) : renderRolloutStatus(cli.config(), status));
    });

  for (const [name, update, description] of [
    ['pause', pauseUpdate, 'stop every automatic action (ramp, promotion, rollback, decision timeout) until resumed'],
    ['resume', resumeUpdate, 'resume a paused rollout, or return from manual traffic to the plan (the current step starts over)'],
  ] as const) {
    withAuthor(command.command(name).description(description).argument('<model>', 'model name', modelName)).action(async (model: string, options: AuthorOptions) => {
      const status = await onRollout(cli, model, (handle) => handle.executeUpdate(update, { args: [{ by: options.by, reason: options.reason }] }));
      if (status !== undefined) cli.print(renderRolloutStatus(cli.config(), status));
    });
  }
  return command;
}

/** `tributary promote <model>`. */
export function promoteCommand(cli: CliEnvironment): Command {
  return withAuthor(new Command('promote').description("make the rollout's challenger the champion now").argument('<model>', 'model name', modelName))
    .option('--force', "promote before the step's minimum sample is reached")
    .action(async (model: string, options: AuthorOptions & { force?: boolean }) => {
      const status = await onRollout(cli, model, (handle) => handle.executeUpdate(promoteUpdate, { args: [{ by: options.by, reason: options.reason, force: options.force === true }] }));
      if (status !== undefined) cli.print(renderRolloutStatus(cli.config(), status));
    });
}

/** `tributary rollback <model>`. */
export function rollbackCommand(cli: CliEnvironment): Command {
  return withAuthor(new Command('rollback').description("reject the rollout's challenger and serve the champion alone").argument('<model>', 'model name', modelName)).action(
    async (model: string, options: AuthorOptions) => {
      const status = await onRollout(cli, model, (handle) => handle.executeUpdate(rollbackUpdate, { args: [{ by: options.by, reason: options.reason }] }));
      if (status !== undefined) cli.print(renderRolloutStatus(cli.config(), status));
    },
  );
}

/** `tributary set-traffic <model> <percent>`. */
export function setTrafficCommand(cli: CliEnvironment): Command {
  return withAuthor(
    new Command('set-traffic')
      .description("give the challenger this share of entity keys (0 puts it in shadow); the plan holds until `tributary rollout resume`")
      .argument('<model>', 'model name', modelName)
      .argument('<percent>', 'share of entity keys, 0 to 100', percentArgument),
  ).action(async (model: string, percent: number, options: AuthorOptions) => {
    const status = await onRollout(cli, model, (handle) => handle.executeUpdate(setTrafficUpdate, { args: [{ by: options.by, reason: options.reason, percent }] }));
    if (status !== undefined) cli.print(renderRolloutStatus(cli.config(), status));
  });
}
