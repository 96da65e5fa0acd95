/**
 * `tributary trigger …`, and the argument parsers the other commands share (durations, model
 * names). The Temporal SDK and the workflow module are imported inside the actions, so building
 * the command tree (and `--help`) does not load them.
 */
import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import { DURATION_EXPECTED, parseDuration } from '../pipelines/duration.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { ThresholdTriggerState, ThresholdTriggerStopped } from '../workflows/threshold-trigger.js';
import type { CliEnvironment } from './cli-environment.js';
import { defaultAuthor } from './default-author.js';
import { positiveInteger } from './option-parsers.js';
import { uiLinkOf, whyNotRunning, withClient } from './workflow-client.js';

/** How long `stop` waits for the workflow to end before saying it ends after the work in progress. */
export const STOP_WAIT_MS = 30_000;

/** An option's duration (`500ms`, `30s`, `10m`, `2h`, `7d`) in milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value.trim());
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_EXPECTED}, got "${value}"`);
  return ms;
}

/** A model name as the registry and workflow ids take it: lowercase letters, digits, `.`, `_` and `-`. */
export function modelName(value: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(value)) {
    throw new InvalidArgumentError(`expected a model name of lowercase letters, digits, '.', '_' and '-' (starting with a letter or digit), got "${value}"`);
  }
  return value;
}

const nonNegativeInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a whole number >= 0, got "${value}"`);
  return parsed;
};

const trigger = () => import('../workflows/threshold-trigger.js');

/** Runs `work` on the model's trigger; a missing trigger becomes a one-line error saying how to start one. */
async function onTrigger<T>(cli: CliEnvironment, model: string, work: (client: Client, workflowId: string) => Promise<T>): Promise<T | undefined> {
  const workflowId = (await trigger()).thresholdTriggerWorkflowId(model);
  const { WorkflowNotFoundError } = await import('@temporalio/client');
  try {
    return await withClient(cli.config(), (client) => work(client, workflowId));
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    cli.fail(`no threshold trigger is running for model ${model} (workflow ${workflowId}); start one with \`tributary trigger start ${model}\``);
    return undefined;
  }
}

const formatTime = (epochMs: number | undefined): string => (epochMs === undefined ? '-' : new Date(epochMs).toISOString());

/** What `trigger status` shows of one trigger. */
export interface TriggerStatusView {
  readonly workflowId: string;
  readonly state: ThresholdTriggerState;
  /** The pipeline's task: a regression's labels are values, so it has no positive examples to show. */
  readonly task: ModelTask;
  /** Where the last training started can be followed; undefined when none started. */
  readonly lastTrainingLink: string | undefined;
}

/** The trigger's state as `trigger status` prints it; the lines about positive examples are a classifier's only. */
export function renderTriggerStatus({ workflowId, state, task, lastTrainingLink }: TriggerStatusView): string {
  const last = state.lastStarted;
  const classifier = task === 'binary-classification';
  return [
    `trigger        ${workflowId} (${state.paused ? 'paused' : 'polling'})`,
    `threshold      ${state.threshold} new examples${classifier ? `, at least ${state.minPositives} positive examples` : ''}`,
    ...(classifier ? [`positives      ${describeWindowPositives(state)}`] : []),
    `cooldown       ${state.cooldownMs} ms; poll every ${state.pollIntervalMs} ms; ${state.polls} polls so far`,
    `last poll      ${formatTime(state.lastPoll?.at)}: ${state.lastPoll?.outcome ?? '-'}`,
    `last error     ${state.lastError ?? '-'}`,
    `last training  ${last === undefined ? '-' : `${last.workflowId} at ${formatTime(last.startedAt)} (${lastTrainingLink ?? '-'})`}`,
    `last offsets   ${last === undefined ? '-' : last.offsetRanges.map((range) => `${range.partition}:[${range.fromOffset},${range.toOffset})`).join(' ')}`,
  ].join('\n');
}

