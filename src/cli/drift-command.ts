import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import { workflowUiLink } from '../worker/temporal-connection.js';
import {
  driftMonitorWorkflowId,
  driftPauseSignal,
  driftResumeSignal,
  driftStatusQuery,
  type driftMonitor,
  type DriftMonitorState,
} from '../workflows/drift-monitor.js';
import { TributaryModelName } from '../workflows/search-attributes.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { duration, modelName, withClient } from './trigger-command.js';

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0)) throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return parsed;
}

/** Runs `work` on the model's monitor; a missing monitor becomes a one-line error saying how to start one. */
async function onMonitor<T>(cli: CliEnvironment, model: string, work: (client: Client, workflowId: string) => Promise<T>): Promise<T | undefined> {
  const workflowId = driftMonitorWorkflowId(model);
  try {
    return await withClient(cli.config(), (client) => work(client, workflowId));
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    cli.fail(`no drift monitor is running for model ${model} (workflow ${workflowId}); start one with \`tributary drift start ${model}\``);
    return undefined;
  }
}

const formatTime = (epochMs: number | undefined): string => (epochMs === undefined ? '-' : new Date(epochMs).toISOString());
const figure = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(3));

/** The state as a person reads it: the verdict, the largest figures, the worst five columns. */
export function renderDriftStatus(config: TributaryConfig, model: string, state: DriftMonitorState): string {
  const check = state.lastCheck;
  const figures = check?.figures ?? undefined;
  const worst = figures === undefined ? [] : [...figures.features].sort((a, b) => b.psi - a.psi).slice(0, 5);
  const retraining = state.lastRetraining;
  return [
    `monitor         ${driftMonitorWorkflowId(model)} (${state.paused ? 'paused' : 'checking'}), every ${state.intervalMs} ms; ${state.checks} checks so far`,
    `thresholds      feature PSI >= ${state.featurePsiThreshold}, score PSI >= ${state.scorePsiThreshold}; cooldown ${state.cooldownMs} ms`,
    `last check      ${check === undefined ? 'none yet' : `${formatTime(check.at)}: ${check.outcome}`}`,
    `champion        ${figures === undefined ? '-' : `v${figures.championVersion}: ${figures.referenceRecords} reference vs ${figures.liveRecords} live records`}`,
    `score drift     ${figures?.score == null ? '-' : `PSI ${figure(figures.score.psi)}, KS D ${figure(figures.score.ksStatistic)} (p ${figures.score.ksPValue.toExponential(2)}) over ${figures.score.liveScores} live scores`}`,
    `top features    ${worst.length === 0 ? '-' : worst.map((feature) => `${feature.column} ${figure(feature.psi)}`).join(', ')}`,
    `last error      ${state.lastError ?? '-'}`,
    `last retraining ${retraining === undefined ? '-' : `${retraining.workflowId} at ${formatTime(retraining.startedAt)} (${workflowUiLink(config, retraining.workflowId)})`}`,
  ].join('\n');
}

interface StartOptions {
  readonly every: number;
  readonly featurePsi: number;
  readonly scorePsi: number;
  readonly cooldown: number;
  readonly liveRecords: number;
  readonly referenceRecords: number;
  readonly minLiveRecords: number;
}

/** `tributary drift start|status|pause|resume|stop <model>`: the per-model drift monitor. */
export function driftCommand(cli: CliEnvironment): Command {
  const command = new Command('drift').description(
    'the drift monitor: one long-running workflow per model that compares live features and scores with the champion\'s training reference and retrains on drift',
  );

  command
    .command('start')
    .description('start the model\'s drift monitor (workflow drift-monitor:<model>)')
    .argument('<model>', 'model name', modelName)
    .option('--every <duration>', 'time between two checks', duration, duration('5m'))
    .option('--feature-psi <value>', 'a feature column PSI at or above it is drift', positiveNumber, 0.25)
    .option('--score-psi <value>', "the champion's live-score PSI at or above it is drift", positiveNumber, 0.25)
    .option('--cooldown <duration>', 'least time between two retrainings the monitor starts', duration, duration('1h'))
    .option('--live-records <count>', 'newest feature (and score) records compared per check', positiveInteger, 2000)
    .option('--reference-records <count>', "training examples of the champion's lineage used as reference", positiveInteger, 5000)
    .option('--min-live-records <count>', 'fewer live records decide nothing', positiveInteger, 500)
    .action(async (model: string, options: StartOptions) => {
      const config = cli.config();
      const workflowId = driftMonitorWorkflowId(model);
      try {
        await withClient(config, (client) =>
          client.workflow.start<typeof driftMonitor>('driftMonitor', {
            taskQueue: config.temporal.taskQueue,
            workflowId,
            args: [
              model,
              {
                intervalMs: options.every,
                featurePsiThreshold: options.featurePsi,
                scorePsiThreshold: options.scorePsi,
                cooldownMs: options.cooldown,
                liveRecords: options.liveRecords,
                referenceRecords: options.referenceRecords,
                minLiveRecords: options.minLiveRecords,
              },
            ],
            typedSearchAttributes: [{ key: TributaryModelName, value: model }],
          }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        cli.fail(`a drift monitor for model ${model} is already running (workflow ${workflowId}); see it with \`tributary drift status ${model}\` or at ${workflowUiLink(config, workflowId)}`);
        return;
      }
      cli.print(`started ${workflowId}: ${workflowUiLink(config, workflowId)}`);
    });

  command
    .command('status')
    .description("the monitor's state: last check with its figures and verdict, last retraining started")
    .argument('<model>', 'model name', modelName)
    .option('--json', 'print the state as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const state = await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).query(driftStatusQuery));
      if (state !== undefined) cli.print(options.json === true ? JSON.stringify(state, null, 2) : renderDriftStatus(cli.config(), model, state));
    });

  command
    .command('pause')
    .description('stop checking until resumed (a retraining already started keeps running)')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      if ((await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).signal(driftPauseSignal).then(() => true))) === true) cli.print(`paused ${driftMonitorWorkflowId(model)}`);
    });

  command
    .command('resume')
    .description('resume checking at once')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      if ((await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).signal(driftResumeSignal).then(() => true))) === true) cli.print(`resumed ${driftMonitorWorkflowId(model)}`);
    });

  command
    .command('stop')
    .description('end the monitor (a retraining it started keeps running)')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      const by = `stopped with tributary drift stop by ${process.env.USER ?? 'a CLI user'}`;
      if ((await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).terminate(by).then(() => true))) === true) cli.print(`stopped ${driftMonitorWorkflowId(model)}`);
    });

  return command;
}
