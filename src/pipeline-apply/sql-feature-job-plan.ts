/**
 * What apply would do with a `kind: sql` pipeline's two generated jobs, the feature query and the
 * label join: each is checked on the SQL Gateway (planned, not started), so a query that does not
 * parse, or a definition no job can be generated from, is a refused item before anything changes;
 * a job that passes is submitted unless a job of its name (under the topic prefix) runs, as
 * ensureSqlPipelineJobs (the feature-job step apply calls) decides. A running job whose build
 * differs from the applied revision's (features.sql edited, a schema, parallelism or checkpointing
 * changed) is upgraded by savepoint.
 */
import { TERMINAL_JOB_STATES, type FlinkRestClient } from '../flink/flink-rest-client.js';
import { buildLabelJoinJob, labelJoinJobNameOf } from '../flink/label-join.js';
import { SqlJobDefinitionError, SqlStatementError } from '../flink/sql-feature-job-errors.js';
import { buildSqlFeatureJob, checkSqlJob, sqlJobIdentity, type SqlJob, type SqlJobEnvironment } from '../flink/sql-feature-job.js';
import type { SqlGatewayClient } from '../flink/sql-gateway-client.js';
import { featureJobName } from '../pipelines/pipeline-topics.js';
import type { PipelineRevision, RevisionDraft } from '../pipelines/pipeline-store.js';
import type { FeatureJobItem } from './pipeline-plan.js';

export interface SqlJobPlanDependencies {
  /** Where the jobs would connect and what they load: the check plans them as they would be submitted. */
  readonly env: SqlJobEnvironment;
  readonly gateway: Pick<SqlGatewayClient, 'openSession' | 'executeStatement' | 'fetchResults' | 'closeSession'>;
  readonly flink: Pick<FlinkRestClient, 'listJobs'>;
  /** The person chose to start a changed job without its state (`--discard-state`). @default false */
  readonly discardState?: boolean;
}

/** How a changed job is upgraded, in the words plan and apply print. */
function upgradeDetail(jobId: string, revision: number, discardState: boolean): string {
  return discardState
    ? `upgrade (its statements changed since revision ${revision}) WITHOUT its state, as --discard-state asks: stop job ${jobId} with a savepoint, then start the changed job empty; ` +
        'it resumes from the offsets its consumer group committed, with its windows, aggregates and joins starting empty'
    : `upgrade by savepoint (its statements changed since revision ${revision}): stop job ${jobId} with a savepoint and start the changed job from it, so its output continues exactly once; ` +
        'if Flink cannot start it from the savepoint, the previous job starts again from it and apply stops, saying so';
}

/** A refusal about the definition or its query, as opposed to a gateway that cannot be reached. */
const isDefinitionProblem = (error: unknown): error is SqlStatementError | SqlJobDefinitionError => error instanceof SqlStatementError || error instanceof SqlJobDefinitionError;

/**
 * Plans both jobs of `draft`. A job that runs is checked too, so a query edited into one the
 * gateway refuses is found before a revision records it; a running job is left as it is, since
 * the cluster does not say which query it runs.
 */
export async function planSqlFeatureJobs(draft: RevisionDraft, dependencies: SqlJobPlanDependencies, applied?: Pick<PipelineRevision, 'definition' | 'files' | 'revision'>): Promise<FeatureJobItem[]> {
  const { definition } = draft;
  const { env, gateway, flink } = dependencies;
  const builders: [string, (from: Pick<PipelineRevision, 'definition' | 'files'>) => SqlJob][] = [
    [featureJobName(definition), (from) => buildSqlFeatureJob(from.definition, from.files, env)],
    [labelJoinJobNameOf(definition), (from) => buildLabelJoinJob(from.definition, from.files, env)],
  ];
  const running = new Map((await flink.listJobs()).filter((job) => !TERMINAL_JOB_STATES.includes(job.state)).map((job) => [job.name, job.jid]));
  const items: FeatureJobItem[] = [];
  for (const [jobName, build] of builders) {
    let job: SqlJob;
    try {
      job = build(draft);
      await checkSqlJob(gateway, job);
    } catch (error) {
      if (!isDefinitionProblem(error)) throw error;
      items.push({ kind: 'feature-job', action: 'refused', jobName, detail: `the SQL Gateway refuses it: ${error.message}` });
      continue;
    }
    const jobId = running.get(job.flinkName);
    if (jobId === undefined) {
      items.push({ kind: 'feature-job', action: 'submit', jobName, detail: `submit through the SQL Gateway as Flink job ${job.flinkName} (the gateway plans it as it stands)` });
      continue;
    }
    const previous = previousBuild(applied, build);
    if (previous !== undefined && sqlJobIdentity(previous) !== sqlJobIdentity(job)) {
      items.push({ kind: 'feature-job', action: 'upgrade', jobName, detail: upgradeDetail(jobId, applied!.revision, dependencies.discardState === true), previous });
      continue;
    }
    items.push({
      kind: 'feature-job',
      action: 'unchanged',
      jobName,
      detail: previous === undefined
        ? `runs as job ${jobId}; left as it is (no applied revision says which statements it runs)`
        : `runs as job ${jobId}, with the statements of revision ${applied!.revision}`,
    });
  }
  return items;
}

/** The job as the applied revision built it; undefined when there is none, or it no longer builds (then the running job is left). */
function previousBuild(applied: Pick<PipelineRevision, 'definition' | 'files'> | undefined, build: (from: Pick<PipelineRevision, 'definition' | 'files'>) => SqlJob): SqlJob | undefined {
  if (applied === undefined) return undefined;
  try {
    return build(applied);
  } catch (error) {
    if (isDefinitionProblem(error)) return undefined;
    throw error;
  }
}
