import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { DriftMonitorStopped } from '../workflows/drift-monitor.js';
import type { CliEnvironment } from './cli-environment.js';
import { defaultAuthor } from './default-author.js';
import { positiveInteger } from './option-parsers.js';
import { duration, modelName, STOP_WAIT_MS } from './trigger-command.js';
import { uiLinkOf, whyNotRunning, withClient } from './workflow-client.js';

// The Temporal SDK and the workflow module are imported inside the actions, so `--help` does not load them.
const monitor = () => import('../workflows/drift-monitor.js');

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0)) throw new InvalidArgumentError(`expected a number above 0, got "${value}"`);
  return parsed;
}

/** Runs `work` on the model's monitor; a missing monitor becomes a one-line error saying how to start one. */
async function onMonitor<T>(cli: CliEnvironment, model: string, work: (client: Client, workflowId: string) => Promise<T>): Promise<T | undefined> {
  const workflowId = (await monitor()).driftMonitorWorkflowId(model);
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  try {
    return await withClient(cli.config(), (client) => work(client, workflowId));
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    cli.fail(`no drift monitor is running for model ${model} (workflow ${workflowId}); start one with \`tributary drift start ${model}\``);
    return undefined;
  }
}

/** What `drift stop` prints once the monitor has ended. */
export function describeStoppedMonitor(workflowId: string, stopped: DriftMonitorStopped): string {
  const { state } = stopped;
  const last = state.lastRetraining === undefined ? 'none started' : `the last, ${state.lastRetraining.workflowId}, keeps running if it still is`;
  return `stopped ${workflowId} (by ${stopped.stoppedBy}${stopped.reason === undefined ? '' : `: ${stopped.reason}`}) after ${state.checks} checks; retrainings: ${state.retrainingsStarted} started, ${last}`;
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
      const [{ driftMonitorWorkflowId }, { startDriftMonitor }, { WorkflowExecutionAlreadyStartedError }] = await Promise.all([
        monitor(),
        import('../worker/drift-monitor-client.js'),
        import('@temporalio/client'),
      ]);
      const workflowId = driftMonitorWorkflowId(model);
      try {
        await withClient(config, (client) =>
          startDriftMonitor(client, config.temporal.taskQueue, model, {
            intervalMs: options.every,
            featurePsiThreshold: options.featurePsi,
            scorePsiThreshold: options.scorePsi,
            cooldownMs: options.cooldown,
            liveRecords: options.liveRecords,
            referenceRecords: options.referenceRecords,
            minLiveRecords: options.minLiveRecords,
          }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        cli.fail(`a drift monitor for model ${model} is already running (workflow ${workflowId}); see it with \`tributary drift status ${model}\` or at ${await uiLinkOf(config, workflowId)}`);
        return;
      }
      cli.print(`started ${workflowId}: ${await uiLinkOf(config, workflowId)}`);
    });

  command
    .command('status')
    .description("the monitor's state: last check with its figures and verdict, last retraining started")
    .argument('<model>', 'model name', modelName)
    .option('--json', 'print the state as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const { driftStatusQuery } = await monitor();
      const found = await onMonitor(cli, model, async (client, id) => {
        const handle = client.workflow.getHandle(id);
        const ended = await whyNotRunning(handle);
        return ended === undefined ? { state: await handle.query(driftStatusQuery) } : { id, ended };
      });
      if (found === undefined) return;
      if ('ended' in found) return cli.fail(`the drift monitor of model ${model} is not running: it ${found.ended} (workflow ${found.id}); start one with \`tributary drift start ${model}\``);
      const { renderDriftStatus } = await import('./drift-status.js');
      cli.print(options.json === true ? JSON.stringify(found.state, null, 2) : renderDriftStatus(cli.config(), model, found.state));
    });

  command
    .command('pause')
    .description('stop checking until resumed (a retraining already started keeps running)')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      const { driftMonitorWorkflowId, driftPauseSignal } = await monitor();
      if ((await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).signal(driftPauseSignal).then(() => true))) === true) cli.print(`paused ${driftMonitorWorkflowId(model)}`);
    });

  command
    .command('resume')
    .description('resume checking at once')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      const { driftMonitorWorkflowId, driftResumeSignal } = await monitor();
      if ((await onMonitor(cli, model, (client, id) => client.workflow.getHandle(id).signal(driftResumeSignal).then(() => true))) === true) cli.print(`resumed ${driftMonitorWorkflowId(model)}`);
    });

  command
    .command('stop')
    .description('end the monitor after the check in progress, if any (a retraining it started keeps running); start it again with `drift start`')
    .argument('<model>', 'model name', modelName)
    .option('--by <name>', 'who stops it, recorded in its result; the OS user by default', defaultAuthor())
    .option('--reason <text>', 'why; recorded in its result')
    .action(async (model: string, options: { by: string; reason?: string }) => {
      const { stopDriftMonitor } = await import('../worker/drift-monitor-client.js');
      const request = { by: options.by, ...(options.reason === undefined ? {} : { reason: options.reason }) };
      const outcome = await onMonitor(cli, model, async (client, id) => ({ id, stopped: await stopDriftMonitor(client, model, request, STOP_WAIT_MS) }));
      if (outcome === undefined) return;
      if (outcome.stopped !== undefined) cli.print(describeStoppedMonitor(outcome.id, outcome.stopped));
      else cli.print(`asked ${outcome.id} to stop; it ends after the check in progress (is a worker polling task queue ${cli.config().temporal.taskQueue}?). Follow it at ${await uiLinkOf(cli.config(), outcome.id)}`);
    });

  return command;
}
