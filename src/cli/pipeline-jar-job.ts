/**
 * The jar feature job `tributary flink submit | deploy` run. The platform has none of its own: it
 * comes from a definition file (`--pipeline <file>`), or from an applied revision: the pipeline
 * named by `--pipeline <name>`, else the applied pipeline whose feature job has the job's name
 * (`flink deploy` then falls back on the job's recorded spec, so a printed resume command works).
 * A revision keeps the paths its file wrote, relative to that file; without the file they are
 * resolved from the current directory, and a jar neither there nor buildable is one line saying
 * to pass the file.
 */
import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { TributaryConfig } from '../config/config.js';
import { TributaryError } from '../errors/tributary-error.js';
import type { PipelineJarJob } from '../flink/jar-feature-job.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';

/** No definition says what the job is, or the one found cannot be run from here. Not retriable: the message says which command fixes it. */
export class PipelineJarJobError extends TributaryError {
  override readonly name = 'PipelineJarJobError';

  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** Whether `--pipeline` names a file rather than an applied pipeline: a path that exists, or a definition file's extension. */
export const isDefinitionFile = (value: string): boolean => existsSync(value) || /\.(ya?ml|json)$/i.test(value);

/** What to do when no applied pipeline has a feature job of that name. */
export const noPipelineMessage = (jobName: string): string =>
  `no applied pipeline has a feature job named ${jobName}; apply the pipeline's definition (\`tributary pipeline apply <file>\`, which deploys its job), or name the definition: --pipeline <file>`;

/** The applied definition `--pipeline <name>` names, or the one whose feature job is `jobName` (undefined when none has). */
async function appliedDefinition(config: TributaryConfig, jobName: string, pipeline: string | undefined): Promise<PipelineDefinition | undefined> {
  const [{ createPipelineStore }, { featureJobName }] = await Promise.all([import('../pipeline-store/kafka-pipeline-store.js'), import('../pipelines/pipeline-topics.js')]);
  const store = await createPipelineStore(config);
  try {
    if (pipeline !== undefined) {
      const revision = await store.current(pipeline);
      if (!revision) throw new PipelineJarJobError(`no pipeline named ${pipeline} is applied; apply its definition first: \`tributary pipeline apply <file>\` (it deploys the feature job too), or pass the file: --pipeline <file>`);
      return revision.definition;
    }
    const owners = (await store.list()).filter((revision) => featureJobName(revision.definition) === jobName);
    if (owners.length === 0) return undefined;
    if (owners.length > 1) throw new PipelineJarJobError(`pipelines ${owners.map((revision) => revision.name).join(' and ')} both name the feature job ${jobName}; choose one with --pipeline <name|file>`);
    return owners[0]!.definition;
  } finally {
    await store.close();
  }
}

/** The jar job to build and run for `jobName`, from `--pipeline` when given; undefined when it is not and no applied pipeline has the job. */
export async function resolvePipelineJarJob(config: TributaryConfig, options: { readonly jobName: string; readonly pipeline: string | undefined }): Promise<PipelineJarJob | undefined> {
  const [{ pipelineJarJob }, { loadPipelineDefinition }] = await Promise.all([import('../flink/jar-feature-job.js'), import('../pipelines/validate-pipeline.js')]);
  if (options.pipeline !== undefined && isDefinitionFile(options.pipeline)) return pipelineJarJob(loadPipelineDefinition(options.pipeline), dirname(options.pipeline));
  const definition = await appliedDefinition(config, options.jobName, options.pipeline);
  if (!definition) return undefined;
  const job = pipelineJarJob(definition, process.cwd());
  if (!existsSync(job.jar) && !(job.module && existsSync(job.module.moduleDir))) {
    throw new PipelineJarJobError(
      `the applied definition of pipeline ${definition.name} names its jar ${relative(process.cwd(), job.jar)} relative to its own file, and it is not found from ${process.cwd()}; pass the file: --pipeline <path of its definition>`,
    );
  }
  return job;
}
