import type { TributaryConfig } from '../config/config.js';
import { topicName } from '../streaming/topic-catalogue.js';
import { versionedTopicName } from './blue-green.js';
import type { DeploymentRecord } from './deployment-record.js';
import { featureJobDeploymentSpec, type FlinkJobSpec } from './deployment-spec.js';
import { pinJar } from './deployment-jar.js';
import { pinnedJarsDir } from './deployment-paths.js';
import { jarVersion } from './feature-job.js';
import { checkFeatureJobKafkaAccess, isSecuredKafka } from './feature-job-preflight.js';
import { writeFeatureJobSecrets } from './feature-job-secrets.js';
import { ensureJar, type MavenJarModule } from './jar-builder.js';
import { FEATURE_JOB_MODULE, FEATURE_JOB_NAME, featureJobSpec, type FeatureJobSpecChoices } from './job-spec.js';

export interface FeatureJobDeploymentChoices extends Partial<Omit<FeatureJobSpecChoices, 'piiKeyFile' | 'kafkaClientPropertiesFile'>> {
  /** @default the cluster's parallelism.default */
  readonly parallelism?: number;
  /** Configuration for this job only, e.g. `{ 'execution.checkpointing.interval': '2s' }`, over the feature job's defaults (see `featureJobFlinkConfiguration`). @default the defaults alone */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /**
   * Write features to `<catalogue features topic>.<version>` instead of `featuresTopic`: the new
   * version of a blue/green upgrade runs beside the old one and needs a topic of its own. @default false
   */
  readonly versionedFeaturesTopic?: boolean;
  /** Arguments that replace the generated ones of the same name, e.g. to deploy a deliberately broken version. @default none */
  readonly argumentOverrides?: Readonly<Record<string, string>>;
  /** @default {@link FEATURE_JOB_MODULE} */
  readonly module?: MavenJarModule;
  /** Receives a line when the jar is built. @default silent */
  readonly progress?: (line: string) => void;
}

/**
 * The feature job as a deployable spec for this configuration: builds its jar when stale, pins
 * it by content, writes the files of its secrets for the local cluster (PII key, Kafka
 * credentials), checks that a secured broker accepts them, and names the version (default:
 * `jar-<sha256 of the jar>`).
 */
export async function prepareFeatureJobDeployment(config: TributaryConfig, choices: FeatureJobDeploymentChoices = {}): Promise<FlinkJobSpec> {
  const jar = await ensureJar(choices.module ?? FEATURE_JOB_MODULE, { progress: choices.progress });
  const jarPath = await pinJar(jar, pinnedJarsDir(config));
  const { piiKeyFile, kafkaClientPropertiesFile } = await writeFeatureJobSecrets(config, choices.jobName ?? FEATURE_JOB_NAME);
  const jobVersion = choices.jobVersion ?? jarVersion(jar);
  const featuresTopic = choices.versionedFeaturesTopic ? versionedTopicName(topicName(config, 'features'), jobVersion) : choices.featuresTopic;
  const jobSpec = featureJobSpec(config, { ...choices, jobVersion, featuresTopic, piiKeyFile, kafkaClientPropertiesFile });
  // A blue/green version's own features topic does not exist yet: the deployment creates it.
  if (isSecuredKafka(config)) await checkFeatureJobKafkaAccess(config, choices.versionedFeaturesTopic ? { ...jobSpec.topics, features: topicName(config, 'features') } : jobSpec.topics);
  const spec = featureJobDeploymentSpec(jobSpec, {
    jarPath,
    parallelism: choices.parallelism,
    flinkConfiguration: choices.flinkConfiguration,
  });
  return choices.argumentOverrides ? { ...spec, programArgs: overrideArguments(spec.programArgs, choices.argumentOverrides) } : spec;
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

/** `--name value` pairs with the overridden values replaced, and overrides of absent names appended. */
function overrideArguments(args: readonly string[], overrides: Readonly<Record<string, string>>): string[] {
  const result = [...args];
  for (const [name, value] of Object.entries(overrides)) {
    const at = result.indexOf(`--${name}`);
    if (at >= 0) result[at + 1] = value;
    else result.push(`--${name}`, value);
  }
  return result;
}
