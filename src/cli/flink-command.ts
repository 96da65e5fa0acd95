import { Command } from 'commander';
import { FeatureJobDeployer, type FeatureJobStatus } from '../flink/feature-job.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { progressPrinter, renderTable } from './output.js';

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export function renderFeatureJobStatus(status: FeatureJobStatus): string {
  const checkpoint = status.lastCheckpoint
    ? `#${status.lastCheckpoint.id} at ${iso(status.lastCheckpoint.completedAt)} (${status.lastCheckpoint.durationMs} ms)`
    : 'none completed yet';
  return renderTable(['JOB ID', 'NAME', 'STATE', 'STARTED', 'LAST CHECKPOINT'], [
    [status.jobId, status.name, status.state, iso(status.startTime), checkpoint],
  ]);
}

/** `tributary flink submit | status | cancel`: the feature job on the Flink session cluster. */
export function flinkCommand(cli: CliEnvironment): Command {
  const command = new Command('flink').description('deploy and inspect the Flink feature job (builds its jar with Maven when the sources changed)');
  const deployer = (): FeatureJobDeployer => new FeatureJobDeployer(cli.config(), { progress: progressPrinter() });

  command
    .command('submit')
    .description('build the jar if needed, upload it and run the feature job; refuses while one runs unless --force or --job-id')
    .option('--from-savepoint <path>', 'restore state from this savepoint or retained checkpoint')
    .option('--allow-non-restored-state', 'restore even when savepoint state belongs to no operator of this job')
    .option('--parallelism <n>', 'parallelism of the job (default: the cluster default)', positiveInteger)
    .option('--job-version <version>', 'version written into every feature record (default: jar-<sha256 of the jar>)')
    .option('--job-id <id>', 'run under this job id (32 hex characters); skips the running-job check, like --force')
    .option('--force', 'submit even when a feature job is already running')
    .action(async (options: { fromSavepoint?: string; allowNonRestoredState?: boolean; parallelism?: number; jobVersion?: string; jobId?: string; force?: boolean }) => {
      const submitted = await deployer().submit({
        savepointPath: options.fromSavepoint,
        allowNonRestoredState: options.allowNonRestoredState,
        parallelism: options.parallelism,
        jobVersion: options.jobVersion,
        jobId: options.jobId,
        force: options.force,
      });
      cli.print(`feature job ${submitted.spec.jobName} (version ${submitted.spec.jobVersion}) is RUNNING as job ${submitted.jobId}`);
      cli.print(`  reads ${submitted.spec.topics.transactions}, ${submitted.spec.topics.labels}; writes ${submitted.spec.topics.features}, ${submitted.spec.topics.trainingExamples}, ${submitted.spec.topics.dlq}`);
      cli.print(`  Flink UI: ${cli.config().flink.restUrl}/#/job/running/${submitted.jobId}/overview`);
    });

  command
    .command('status')
    .description('show the running feature job: state, start time, last completed checkpoint')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await deployer().status();
      if (options.json) cli.print(JSON.stringify(status ?? null, null, 2));
      else cli.print(status ? renderFeatureJobStatus(status) : 'no feature job is running');
      if (!status) cli.setExitCode(1);
    });

  command
    .command('cancel')
    .description('cancel the running feature job (no savepoint) and wait until it is CANCELED')
    .option('--job-id <id>', 'cancel this job id instead of the one found by name')
    .action(async (options: { jobId?: string }) => {
      const jobId = await deployer().cancel({ jobId: options.jobId });
      cli.print(`feature job ${jobId} is CANCELED`);
    });

  return command;
}
