/**
 * What `pipeline describe` says of a `kind: sql` pipeline's two generated jobs, the feature query
 * and the label join. They are submitted through the SQL Gateway, not deployed through
 * flinkDeploy, so no deployment record exists for them: the cluster's own list of jobs is where
 * they are found, by the job names apply submits them under (the topic prefix, then the job's name).
 */
import { FlinkError } from '../flink/errors.js';
import type { FlinkService } from '../flink/flink-service.js';
import { labelJoinJobNameOf } from '../flink/label-join.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { featureJobName } from '../pipelines/pipeline-topics.js';

export interface SqlJobStatusOptions {
  /** Where the jobs are looked for, named in the lines. */
  readonly flinkUrl: string;
  /** False for a deleted pipeline, whose jobs nothing should submit again. */
  readonly live: boolean;
  /** The topic prefix, which the jobs' names on Flink start with. */
  readonly prefix: string;
}

/**
 * One line per job of a SQL pipeline: each job of that name Flink has not ended, with its id,
 * state and start as Flink reports them, or that none runs. A cluster that cannot be asked is one
 * line too, so the rest of a description stands without it.
 */
export async function describeSqlFeatureJobs(definition: PipelineDefinition, flink: Pick<FlinkService, 'activeJobs'>, options: SqlJobStatusOptions): Promise<string[]> {
  const lines: string[] = [];
  for (const jobName of [featureJobName(definition), labelJoinJobNameOf(definition)]) {
    let jobs: Awaited<ReturnType<FlinkService['activeJobs']>>;
    try {
      jobs = await flink.activeJobs(`${options.prefix}${jobName}`);
    } catch (error) {
      if (!(error instanceof FlinkError)) throw error;
      lines.push(`feature job ${jobName} (sql): Flink at ${options.flinkUrl} cannot be asked: ${error.message}`);
      continue;
    }
    lines.push(
      jobs.length > 0
        ? `feature job ${jobName} (sql): ${jobs.map((job) => `job ${job.jobId} ${job.state} since ${new Date(job.startTime).toISOString()}`).join('; ')}`
        : `feature job ${jobName} (sql): no job named ${options.prefix}${jobName} runs on Flink at ${options.flinkUrl}` +
            (options.live ? `; applying the pipeline's file again submits it (\`tributary pipeline apply <file>\`)` : ''),
    );
  }
  return lines;
}