/**
 * The pipeline's task: the one the trigger's last count reported (the applied definition's), else
 * the applied definition's read from the pipeline store; a model with no pipeline applied is the
 * catalogue's classifier, as before pipelines existed.
 */
async function triggerTask(config: TributaryConfig, model: string, state: ThresholdTriggerState): Promise<ModelTask> {
  const counted = state.lastPoll?.counted?.task;
  if (counted !== undefined) return counted;
  const { createPipelineStore } = await import('../pipeline-store/kafka-pipeline-store.js');
  const pipelines = await createPipelineStore(config);
  try {
    return (await pipelines.current(model))?.definition.model.task ?? 'binary-classification';
  } finally {
    await pipelines.close();
  }
}

/** The positive examples the whole training window needs for the pipeline's test split, and what the last poll found. */
function describeWindowPositives(state: ThresholdTriggerState): string {
  // Runs started before the trigger applied this rule carry 0 (or nothing, from an older worker).
  if (!(state.windowPositivesNeeded > 0)) return 'not required by this run (started before the rule)';
  const { windowPositives, testSplitPositives } = state.lastPoll ?? {};
  return `at least ${state.windowPositivesNeeded} in everything a training reads, and gates.minTestPositives in its test split; last counted ${windowPositives ?? '-'} (test split ${testSplitPositives ?? '-'})`;
}

/** What `trigger stop` prints once the trigger has ended. */
export function describeStoppedTrigger(workflowId: string, stopped: ThresholdTriggerStopped): string {
  const { state } = stopped;
  const last = state.lastStarted === undefined ? 'none started' : `the last, ${state.lastStarted.workflowId}, keeps running if it still is`;
  return `stopped ${workflowId} (by ${stopped.stoppedBy}${stopped.reason === undefined ? '' : `: ${stopped.reason}`}) after ${state.polls} polls; training runs: ${state.trainingsStarted} started, ${last}`;
}

