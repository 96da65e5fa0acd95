/**
 * `tributary flink …`. The Temporal SDK, the Flink REST client and the jar builder are imported
 * inside the actions that use them (`await import`), so `tributary --help` loads none of them.
 */
import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import type { FlinkJobSpec } from '../flink/deployment-spec.js';
import type { DeploymentRecord, SavepointEntry } from '../flink/deployment-record.js';
import type { FeatureJobDeployer, FeatureJobStatus } from '../flink/feature-job.js';
import type { FlinkDeployInput, FlinkDeployResult, FlinkDeployStatus, UpgradeMode } from '../workflows/flink-deploy.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { pipelineName } from './pipeline-name.js';
import { isDefinitionFile } from './pipeline-jar-job.js';
import { renderTable } from '../terminal/text-table.js';
import { progressPrinter } from './output.js';

/** The feature job's name when none is given; the same as `FEATURE_JOB_NAME`, without loading the job's module for --help. */
const DEFAULT_JOB_NAME = 'tributary-feature-job';

/** Where `flink submit` and `flink deploy` find the jar job: the platform has none of its own. */
/** A definition file as given, else a pipeline name, refused before connecting when no pipeline could have it. */
const definitionFileOrPipelineName = (value: string): string => (isDefinitionFile(value) ? value : pipelineName(value));

const pipelineOption = (): Option =>
  new Option('--pipeline <file|name>', 'the pipeline whose jar feature job this is: its definition file, or the name of an applied pipeline (default: the applied pipeline whose feature job has this name)').argParser(
    definitionFileOrPipelineName,
  );

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

export function renderFeatureJobStatus(status: FeatureJobStatus): string {
  const checkpoint = status.lastCheckpoint
    ? `#${status.lastCheckpoint.id} at ${iso(status.lastCheckpoint.completedAt)} (${status.lastCheckpoint.durationMs} ms)`
    : 'none completed yet';
  return renderTable(['JOB ID', 'NAME', 'STATE', 'STARTED', 'LAST CHECKPOINT'], [
    [status.jobId, status.name, status.state, iso(status.startTime), checkpoint],
  ]);
}

/** The command that starts `jobName` again from `savepoint`, with the version it ran when known. */
export function resumeCommand(jobName: string, savepoint: string, version: string | undefined): string {
  return `tributary flink deploy ${jobName} --from-savepoint ${savepoint}${version ? ` --job-version ${version}` : ''}`;
}

/** What `flink cancel --discard-state` loses, said before it does. */
export const DISCARDED_STATE_WARNING =
  'state discarded: the events the job holds in its windows and timers (transactions whose source offsets are already committed but whose features were not emitted yet) are lost for good; ' +
  'a new start reads on from the committed offsets';

