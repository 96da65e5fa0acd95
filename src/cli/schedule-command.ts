// The Temporal SDK is imported inside the actions, so `--help` does not load it.
import type { Client, ScheduleOverlapPolicy, ScheduleSummary } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { retrainingScheduleId } from '../temporal/retraining-schedule-id.js';
import { renderTable } from '../terminal/text-table.js';
import { positiveInteger } from './option-parsers.js';
import { modelName } from './trigger-command.js';
import { withClient } from './workflow-client.js';

const temporalClient = () => import('@temporalio/client');

/** Exit code of a request the server refuses as invalid (a bad cron expression). */
const EXIT_BAD_INPUT = 2;
/** gRPC INVALID_ARGUMENT; `@grpc/grpc-js` is not a direct dependency. */
const GRPC_INVALID_ARGUMENT = 3;

/** The SDK's policies are these string values (`ScheduleOverlapPolicy.SKIP === 'SKIP'`); the type keeps them in step. */
const OVERLAP_POLICIES: Readonly<Record<string, ScheduleOverlapPolicy>> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

function overlapPolicy(value: string): ScheduleOverlapPolicy {
  const policy = OVERLAP_POLICIES[value];
  if (policy === undefined) throw new InvalidArgumentError(`expected one of ${Object.keys(OVERLAP_POLICIES).join(', ')}, got "${value}"`);
  return policy;
}


/**
 * The server's own words for an invalid request, e.g. why a cron expression does not parse. The
 * schedule client rethrows the server's INVALID_ARGUMENT as a TypeError carrying its details.
 */
function invalidArgumentMessage(error: unknown, isGrpcServiceError: (error: unknown) => error is Error & { code: number; details: string }): string | undefined {
  if (error instanceof TypeError) return error.message;
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (isGrpcServiceError(current) && current.code === GRPC_INVALID_ARGUMENT) return current.details;
  }
  return undefined;
}

/** Runs `work` on the model's schedule; a missing one becomes a one-line error. */
async function onSchedule(cli: CliEnvironment, model: string, work: (client: Client, scheduleId: string) => Promise<string>): Promise<void> {
  const scheduleId = retrainingScheduleId(model);
  const { ScheduleNotFoundError } = await temporalClient();
  try {
    cli.print(await withClient(cli.config(), (client) => work(client, scheduleId)));
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    cli.fail(`model ${model} has no retraining schedule (${scheduleId}); create one with \`tributary schedule create --model ${model} --cron "<expr>"\``);
  }
}

/** The cron expression as given: the server keeps only the calendar it parsed it into, so the memo carries it. */
function describeSpec(summary: ScheduleSummary): string {
  const cron = summary.memo?.cron;
  return typeof cron === 'string' ? cron : '(not created by tributary)';
}

/** `tributary schedule create|list|pause|unpause|delete|trigger`: periodic retraining with Temporal Schedules. */
export function scheduleCommand(cli: CliEnvironment): Command {
  const command = new Command('schedule').description('periodic retraining: a Temporal Schedule per model that starts a training pipeline on everything retained up to then');

  command
    .command('create')
    .description('create the retraining schedule of a model (schedule id retrain:<model>)')
    .requiredOption('--model <model>', 'model name', modelName)
    .requiredOption('--cron <expr>', 'when to retrain, as a cron expression, e.g. "0 3 * * *" (UTC)')
    .option('--overlap <policy>', `what to do when a run is still going: ${Object.keys(OVERLAP_POLICIES).join(', ')}`, overlapPolicy, OVERLAP_POLICIES.skip)
    .option('--min-examples <count>', 'refuse to train on fewer examples (default: the definition\'s model.training.minExamples)', positiveInteger)
    .action(async (options: { model: string; cron: string; overlap: ScheduleOverlapPolicy; minExamples?: number }) => {
      const config = cli.config();
      const scheduleId = retrainingScheduleId(options.model);
      const [{ isGrpcServiceError, ScheduleAlreadyRunning }, { createRetrainingSchedule }] = await Promise.all([temporalClient(), import('../worker/retraining-schedule-client.js')]);
      try {
        await withClient(config, (client) =>
          createRetrainingSchedule(client, config.temporal.taskQueue, {
            model: options.model,
            cron: options.cron,
            overlap: options.overlap,
            ...(options.minExamples === undefined ? {} : { minExamples: options.minExamples }),
          }),
        );
      } catch (error) {
        if (error instanceof ScheduleAlreadyRunning) {
          cli.fail(`model ${options.model} already has a retraining schedule (${scheduleId}); see \`tributary schedule list\`, or delete it first`);
          return;
        }
        const invalid = invalidArgumentMessage(error, isGrpcServiceError);
        if (invalid === undefined) throw error;
        cli.fail(`the server refused the schedule (cron "${options.cron}"): ${invalid}`);
        cli.setExitCode(EXIT_BAD_INPUT);
        return;
      }
      cli.print(`created schedule ${scheduleId} (${options.cron}, overlap ${String(options.overlap).toLowerCase().replace(/_/g, '-')})`);
    });

  command
    .command('list')
    .description('every retraining schedule with its spec, state and next run')
    .action(async () => {
      const rows = await withClient(cli.config(), async (client) => {
        const found: string[][] = [];
        for await (const summary of client.schedule.list()) {
          if (!summary.scheduleId.startsWith('retrain:')) continue;
          found.push([
            summary.scheduleId,
            describeSpec(summary),
            summary.state.paused ? 'paused' : 'active',
            summary.info.nextActionTimes[0]?.toISOString() ?? '-',
            summary.info.recentActions.at(-1)?.takenAt.toISOString() ?? '-',
          ]);
        }
        return found;
      });
      cli.print(renderTable(['SCHEDULE', 'CRON', 'STATE', 'NEXT RUN', 'LAST RUN'], rows));
    });

  const lifecycle = (name: string, description: string, act: (client: Client, scheduleId: string) => Promise<string>): void => {
    command
      .command(name)
      .description(description)
      .argument('<model>', 'model name', modelName)
      .action(async (model: string) => onSchedule(cli, model, act));
  };
  lifecycle('pause', 'stop starting runs until unpaused', async (client, id) => {
    await client.schedule.getHandle(id).pause('paused with tributary schedule pause');
    return `paused ${id}`;
  });
  lifecycle('unpause', 'start runs on schedule again', async (client, id) => {
    await client.schedule.getHandle(id).unpause('unpaused with tributary schedule unpause');
    return `unpaused ${id}`;
  });
  lifecycle('delete', 'delete the schedule (runs it started keep going)', async (client, id) => {
    await client.schedule.getHandle(id).delete();
    return `deleted ${id}`;
  });
  lifecycle('trigger', 'start a run now, by the schedule’s overlap policy', async (client, id) => {
    await client.schedule.getHandle(id).trigger();
    return `triggered ${id}`;
  });

  return command;
}
