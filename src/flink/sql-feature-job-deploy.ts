/**
 * The feature-job step of a pipeline whose feature job is Flink SQL: its two generated jobs, the
 * feature query and the label join, each checked on the gateway and submitted unless a job of its
 * name already runs. The training-example schema is registered first, so the label join never
 * writes under a subject nobody registered. Applying twice starts nothing the second time.
 *
 * The cluster does not say which query a running job runs, so the caller says which jobs changed
 * (apply compares the applied revision's build with the new one): each is upgraded by savepoint,
 * stopped with one and submitted changed, restored from it, so its output continues exactly once.
 * When Flink cannot restore the changed job, the previous one is submitted again from the same
 * savepoint and {@link SqlJobRestoreError} says so; starting without the state is the caller's
 * explicit choice (`discardState`).
 */
import type { TributaryConfig } from '../config/config.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { TERMINAL_JOB_STATES, type FlinkRestClient } from './flink-rest-client.js';
import { buildLabelJoinJob, trainingExampleSchema } from './label-join.js';
import { gatewayMessageOf, SqlJobDefinitionError, SqlJobRestoreError } from './sql-feature-job-errors.js';
import { FlinkSqlError } from './errors.js';
import { reasonOf } from '../errors/tributary-error.js';
import { buildSqlFeatureJob, checkSqlJob, prepareSqlJobEnvironment, submitSqlJob, type DefinitionFiles, type SqlJob, type SqlJobEnvironment } from './sql-feature-job.js';
import type { SqlGatewayClient } from './sql-gateway-client.js';

/** What the step did with one job. */
export interface SqlJobOutcome {
  readonly jobName: string;
  /** `submitted`: started now; `running`: a job of that name already ran, and was left alone; `upgraded`: stopped with a savepoint and started changed. */
  readonly action: 'submitted' | 'running' | 'upgraded';
  readonly jobId: string;
  /** For `upgraded`: the savepoint it was stopped with, and whether the changed job started from it. */
  readonly savepoint?: string;
  readonly restored?: boolean;
}

/** Time allowed for a stop-with-savepoint, and for a submitted job to be running. */
const SAVEPOINT_TIMEOUT_MS = 300_000;
const RUNNING_TIMEOUT_MS = 180_000;

export interface EnsureSqlPipelineJobsOptions {
  readonly config: TributaryConfig;
  readonly definition: PipelineDefinition;
  readonly files: DefinitionFiles;
  readonly gateway: Pick<SqlGatewayClient, 'openSession' | 'executeStatement' | 'fetchResults' | 'closeSession' | 'submitInsert'>;
  readonly flink: Pick<FlinkRestClient, 'listJobs' | 'stopWithSavepoint' | 'waitForSavepoint' | 'waitForJobState'>;
  readonly registry: Pick<SchemaRegistryClient, 'register'>;
  /** Running jobs (by jobName) whose statements changed, with the job they were built as. @default none */
  readonly upgrades?: ReadonlyMap<string, SqlJob>;
  /** Start an upgraded job without its savepoint's state; the caller said so to a person first. @default false */
  readonly discardState?: boolean;
  /** Where the jobs connect and what they load. @default prepared from `config`: the functions jar built, the PII key file written */
  readonly env?: SqlJobEnvironment;
  /** Receives one line per job. @default silent */
  readonly progress?: (line: string) => void;
}

/**
 * Makes sure the feature job and the label join of a `kind: sql` pipeline run. Each job is
 * checked (planned without starting) before either is submitted, so a query the gateway refuses
 * starts nothing; that refusal is a {@link SqlStatementError} naming the file's line.
 */
