/**
 * The feature-job step of a pipeline whose feature job is Flink SQL: its two generated jobs, the
 * feature query and the label join, each checked on the gateway and submitted unless a job of its
 * name already runs. The training-example schema is registered first, so the label join never
 * writes under a subject nobody registered. Applying twice starts nothing the second time.
 *
 * A running job is left as it is, not compared with the definition: the cluster does not say
 * which query a job runs. Upgrading a changed query goes by savepoint (`submitSqlJob` with
 * `restoreFrom`), which a deployment decides.
 */
import type { TributaryConfig } from '../config/config.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import type { SchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { TERMINAL_JOB_STATES, type FlinkRestClient } from './flink-rest-client.js';
import { buildLabelJoinJob, trainingExampleSchema } from './label-join.js';
import { SqlJobDefinitionError } from './sql-feature-job-errors.js';
import { buildSqlFeatureJob, checkSqlJob, prepareSqlJobEnvironment, submitSqlJob, type DefinitionFiles, type SqlJob, type SqlJobEnvironment } from './sql-feature-job.js';
import type { SqlGatewayClient } from './sql-gateway-client.js';

/** What the step did with one job. */
export interface SqlJobOutcome {
  readonly jobName: string;
  /** `submitted`: started now; `running`: a job of that name already ran, and was left alone. */
  readonly action: 'submitted' | 'running';
  readonly jobId: string;
}

export interface EnsureSqlPipelineJobsOptions {
  readonly config: TributaryConfig;
  readonly definition: PipelineDefinition;
  readonly files: DefinitionFiles;
  readonly gateway: Pick<SqlGatewayClient, 'openSession' | 'executeStatement' | 'fetchResults' | 'closeSession' | 'submitInsert'>;
  readonly flink: Pick<FlinkRestClient, 'listJobs'>;
  readonly registry: Pick<SchemaRegistryClient, 'register'>;
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
  const toStart = jobs.filter((job) => !running.has(job.jobName));
  for (const job of toStart) await checkSqlJob(gateway, job);
  if (toStart.length > 0) {
    const subject = `${config.topics.prefix}${platformTopicNames(definition).trainingExamples}-value`;
    await registry.register(subject, trainingExampleSchema(definition, files));
  }
  const outcomes: SqlJobOutcome[] = [];
  for (const job of jobs) {
    const runningId = running.get(job.jobName);
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
