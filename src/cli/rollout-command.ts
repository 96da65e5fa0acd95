/**
 * The champion/challenger rollout from the command line: `tributary rollout start|status|pause|
 * resume`, `tributary promote`, `tributary rollback` and `tributary set-traffic`. Every change
 * goes through a Temporal Update of the model's `rollout:<model>` workflow, so the command prints
 * the rollout's new state when it returns, or the validator's reason when it was refused. What the
 * actions do lives in rollout-actions.ts, imported when one runs, so `--help` stays light.
 */
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { abRollout, PersonAuthor, RolloutStatus } from '../workflows/ab-rollout.js';
import { ROLLOUT_PRESETS, rolloutPlanProblems, type RolloutPlan } from '../workflows/ab-rollout-plan.js';
import type { CliEnvironment } from './cli-environment.js';
import { defaultAuthor } from './default-author.js';
import { positiveInteger } from './option-parsers.js';
import type { StartOptions } from './rollout-actions.js';
import { modelName } from './trigger-command.js';

const actions = () => import('./rollout-actions.js');
const rolloutModule = () => import('../workflows/ab-rollout.js');

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

type AuthorOptions = Required<Pick<PersonAuthor, 'by'>> & Pick<PersonAuthor, 'reason'>;

/** Runs an update on the model's rollout and prints the status it returns (or the refusal). */
async function runUpdate(cli: CliEnvironment, model: string, update: (handle: WorkflowHandle<typeof abRollout>) => Promise<RolloutStatus>): Promise<void> {
  const { onRollout, renderRolloutStatus } = await actions();
  const status = await onRollout(cli, model, update);
  if (status !== undefined) cli.print(renderRolloutStatus(cli.config(), status));
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
    .option('--no-wait', 'return once the rollout has accepted its versions, without waiting for its first step')
    .action(async (model: string, options: StartOptions) => (await actions()).startRollout(cli, model, options));

  command
    .command('status')
    .description("the rollout's phase, step, traffic, per-variant metrics with confidence intervals, and decisions")
    .argument('<model>', 'model name', modelName)
    .option('--json', 'print the status as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const { renderRolloutStatus, rolloutStatusOf } = await actions();
      const status = await rolloutStatusOf(cli, model);
      if (status !== undefined) cli.print(options.json === true ? JSON.stringify(status, null, 2) : renderRolloutStatus(cli.config(), status));
    });

  for (const [name, description] of [
    ['pause', 'stop every automatic action (ramp, promotion, rollback, decision timeout) until resumed'],
    ['resume', 'resume a paused rollout, or return from manual traffic to the plan (the current step starts over)'],
  ] as const) {
    withAuthor(command.command(name).description(description).argument('<model>', 'model name', modelName)).action(async (model: string, options: AuthorOptions) => {
      const { pauseUpdate, resumeUpdate } = await rolloutModule();
      await runUpdate(cli, model, (handle) => handle.executeUpdate(name === 'pause' ? pauseUpdate : resumeUpdate, { args: [{ by: options.by, reason: options.reason }] }));
    });
  }
  return command;
}

/** `tributary promote <model>`. */
export function promoteCommand(cli: CliEnvironment): Command {
  return withAuthor(new Command('promote').description("make the rollout's challenger the champion now").argument('<model>', 'model name', modelName))
    .option('--force', "promote before the step's minimum sample is reached")
    .action(async (model: string, options: AuthorOptions & { force?: boolean }) => {
      const { promoteUpdate } = await rolloutModule();
      await runUpdate(cli, model, (handle) => handle.executeUpdate(promoteUpdate, { args: [{ by: options.by, reason: options.reason, force: options.force === true }] }));
    });
}

/** `tributary rollback <model>`. */
export function rollbackCommand(cli: CliEnvironment): Command {
  return withAuthor(new Command('rollback').description("reject the rollout's challenger and serve the champion alone").argument('<model>', 'model name', modelName)).action(
    async (model: string, options: AuthorOptions) => {
      const { rollbackUpdate } = await rolloutModule();
      await runUpdate(cli, model, (handle) => handle.executeUpdate(rollbackUpdate, { args: [{ by: options.by, reason: options.reason }] }));
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
    const { setTrafficUpdate } = await rolloutModule();
    await runUpdate(cli, model, (handle) => handle.executeUpdate(setTrafficUpdate, { args: [{ by: options.by, reason: options.reason, percent }] }));
  });
}