export async function ensureSqlPipelineJobs(options: EnsureSqlPipelineJobsOptions): Promise<readonly SqlJobOutcome[]> {
  const { config, definition, files, gateway, flink, registry } = options;
  const progress = options.progress ?? (() => undefined);
  if (definition.features.job.kind !== 'sql') throw new SqlJobDefinitionError(`features.job is a ${definition.features.job.kind} job; only a kind: sql pipeline has generated Flink SQL jobs`);
  const env = options.env ?? (await prepareSqlJobEnvironment(config, { progress }));
  const jobs: readonly SqlJob[] = [buildSqlFeatureJob(definition, files, env), buildLabelJoinJob(definition, files, env)];
  const running = new Map(
    (await flink.listJobs()).filter((job) => !TERMINAL_JOB_STATES.includes(job.state)).map((job) => [job.name, job.jid]),
  );
  const upgrades = options.upgrades ?? new Map<string, SqlJob>();
  const toStart = jobs.filter((job) => !running.has(job.flinkName) || upgrades.has(job.jobName));
  for (const job of toStart) await checkSqlJob(gateway, job);
  if (toStart.length > 0) {
    const subject = `${config.topics.prefix}${platformTopicNames(definition).trainingExamples}-value`;
    await registry.register(subject, trainingExampleSchema(definition, files));
  }
  const outcomes: SqlJobOutcome[] = [];
  for (const job of jobs) {
    const runningId = running.get(job.flinkName);
    const previous = upgrades.get(job.jobName);
    if (runningId !== undefined && previous !== undefined) {
      const outcome = await upgradeSqlJob(gateway, flink, { jobId: runningId, previous, next: job, discardState: options.discardState === true });
      progress(`${job.jobName}: upgraded from job ${runningId} by savepoint ${outcome.savepoint} to job ${outcome.jobId}${outcome.restored ? '' : ' (without its state)'}`);
      outcomes.push(outcome);
      continue;
    }
    if (runningId !== undefined) {
      progress(`${job.jobName}: already running as job ${runningId}; left as it is`);
      outcomes.push({ jobName: job.jobName, action: 'running', jobId: runningId });
      continue;
    }
    const jobId = await submitSqlJob(gateway, job);
    progress(`${job.jobName}: submitted through the SQL Gateway as job ${jobId}`);
    outcomes.push({ jobName: job.jobName, action: 'submitted', jobId });
  }
  return outcomes;
}

interface SqlJobUpgrade {
  /** The running job's Flink id. */
  readonly jobId: string;
  /** What runs now, submitted again from the savepoint when the changed job cannot start from it. */
  readonly previous: SqlJob;
  readonly next: SqlJob;
  readonly discardState: boolean;
}

/**
 * Stops the running job with a savepoint (no drain: its windows stay open in the savepoint),
 * submits `next` restored from it and waits until it runs. The savepoint holds the sources'
 * offsets and the sink's committed transactions, so the output continues exactly once. Throws
 * {@link SqlJobRestoreError} after putting `previous` back when `next` cannot start from it.
 */
async function upgradeSqlJob(
  gateway: Pick<SqlGatewayClient, 'submitInsert'>,
  flink: Pick<FlinkRestClient, 'stopWithSavepoint' | 'waitForSavepoint' | 'waitForJobState'>,
  upgrade: SqlJobUpgrade,
): Promise<SqlJobOutcome> {
  const { jobId, previous, next, discardState } = upgrade;
  const savepoint = await flink.waitForSavepoint(jobId, await flink.stopWithSavepoint(jobId, { drain: false }), SAVEPOINT_TIMEOUT_MS);
  const startFrom = async (job: SqlJob, restoreFrom: string | undefined): Promise<string> => {
    const started = await submitSqlJob(gateway, job, restoreFrom === undefined ? {} : { restoreFrom });
    await flink.waitForJobState(started, ['RUNNING'], RUNNING_TIMEOUT_MS);
    return started;
  };
  try {
    return { jobName: next.jobName, action: 'upgraded', jobId: await startFrom(next, discardState ? undefined : savepoint), savepoint, restored: !discardState };
  } catch (error) {
    const restoredJobId = await startFrom(previous, savepoint);
    throw new SqlJobRestoreError(next.jobName, savepoint, restoredJobId, whyNotStarted(error), error);
  }
}

/** Flink's own reason a changed job did not start: the gateway's telling line for a refused submission, else the error's first line. */
function whyNotStarted(error: unknown): string {
  if (error instanceof FlinkSqlError) return gatewayMessageOf(error);
  return reasonOf(error).split('\n')[0]!;
}