/** `tributary flink submit | status | cancel`: the feature job on the Flink session cluster. */
export function flinkCommand(cli: CliEnvironment): Command {
  const command = new Command('flink').description('deploy and inspect the Flink feature job (builds its jar with Maven when the sources changed)');
  const deployer = async (): Promise<FeatureJobDeployer> => {
    const { FeatureJobDeployer } = await import('../flink/feature-job.js');
    return new FeatureJobDeployer(cli.config(), { progress: progressPrinter() });
  };
  const jobNameOption = (): Option => new Option('--job-name <name>', 'the job\'s name on the cluster').default(DEFAULT_JOB_NAME);

  command
    .command('submit')
    .description('build a pipeline\'s jar feature job if needed, upload it and run it, recorded as the job\'s deployment (a later `flink deploy` upgrades it by savepoint); refuses while one runs')
    .addOption(jobNameOption())
    .addOption(pipelineOption())
    .option('--from-savepoint <path>', 'restore state from this savepoint or retained checkpoint')
    .option('--allow-non-restored-state', 'restore even when savepoint state belongs to no operator of this job')
    .option('--parallelism <n>', 'parallelism of the job (default: the cluster default)', positiveInteger)
    .option('--job-version <version>', 'version written into every feature record (default: jar-<sha256 of the jar>)')
    .option('--job-id <id>', 'run under this job id (32 hex characters); skips the running-job check, like --force')
    .option('--force', 'submit even when a job of the name runs: a second copy that writes the same topics (every feature twice), not recorded')
    .action(async (options: { jobName: string; pipeline?: string; fromSavepoint?: string; allowNonRestoredState?: boolean; parallelism?: number; jobVersion?: string; jobId?: string; force?: boolean }) => {
      const { noPipelineMessage, PipelineJarJobError, resolvePipelineJarJob } = await import('./pipeline-jar-job.js');
      const job = await resolvePipelineJarJob(cli.config(), { jobName: options.jobName, pipeline: options.pipeline });
      if (!job) throw new PipelineJarJobError(noPipelineMessage(options.jobName));
      const submitted = await (await deployer()).submit({
        job,
        jobName: options.jobName,
        savepointPath: options.fromSavepoint,
        allowNonRestoredState: options.allowNonRestoredState,
        parallelism: options.parallelism,
        jobVersion: options.jobVersion,
        jobId: options.jobId,
        force: options.force,
      });
      cli.print(`feature job ${submitted.spec.jobName} (version ${submitted.spec.jobVersion}) is RUNNING as job ${submitted.jobId}`);
      cli.print(`  reads ${[...submitted.spec.topics.sources, submitted.spec.topics.labels].join(', ')}; writes ${submitted.spec.topics.features}, ${submitted.spec.topics.trainingExamples}, ${submitted.spec.topics.dlq}`);
      cli.print(`  Flink UI: ${cli.config().flink.restUrl}/#/job/running/${submitted.jobId}/overview`);
      if (!submitted.recorded) cli.print(`  not recorded as the deployment of ${submitted.spec.jobName}: another job of that name runs too`);
    });

  command
    .command('status')
    .description('show the running feature job: state, start time, last completed checkpoint')
    .addOption(jobNameOption())
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { jobName: string; json?: boolean }) => {
      const status = await (await deployer()).status(options.jobName);
      if (options.json) cli.print(JSON.stringify(status ?? null, null, 2));
      else cli.print(status ? renderFeatureJobStatus(status) : 'no feature job is running');
      if (!status) cli.setExitCode(1);
    });

  command
    .command('cancel')
    .description('stop the running feature job with a savepoint (its window state survives) and print the command that resumes from it; --discard-state cancels without one')
    .addOption(jobNameOption())
    .option('--job-id <id>', 'stop this job id instead of the one found by name')
    .option('--discard-state', 'cancel without a savepoint: events held in windows and timers are lost for good')
    .action(async (options: { jobName: string; jobId?: string; discardState?: boolean }) => {
      const target = { jobName: options.jobName, jobId: options.jobId };
      if (options.discardState) {
        process.stderr.write(`${DISCARDED_STATE_WARNING}\n`);
        const jobId = await (await deployer()).cancel(target);
        cli.print(`feature job ${jobId} is CANCELED, its state discarded`);
        return;
      }
      const stopped = await (await deployer()).stop(target);
      cli.print(`feature job ${stopped.jobId} stopped with a savepoint: ${stopped.savepoint}`);
      cli.print(`  resume it with its state: ${resumeCommand(options.jobName, stopped.savepoint, stopped.version)}`);
    });

  addDeploymentCommands(command, cli);
  return command;
}

const DEFAULT_SAVEPOINT_RETENTION = 5;
const MANUAL_SAVEPOINT_TIMEOUT_MS = 300_000;

function upgradeMode(value: string): UpgradeMode {
  if (value !== 'savepoint' && value !== 'stateless' && value !== 'blue-green') throw new InvalidArgumentError(`expected savepoint, stateless or blue-green, got "${value}"`);
  return value;
}

