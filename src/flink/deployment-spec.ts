/**
 * What a Flink deployment runs: a jar, its entry class and arguments, and the settings Flink
 * starts it with. Pure data, so the deployment workflow carries it in its history and the
 * deployment record keeps the exact spec a rollback resubmits. Also the feature job's spec in
 * this shape. No I/O here: workflow code imports these types.
 */
import { featureJobFlinkConfiguration, featureJobProgramArgs, type FeatureJobSpec } from './job-spec.js';

/** Topics the health window compares: when the inputs grow, the outputs must grow too. */
export interface ObservedTopics {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** One version of a job, complete enough to submit it again byte for byte. */
export interface FlinkJobSpec {
  /** The name the job runs under in Flink; one deployment (and one workflow) per name. */
  readonly jobName: string;
  /** A person's name for this version, shown in history, e.g. `v2` or `jar-1a2b3c4d5e6f`. */
  readonly version: string;
  /**
   * The jar on the worker's disk. Pin it first ({@link import('./deployment-jar.js').pinJar}) so a
   * rebuild never changes what a rollback to this spec runs.
   */
  readonly jarPath: string;
  readonly entryClass: string;
  readonly programArgs: readonly string[];
  /** @default the cluster's parallelism.default */
  readonly parallelism?: number;
  /** Flink configuration for this job only, e.g. `{ 'execution.checkpointing.interval': '2s' }`. @default none */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /** Restore even when savepoint state belongs to no operator of this version. @default false */
  readonly allowNonRestoredState?: boolean;
  /** What the health window watches. @default none: the output-progress check is skipped */
  readonly observedTopics?: ObservedTopics;
}

/** Choices of {@link featureJobDeploymentSpec} beyond the feature job's own spec. */
export interface FeatureJobDeploymentChoices {
  /** The pinned jar (see `pinJar`). */
  readonly jarPath: string;
  /** @default the cluster's parallelism.default */
  readonly parallelism?: number;
  /** Over the feature job's defaults (see `featureJobFlinkConfiguration`). @default the defaults alone */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
}

/** A jar feature job as a deployable spec: its health is source events in, features out. */
export function featureJobDeploymentSpec(spec: FeatureJobSpec, choices: FeatureJobDeploymentChoices): FlinkJobSpec {
  return {
    jobName: spec.jobName,
    version: spec.jobVersion,
    jarPath: choices.jarPath,
    entryClass: spec.entryClass,
    programArgs: featureJobProgramArgs(spec),
    ...(choices.parallelism === undefined ? {} : { parallelism: choices.parallelism }),
    flinkConfiguration: featureJobFlinkConfiguration(choices.flinkConfiguration),
    observedTopics: { inputs: spec.topics.sources, outputs: [spec.topics.features] },
  };
}
