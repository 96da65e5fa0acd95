/**
 * A pipeline's jar feature job as the platform runs it, read from its definition alone: the jar,
 * the Maven module that builds it, the main class, the definition's own arguments, and the topics
 * the job reads and writes. The platform has no jar job of its own; examples/fraud holds one.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseDuration } from '../pipelines/duration.js';
import type { JarFeatureJob, PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { featureJobName, platformTopicNames } from '../pipelines/pipeline-topics.js';
import { FlinkError } from './errors.js';
import { ensureJar, type JarBuildOptions, type MavenJarModule } from './jar-builder.js';

/** The topics of a jar job, as the definition names them (without the topic prefix). */
export interface JarJobTopicNames {
  /** `sources[].topic`, in the definition's order. */
  readonly sources: readonly string[];
  readonly labels: string;
  readonly features: string;
  readonly trainingExamples: string;
  readonly dlq: string;
}

/** Everything the platform needs to build and run a pipeline's jar feature job. */
export interface PipelineJarJob {
  /** The pipeline the job belongs to, for messages. */
  readonly pipeline: string;
  /** `features.job.name`, else `<pipeline>-features`. */
  readonly jobName: string;
  /** Absolute path of the jar. */
  readonly jar: string;
  readonly mainClass: string;
  /** The definition's own arguments, given after (and over) those the platform passes. */
  readonly args: readonly string[];
  /** How the jar is built when missing or stale; undefined when the definition has no `build`: the jar must exist. */
  readonly module: MavenJarModule | undefined;
  readonly topics: JarJobTopicNames;
  /** `labels.horizon` in milliseconds. */
  readonly labelHorizonMs: number;
}

/** How long a label may take when the definition names no `labels.horizon`: the definition schema's default. */
export const DEFAULT_LABEL_HORIZON_MS = 7 * 24 * 60 * 60 * 1000;

/** The Maven module a jar job's `build` names, with the files whose change makes the jar stale; relative paths start at `baseDir`. */
export function jarModuleOf(job: JarFeatureJob, baseDir: string): MavenJarModule | undefined {
  if (!job.build) return undefined;
  const moduleDir = resolve(baseDir, job.build.maven);
  return {
    moduleDir,
    jar: relative(moduleDir, resolve(baseDir, job.jar)),
    inputs: [join(moduleDir, 'pom.xml'), join(moduleDir, 'src'), ...(job.build.inputs ?? []).map((input) => resolve(baseDir, input))],
  };
}

/**
 * The jar job of `definition`, whose relative paths start at `baseDir` (the definition file's
 * folder). Throws a {@link FlinkError} for a definition whose feature job is not a jar: a SQL job
 * is submitted through the SQL Gateway, not run from a jar.
 */
export function pipelineJarJob(definition: PipelineDefinition, baseDir: string): PipelineJarJob {
  const { job } = definition.features;
  if (job.kind !== 'jar') {
    throw new FlinkError(`pipeline ${definition.name} has a ${job.kind} feature job, not a jar; \`tributary pipeline apply\` submits it through the SQL Gateway`, { retriable: false });
  }
  const platform = platformTopicNames(definition);
  return {
    pipeline: definition.name,
    jobName: featureJobName(definition),
    jar: resolve(baseDir, job.jar),
    mainClass: job.mainClass,
    args: job.args ?? [],
    module: jarModuleOf(job, baseDir),
    topics: {
      sources: definition.sources.map((source) => source.topic),
      labels: definition.labels.topic,
      features: definition.features.topic,
      trainingExamples: platform.trainingExamples,
      dlq: platform.dlq,
    },
    labelHorizonMs: (definition.labels.horizon === undefined ? undefined : parseDuration(definition.labels.horizon)) ?? DEFAULT_LABEL_HORIZON_MS,
  };
}

/**
 * The job's jar on this machine: built first by its module when missing or stale, else as it is.
 * Throws a {@link FlinkError} when the definition has no `build` and the jar is not there.
 */
export async function jarOf(job: PipelineJarJob, options: JarBuildOptions = {}): Promise<string> {
  if (job.module) return ensureJar(job.module, options);
  if (!existsSync(job.jar)) {
    throw new FlinkError(`the jar of pipeline ${job.pipeline}'s feature job, ${job.jar}, does not exist, and its definition has no features.job.build to make it: build the jar, or add build.maven`, { retriable: false });
  }
  return job.jar;
}
