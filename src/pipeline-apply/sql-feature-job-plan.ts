/**
 * What apply would do with a `kind: sql` pipeline's two generated jobs, the feature query and the
 * label join: each is checked on the SQL Gateway (planned, not started), so a query that does not
 * parse, or a definition no job can be generated from, is a refused item before anything changes;
 * a job that passes is submitted unless a job of its name runs, as ensureSqlPipelineJobs (the
 * feature-job step apply calls) decides.
 */
import { TERMINAL_JOB_STATES, type FlinkRestClient } from '../flink/flink-rest-client.js';
import { buildLabelJoinJob, labelJoinJobNameOf } from '../flink/label-join.js';
import { SqlJobDefinitionError, SqlStatementError } from '../flink/sql-feature-job-errors.js';
import { buildSqlFeatureJob, checkSqlJob, type SqlJob, type SqlJobEnvironment } from '../flink/sql-feature-job.js';
import type { SqlGatewayClient } from '../flink/sql-gateway-client.js';
import { featureJobName } from '../pipelines/pipeline-topics.js';
import type { RevisionDraft } from '../pipelines/pipeline-store.js';
import type { FeatureJobItem } from './pipeline-plan.js';

export interface SqlJobPlanDependencies {
  /** Where the jobs would connect and what they load: the check plans them as they would be submitted. */
  readonly env: SqlJobEnvironment;
  readonly gateway: Pick<SqlGatewayClient, 'openSession' | 'executeStatement' | 'fetchResults' | 'closeSession'>;
  readonly flink: Pick<FlinkRestClient, 'listJobs'>;
}

/** A refusal about the definition or its query, as opposed to a gateway that cannot be reached. */
const isDefinitionProblem = (error: unknown): error is SqlStatementError | SqlJobDefinitionError => error instanceof SqlStatementError || error instanceof SqlJobDefinitionError;

/**
 * Plans both jobs of `draft`. A job that runs is checked too, so a query edited into one the
 * gateway refuses is found before a revision records it; a running job is left as it is, since
 * the cluster does not say which query it runs.
 */
export async function planSqlFeatureJobs(draft: RevisionDraft, dependencies: SqlJobPlanDependencies): Promise<FeatureJobItem[]> {
  const { definition, files } = draft;
  const { env, gateway, flink } = dependencies;
  const builders: [string, () => SqlJob][] = [
    [featureJobName(definition), () => buildSqlFeatureJob(definition, files, env)],
    [labelJoinJobNameOf(definition), () => buildLabelJoinJob(definition, files, env)],
  ];
  const running = new Map((await flink.listJobs()).filter((job) => !TERMINAL_JOB_STATES.includes(job.state)).map((job) => [job.name, job.jid]));
  const items: FeatureJobItem[] = [];
  for (const [jobName, build] of builders) {
    try {
      await checkSqlJob(gateway, build());
    } catch (error) {
      if (!isDefinitionProblem(error)) throw error;
      items.push({ kind: 'feature-job', action: 'refused', jobName, detail: `the SQL Gateway refuses it: ${error.message}` });
      continue;
    }
    const jobId = running.get(jobName);
    items.push(
      jobId === undefined
        ? { kind: 'feature-job', action: 'submit', jobName, detail: 'submit through the SQL Gateway (the gateway plans it as it stands)' }
        : { kind: 'feature-job', action: 'unchanged', jobName, detail: `runs as job ${jobId}; left as it is (the gateway plans the query as it stands; a running job is not compared with it)` },
    );
  }
  return items;
}
