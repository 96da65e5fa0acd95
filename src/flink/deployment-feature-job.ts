import type { TributaryConfig } from '../config/config.js';
import { versionedTopicName } from './blue-green.js';
import type { DeploymentRecord } from './deployment-record.js';
import { featureJobDeploymentSpec, type FlinkJobSpec } from './deployment-spec.js';
import { pinJar } from './deployment-jar.js';
import { pinnedJarsDir } from './deployment-paths.js';
import { jarVersion } from './feature-job.js';
import { checkFeatureJobKafkaAccess, isSecuredKafka } from './feature-job-preflight.js';
import { writeFeatureJobSecrets } from './feature-job-secrets.js';
import { jarOf, type PipelineJarJob } from './jar-feature-job.js';
import { featureJobSpec, type FeatureJobSpecChoices } from './job-spec.js';

export interface FeatureJobDeploymentChoices extends Partial<Omit<FeatureJobSpecChoices, 'piiKeyFile' | 'kafkaClientPropertiesFile'>> {
  /** @default the cluster's parallelism.default */
  readonly parallelism?: number;
  /** Configuration for this job only, e.g. `{ 'execution.checkpointing.interval': '2s' }`, over the feature job's defaults (see `featureJobFlinkConfiguration`). @default the defaults alone */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /**
   * Write features to `<definition's features topic>.<version>` instead of `featuresTopic`: the new
   * version of a blue/green upgrade runs beside the old one and needs a topic of its own. @default false
   */
  readonly versionedFeaturesTopic?: boolean;
  /** Receives a line when the jar is built. @default silent */
  readonly progress?: (line: string) => void;
}

/**
 * A pipeline's jar feature job as a deployable spec for this configuration: builds its jar when
 * stale, pins it by content, writes the files of its secrets for the local cluster (PII key, Kafka
 * credentials), checks that a secured broker accepts them, and names the version (default:
 * `jar-<sha256 of the jar>`).
 */
export async function prepareFeatureJobDeployment(config: TributaryConfig, job: PipelineJarJob, choices: FeatureJobDeploymentChoices = {}): Promise<FlinkJobSpec> {
  const jar = await jarOf(job, { progress: choices.progress });
  const jarPath = await pinJar(jar, pinnedJarsDir(config));
  const { piiKeyFile, kafkaClientPropertiesFile } = await writeFeatureJobSecrets(config, choices.jobName ?? job.jobName);
  const jobVersion = choices.jobVersion ?? jarVersion(jar);
  const definedFeatures = `${config.topics.prefix}${job.topics.features}`;
  const featuresTopic = choices.versionedFeaturesTopic ? versionedTopicName(definedFeatures, jobVersion) : choices.featuresTopic;
  const jobSpec = featureJobSpec(config, job, { ...choices, jobVersion, featuresTopic, piiKeyFile, kafkaClientPropertiesFile });
  // A blue/green version's own features topic does not exist yet: the deployment creates it.
  if (isSecuredKafka(config)) await checkFeatureJobKafkaAccess(config, choices.versionedFeaturesTopic ? { ...jobSpec.topics, features: definedFeatures } : jobSpec.topics);
  return featureJobDeploymentSpec(jobSpec, {
    jarPath,
    parallelism: choices.parallelism,
    flinkConfiguration: choices.flinkConfiguration,
  });
}

/**
 * The features topic the job's current deployment writes (after a blue/green upgrade, a
 * versioned one), so that a savepoint or stateless upgrade keeps writing where the models read;
 * undefined when nothing is deployed.
 */
export function currentFeaturesTopic(record: DeploymentRecord): string | undefined {
  const args = record.current?.spec.programArgs ?? [];
  const at = args.indexOf('--features-topic');
  return at >= 0 ? args[at + 1] : undefined;
}