/** `tributary trigger start|pause|resume|stop|status|set-threshold`: the per-model threshold trigger. */
export function triggerCommand(cli: CliEnvironment): Command {
  const command = new Command('trigger').description('the threshold trigger: one long-running workflow per model that starts training when enough new labelled examples arrive');

  command
    .command('start')
    .description(`start the model's trigger (workflow threshold-trigger:<model>)`)
    .argument('<model>', 'model name', modelName)
    .option('--threshold <count>', 'new examples that start a training run', positiveInteger, 1000)
    .option('--min-positives <count>', 'new positive labels also required', nonNegativeInteger, 0)
    .option('--cooldown <duration>', 'least time between two training starts', duration, duration('10m'))
    .option('--poll <duration>', 'time between two polls of the end offsets', duration, duration('30s'))
    .action(async (model: string, options: { threshold: number; minPositives: number; cooldown: number; poll: number }) => {
      const config = cli.config();
      const [{ thresholdTriggerWorkflowId }, { startThresholdTrigger }, { WorkflowExecutionAlreadyStartedError }] = await Promise.all([
        trigger(),
        import('../worker/threshold-trigger-client.js'),
        import('@temporalio/client'),
      ]);
      const workflowId = thresholdTriggerWorkflowId(model);
      try {
        await withClient(config, (client) =>
          startThresholdTrigger(client, config.temporal.taskQueue, model, { threshold: options.threshold, minPositives: options.minPositives, cooldownMs: options.cooldown, pollIntervalMs: options.poll }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        cli.fail(`a threshold trigger for model ${model} is already running (workflow ${workflowId}); see it with \`tributary trigger status ${model}\` or at ${await uiLinkOf(config, workflowId)}`);
        return;
      }
      cli.print(`started ${workflowId}: ${await uiLinkOf(config, workflowId)}`);
    });

  command
    .command('pause')
    .description('stop polling until resumed (a training run already started keeps running)')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      const { pauseSignal, thresholdTriggerWorkflowId } = await trigger();
      if ((await onTrigger(cli, model, (client, id) => client.workflow.getHandle(id).signal(pauseSignal).then(() => true))) === true) cli.print(`paused ${thresholdTriggerWorkflowId(model)}`);
    });

  command
    .command('resume')
    .description('resume polling at once')
    .argument('<model>', 'model name', modelName)
    .action(async (model: string) => {
      const { resumeSignal, thresholdTriggerWorkflowId } = await trigger();
      if ((await onTrigger(cli, model, (client, id) => client.workflow.getHandle(id).signal(resumeSignal).then(() => true))) === true) cli.print(`resumed ${thresholdTriggerWorkflowId(model)}`);
    });

  command
    .command('stop')
    .description('end the trigger after the poll in progress, if any (a training run it started keeps running); start it again with `trigger start`')
    .argument('<model>', 'model name', modelName)
    .option('--by <name>', 'who stops it, recorded in its result; the OS user by default', defaultAuthor())
    .option('--reason <text>', 'why; recorded in its result')
    .action(async (model: string, options: { by: string; reason?: string }) => {
      const { stopThresholdTrigger } = await import('../worker/threshold-trigger-client.js');
      const request = { by: options.by, ...(options.reason === undefined ? {} : { reason: options.reason }) };
      const outcome = await onTrigger(cli, model, async (client, id) => ({ id, stopped: await stopThresholdTrigger(client, model, request, STOP_WAIT_MS) }));
      if (outcome === undefined) return;
      if (outcome.stopped !== undefined) cli.print(describeStoppedTrigger(outcome.id, outcome.stopped));
      else cli.print(`asked ${outcome.id} to stop; it ends after the poll in progress (is a worker polling task queue ${cli.config().temporal.taskQueue}?). Follow it at ${await uiLinkOf(cli.config(), outcome.id)}`);
    });

  command
    .command('set-threshold')
    .description('change the threshold (and optionally the minimum positives); applies at the next poll, which starts at once')
    .argument('<model>', 'model name', modelName)
    .argument('<count>', 'new examples that start a training run', positiveInteger)
    .option('--min-positives <count>', 'new positive labels also required', nonNegativeInteger)
    .action(async (model: string, threshold: number, options: { minPositives?: number }) => {
      const { setThresholdSignal, thresholdTriggerWorkflowId } = await trigger();
      const update = { threshold, ...(options.minPositives === undefined ? {} : { minPositives: options.minPositives }) };
      if ((await onTrigger(cli, model, (client, id) => client.workflow.getHandle(id).signal(setThresholdSignal, update).then(() => true))) === true) {
        cli.print(`threshold of ${thresholdTriggerWorkflowId(model)} set to ${threshold}`);
      }
    });

  command
    .command('status')
    .description("the trigger's state: paused, threshold, cooldown, last poll, last training started and its offsets")
    .argument('<model>', 'model name', modelName)
    .option('--json', 'print the state as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const { statusQuery } = await trigger();
      const found = await onTrigger(cli, model, async (client, id) => {
        const handle = client.workflow.getHandle(id);
        const ended = await whyNotRunning(handle);
        return ended === undefined ? { state: await handle.query(statusQuery) } : { id, ended };
      });
      if (found === undefined) return;
      if ('ended' in found) return cli.fail(`the threshold trigger of model ${model} is not running: it ${found.ended} (workflow ${found.id}); start one with \`tributary trigger start ${model}\``);
      if (options.json === true) return cli.print(JSON.stringify(found.state, null, 2));
      const { thresholdTriggerWorkflowId } = await trigger();
      const last = found.state.lastStarted;
      cli.print(
        renderTriggerStatus({
          workflowId: thresholdTriggerWorkflowId(model),
          state: found.state,
          task: await triggerTask(cli.config(), model, found.state),
          lastTrainingLink: last === undefined ? undefined : await uiLinkOf(cli.config(), last.workflowId),
        }),
      );
    });

  return command;
}
