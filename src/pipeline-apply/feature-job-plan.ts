/**
 * What the jar feature job of a definition needs, read from its deployment record without touching
 * Flink: it is deployed or upgraded through the flinkDeploy workflow (by savepoint) when its jar's
 * version differs from the one deployed. A SQL pipeline's jobs are planned by sql-feature-job-plan.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DeploymentRecordStore } from '../flink/deployment-record-store.js';
import { jarVersion } from '../flink/feature-job.js';
import { isJarStale } from '../flink/jar-builder.js';
import { jarModuleOf } from '../flink/jar-feature-job.js';
import { PipelineError } from '../pipelines/errors.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { featureJobName } from '../pipelines/pipeline-topics.js';
import type { RevisionDraft } from '../pipelines/pipeline-store.js';
import type { FeatureJobItem } from './pipeline-plan.js';

/** The parallelism a definition asks for, compared with the deployed spec's. */
const parallelismOf = (definition: PipelineDefinition): number | undefined => definition.features.parallelism;

/**
 * Plans the jar feature job of `draft`, whose relative paths start at `baseDir`. The version compared
 * is the jar's (`jar-<sha256>`, as `flink deploy` names it); a jar that is missing or older than its
 * sources has no version yet, so it counts as changed.
 */
export async function planFeatureJob(draft: RevisionDraft, baseDir: string, records: Pick<DeploymentRecordStore, 'read'>): Promise<FeatureJobItem> {
  const { definition } = draft;
  const jobName = featureJobName(definition);
  const { job } = definition.features;
  if (job.kind !== 'jar') throw new PipelineError(`feature job ${jobName} is a ${job.kind} job; its plan is planSqlFeatureJobs's`);
  const jar = resolve(baseDir, job.jar);
  const module = jarModuleOf(job, baseDir);
  const stale = module ? await isJarStale(module) : false;
  const version = existsSync(jar) && !stale ? jarVersion(jar) : undefined;
  const next = version ?? `a new build of ${job.jar}`;
  const { current } = await records.read(jobName);
  if (!current) return { kind: 'feature-job', action: 'deploy', jobName, detail: `deploy ${next} through flinkDeploy (no deployment of ${jobName} is recorded)` };
  if (current.spec.version === version && current.spec.parallelism === parallelismOf(definition)) {
    return { kind: 'feature-job', action: 'unchanged', jobName, detail: `unchanged: ${version} runs as job ${current.jobId}` };
  }
  const what = current.spec.version === version ? `parallelism ${current.spec.parallelism ?? 'default'} → ${parallelismOf(definition) ?? 'default'}` : `${current.spec.version} → ${next}`;
  return {
    kind: 'feature-job',
    action: 'upgrade',
    jobName,
    detail: `upgrade ${what} through flinkDeploy by savepoint: stop job ${current.jobId} with a savepoint, start the new version from it, watch its health, roll back on failure`,
  };
}