/** A progress line per phase, with what the phase is doing where that helps a person follow it. */
export function describePhase(status: FlinkDeployStatus): string {
  const handoff = status.handoff;
  switch (status.phase) {
    case 'preparing-output':
      return handoff ? `preparing-output: ${handoff.newTopic} (like ${handoff.previousTopic})` : status.phase;
    case 'savepointing':
      if (status.adoptedJobId) return `savepointing: stopping job ${status.adoptedJobId}, which no deployment recorded, to start the new version from its state`;
      return status.mode === 'blue-green' ? `savepointing: job ${status.previousJobId ?? '?'} keeps running` : status.phase;
    case 'submitting':
      return `submitting: ${status.toVersion} as job ${status.newJobId ?? '?'}`;
    case 'taking-over':
      return handoff ? `taking-over: models reading ${handoff.previousTopic} move to ${handoff.newTopic}` : status.phase;
    case 'stopping-previous':
      return `stopping-previous: job ${status.previousJobId ?? '?'} (${status.fromVersion ?? '?'}) with a savepoint`;
    default:
      return status.phase;
  }
}

async function withClient<T>(config: TributaryConfig, body: (client: Client) => Promise<T>): Promise<T> {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 10_000 });
  try {
    return await body(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

/** One line per outcome, with what a person needs next. */
export function renderDeployResult(result: FlinkDeployResult): string {
  const lines = [`${result.jobName}: ${result.outcome} (${result.fromVersion ?? 'nothing'} → ${result.toVersion}, mode ${result.mode})`];
  if (result.adoptedJobId) lines.push(`  adopted:     job ${result.adoptedJobId} (run without a recorded deployment), stopped with the savepoint below`);
  if (result.jobId) lines.push(`  running job: ${result.jobId}`);
  if (result.savepoint) lines.push(`  savepoint:   ${result.savepoint}`);
  if (result.downtimeMs !== undefined) lines.push(`  downtime:    ${(result.downtimeMs / 1000).toFixed(1)} s (old job stopped → ${result.outcome === 'rolled-back' ? 'rolled-back' : 'new'} job RUNNING)`);
  const health = result.outcome === 'rolled-back' ? result.rollbackHealth : result.health;
  if (health) lines.push(`  health:      ${health.figures.completedCheckpoints} checkpoint(s), ${health.figures.restarts} restart(s), ${health.figures.exceptions} exception(s), +${health.figures.outputRecords ?? '?'} output / +${health.figures.inputRecords ?? '?'} input offsets in ${(health.figures.watchedMs / 1000).toFixed(1)} s`);
  if (result.catchUp) lines.push(`  catch-up:    ${result.catchUp.caughtUp ? 'caught up' : 'behind'}, backlog ${result.catchUp.backlogRecords ?? '?'} record(s) after ${(result.catchUp.waitedMs / 1000).toFixed(1)} s`);
  if (result.handoff) {
    lines.push(`  features:    ${result.handoff.previousTopic} → ${result.handoff.newTopic}${result.handoff.overlapFrom ? ` (overlap from ${result.handoff.overlapFrom.map((entry) => `${entry.partition}:${entry.offset}`).join(', ')})` : ''}`);
    if (result.handoff.models) lines.push(`  models:      ${result.handoff.models.length > 0 ? result.handoff.models.join(', ') : 'none read the old topic'}`);
  }
  if (result.takeoverMs !== undefined) lines.push(`  takeover:    ${(result.takeoverMs / 1000).toFixed(1)} s (decision → old job stopped)`);
  if (result.error) lines.push(`  ${(result.outcome === 'deployed' ? 'note:' : 'why:').padEnd(13)}${result.error}`);
  if (result.disposedSavepoints.length > 0) lines.push(`  disposed:    ${result.disposedSavepoints.join(', ')}`);
  // Nothing runs after a failed deployment that started from a savepoint: that savepoint holds the state.
  if (result.outcome === 'failed' && result.savepoint) lines.push(`  resume:      ${resumeCommand(result.jobName, result.savepoint, undefined)}`);
  return lines.join('\n');
}

export function renderDeploymentRecord(record: DeploymentRecord): string {
  const current = record.current
    ? `current: ${record.current.spec.version} as job ${record.current.jobId} since ${iso(record.current.since)}${record.current.restoredFrom ? ` (restored from ${record.current.restoredFrom})` : ''}`
    : 'current: nothing deployed';
  const savepoints = record.savepoints.length === 0
    ? 'no savepoints'
    : renderTable(['TAKEN', 'REASON', 'VERSION', 'JOB ID', 'PATH'], record.savepoints.map((entry) => [iso(entry.takenAt), entry.reason, entry.version, entry.jobId, entry.path]));
  const events = record.events.length === 0
    ? 'no deployments'
    : renderTable(['ENDED', 'OUTCOME', 'MODE', 'FROM', 'TO', 'DOWNTIME', 'FEATURES', 'ERROR'], record.events.map((event) => [
      iso(event.at), event.outcome, event.mode, event.fromVersion ?? '-', event.toVersion,
      event.downtimeMs === undefined ? '-' : `${(event.downtimeMs / 1000).toFixed(1)} s`,
      event.handoff ? `${event.handoff.previousTopic} → ${event.handoff.newTopic} (${event.handoff.models.length} model(s))` : '-',
      (event.error ?? '').split('\n')[0] ?? '',
    ]));
  return [`${record.jobName}`, current, '', savepoints, '', events].join('\n');
}

/** `tributary flink deploy | savepoint | history`: deployments through the flinkDeploy workflow. */
function addDeploymentCommands(command: Command, cli: CliEnvironment): void {
  const deploy = command.command('deploy');
  deploy
    .description(
      'upgrade the feature job through the flinkDeploy workflow (stop with savepoint → submit from it → health window → roll back on failure; ' +
        'blue-green: start beside the running job on a versioned features topic → health window and catch-up → move the models → stop the old job). ' +
        'Without --no-wait the command runs a worker in this process until the deployment ends; with --no-wait a running `tributary worker` carries it out.',
    )
    .argument('<job>', 'the job name (e.g. tributary-feature-job)')
    .addOption(
      new Option('--spec <file>', 'deploy the spec in this JSON file (jobName, version, jarPath, entryClass, programArgs, parallelism, flinkConfiguration, observedTopics) instead of a pipeline\'s jar job built from its sources')
        .conflicts(['jobVersion', 'parallelism', 'checkpointInterval', 'pipeline']),
    )
    .addOption(pipelineOption())
    .option('--job-version <version>', 'version written into every feature record (default: jar-<sha256 of the jar>)')
    .option('--from-savepoint <path>', 'when no job of the name runs (a first deployment, or after `flink cancel`): start from this savepoint or retained checkpoint')
    .option('--mode <mode>', 'savepoint (state carried over), stateless (cancel and start without state: events held in windows and timers are lost) or blue-green (new version beside the old one on <features topic>.<version>, takes over when caught up)', upgradeMode, 'savepoint' as UpgradeMode)
    .option('--no-wait', 'start the deployment and return')
    .option('--parallelism <n>', 'parallelism of the new version (default: the cluster default)', positiveInteger)
    .option('--checkpoint-interval <seconds>', 'checkpoint interval of the new version (default: the cluster\'s)', positiveInteger)
    .option('--health-window <seconds>', 'how long the new version is watched after RUNNING (a first checkpoint that comes later is awaited up to 3 checkpoint intervals plus the checkpoint timeout)', positiveInteger, 30)
    .option('--max-backlog <records>', 'blue-green: records the new job may still have to read and count as caught up', positiveInteger, 1_000)
    .option('--catch-up-timeout <seconds>', 'blue-green: how long the new job may take to catch up after its health window', positiveInteger, 120)
    .option('--retention <n>', 'savepoints kept in the history', positiveInteger, DEFAULT_SAVEPOINT_RETENTION)
    .option('--drain', 'stop with MAX_WATERMARK (fires every event-time timer); off by default, since it makes the next version see later events as late')
    .action(async (job: string, options: { spec?: string; pipeline?: string; jobVersion?: string; fromSavepoint?: string; mode: UpgradeMode; wait: boolean; parallelism?: number; checkpointInterval?: number; healthWindow: number; maxBacklog: number; catchUpTimeout: number; retention: number; drain?: boolean }) => {
      if (options.fromSavepoint !== undefined && options.mode === 'blue-green') deploy.error('error: --from-savepoint starts a job that is not running; a blue/green upgrade starts beside a running one', { exitCode: 2, code: 'tributary.conflictingOptions' });
      const config = cli.config();
      const progress = progressPrinter();
      if (options.mode === 'stateless') progress(`mode stateless, ${DISCARDED_STATE_WARNING}`);
      const { DeploymentSpecFileError, readDeploymentSpecFile } = await import('../flink/deployment-spec-file.js');
      const { pinJar } = await import('../flink/deployment-jar.js');
      const { deploymentRecordsDir, pinnedJarsDir } = await import('../flink/deployment-paths.js');
      const { FileDeploymentRecordStore } = await import('../flink/deployment-record-store.js');
      const { currentFeaturesTopic, prepareFeatureJobDeployment } = await import('../flink/deployment-feature-job.js');
      let spec: FlinkJobSpec;
      if (options.spec) {
        let fromFile: FlinkJobSpec;
        try {
          fromFile = readDeploymentSpecFile(options.spec, job);
        } catch (error) {
          if (error instanceof DeploymentSpecFileError) deploy.error(`error: ${error.message}`, { exitCode: 2, code: 'tributary.invalidSpecFile' });
          throw error;
        }
        // Pinned by content, so a rollback to this spec runs these exact bytes even if the file changes.
        spec = { ...fromFile, jarPath: await pinJar(fromFile.jarPath, pinnedJarsDir(config)) };
      } else {
        const { noPipelineMessage, PipelineJarJobError, resolvePipelineJarJob } = await import('./pipeline-jar-job.js');
        const jarJob = await resolvePipelineJarJob(config, { jobName: job, pipeline: options.pipeline });
        const record = await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(job);
        if (jarJob) {
          spec = await prepareFeatureJobDeployment(config, jarJob, {
            jobName: job,
            jobVersion: options.jobVersion,
            // Blue/green writes a topic of its own; the other modes keep writing where the current version does.
            ...(options.mode === 'blue-green' ? { versionedFeaturesTopic: true } : { featuresTopic: currentFeaturesTopic(record) }),
            parallelism: options.parallelism,
            flinkConfiguration: options.checkpointInterval ? { 'execution.checkpointing.interval': `${options.checkpointInterval}s` } : undefined,
            progress,
          });
        } else {
          // No definition says what the job is, but its record does: the version that ran last, its jar
          // pinned, runs again unchanged (what the resume line of `flink cancel` asks for). Anything
          // that changes the job needs its definition.
          const recorded = record.current?.spec;
          const changes = options.mode === 'blue-green' || options.parallelism !== undefined || options.checkpointInterval !== undefined || (options.jobVersion !== undefined && options.jobVersion !== recorded?.version);
          if (!recorded || changes) throw new PipelineJarJobError(recorded ? `${noPipelineMessage(job)} (without it only the recorded version ${recorded.version} can run again, unchanged)` : noPipelineMessage(job));
          progress(`no applied pipeline has a feature job named ${job}: deploying its recorded version ${recorded.version} again`);
          spec = recorded;
        }
      }
      const input: FlinkDeployInput = {
        spec,
        mode: options.mode,
        drain: options.drain ?? false,
        ...(options.fromSavepoint === undefined ? {} : { fromSavepoint: options.fromSavepoint }),
        savepointRetention: options.retention,
        health: { windowMs: options.healthWindow * 1000 },
        ...(options.mode === 'blue-green' ? { catchUp: { maxBacklogRecords: options.maxBacklog, timeoutMs: options.catchUpTimeout * 1000 } } : {}),
      };
      const { deploymentWorkflowId, followDeployment, startDeployment, workflowUiUrl } = await import('../worker/flink-deploy-client.js');
      const { flinkDeployTaskQueue, logDeployWorkerToFile, withInProcessDeployWorker } = await import('../worker/flink-deploy-worker.js');
      const workflowId = deploymentWorkflowId(job);
      const link = workflowUiUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId);
      const start = (client: Client) => startDeployment(client, input, { taskQueue: flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
      await withClient(config, async (client) => {
        if (!options.wait) {
          await start(client);
          cli.print(`started ${workflowId} (${spec.version}, mode ${options.mode}); a worker of task queue ${flinkDeployTaskQueue(config)} carries it out\n  ${link}`);
          return;
        }
        progress(`deployment worker in this process; its log: ${logDeployWorkerToFile(config)}`);
        const result = await withInProcessDeployWorker(config, async () => {
          const handle = await start(client);
          cli.print(`started ${workflowId} (${spec.version}, mode ${options.mode})\n  ${link}`);
          return followDeployment(handle, (status) => progress(describePhase(status)));
        });
        cli.print(renderDeployResult(result));
        if (result.outcome !== 'deployed') cli.setExitCode(1);
      });
    });

  command
    .command('savepoint')
    .description('take a savepoint of the deployed job (it keeps running) and add it to the job\'s savepoint history')
    .argument('<job>', 'the job name')
    .option('--retention <n>', 'savepoints kept in the history; older ones are disposed of', positiveInteger, DEFAULT_SAVEPOINT_RETENTION)
    .action(async (job: string, options: { retention: number }) => {
      const config = cli.config();
      const { deploymentRecordsDir } = await import('../flink/deployment-paths.js');
      const { FileDeploymentRecordStore } = await import('../flink/deployment-record-store.js');
      const { retainSavepoints, withSavepoint } = await import('../flink/deployment-record.js');
      const { FlinkError, FlinkSavepointError, FlinkTimeoutError } = await import('../flink/errors.js');
      const { createFlinkService } = await import('../flink/kubernetes/configured-flink-service.js');
      const records = new FileDeploymentRecordStore(deploymentRecordsDir(config));
      const flink = createFlinkService(config);
      const current = (await records.read(job)).current;
      if (!current) throw new FlinkError(`no deployment of "${job}" is recorded; deploy it first with \`tributary flink deploy ${job}\``);
      const triggerId = await flink.triggerSavepoint(current.jobId);
      const deadline = Date.now() + MANUAL_SAVEPOINT_TIMEOUT_MS;
      for (;;) {
        const progress = await flink.savepointProgress(current.jobId, triggerId);
        if (progress.status === 'FAILED') throw new FlinkSavepointError({ jobId: current.jobId, triggerId, flinkErrors: [progress.error] });
        if (progress.status === 'COMPLETED') {
          const entry: SavepointEntry = { path: progress.location, takenAt: Date.now(), jobId: current.jobId, version: current.spec.version, triggerId, reason: 'manual' };
          let expired: SavepointEntry[] = [];
          await records.update(job, (record) => {
            const retained = retainSavepoints(withSavepoint(record, entry), options.retention);
            expired = retained.expired;
            return retained.record;
          });
          for (const old of expired) await flink.disposeSavepoint(old.path);
          cli.print(`savepoint of job ${current.jobId} (${current.spec.version}): ${progress.location}${expired.length > 0 ? `\n  disposed: ${expired.map((old) => old.path).join(', ')}` : ''}`);
          return;
        }
        if (Date.now() >= deadline) throw new FlinkTimeoutError(`savepoint ${triggerId} of job ${current.jobId}`, MANUAL_SAVEPOINT_TIMEOUT_MS, progress.status, { jobId: current.jobId, triggerId });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });

  command
    .command('history')
    .description('show the deployed spec, the savepoint history and past deployments of a job')
    .argument('<job>', 'the job name')
    .option('--json', 'print machine-readable JSON')
    .action(async (job: string, options: { json?: boolean }) => {
      const { deploymentRecordsDir } = await import('../flink/deployment-paths.js');
      const { FileDeploymentRecordStore } = await import('../flink/deployment-record-store.js');
      const record = await new FileDeploymentRecordStore(deploymentRecordsDir(cli.config())).read(job);
      cli.print(options.json ? JSON.stringify(record, null, 2) : renderDeploymentRecord(record));
    });
}
