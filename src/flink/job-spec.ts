import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { TributaryConfig } from '../config/config.js';
import { DEFAULT_CHECKPOINT_INTERVAL } from '../pipelines/pipeline-definition.js';
import { topicName } from '../streaming/topic-catalogue.js';
import type { MavenJarModule } from './jar-builder.js';

/** The name the feature job runs under; `status` and `cancel` find it by this name. */
export const FEATURE_JOB_NAME = 'tributary-feature-job';
export const FEATURE_JOB_ENTRY_CLASS = 'dev.tributary.flink.features.FeatureJob';

/** The fraud example's job (examples/fraud/feature-job), both from `src/` and from `dist/`. */
const MODULE_DIR = fileURLToPath(new URL('../../examples/fraud/feature-job/', import.meta.url));

/** The feature job's Maven module; the repository's schemas are packaged into its jar, so they are inputs too. */
export const FEATURE_JOB_MODULE: MavenJarModule = {
  moduleDir: MODULE_DIR,
  jar: join('target', 'tributary-feature-job.jar'),
  inputs: [join(MODULE_DIR, 'pom.xml'), join(MODULE_DIR, 'src', 'main'), fileURLToPath(new URL('../../schemas/', import.meta.url))],
};

export interface FeatureJobTopics {
  readonly transactions: string;
  readonly labels: string;
  readonly features: string;
  readonly trainingExamples: string;
  readonly dlq: string;
}

/** Everything the feature job is started with: what becomes its program arguments. */
export interface FeatureJobSpec {
  readonly jobName: string;
  /** Written into every feature record (lineage) and part of the transactional id prefix. */
  readonly jobVersion: string;
  readonly bootstrapServers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly topics: FeatureJobTopics;
  /** Consumer group; offsets are committed on checkpoints, and a job without state resumes from them. */
  readonly groupId: string;
  /** File holding the PII hash key, readable by the TaskManagers; the key itself is never an argument. */
  readonly piiKeyFile: string;
  /** Kafka credentials and TLS settings as a properties file the job references entry by entry; undefined for a plaintext broker. */
  readonly kafkaClientPropertiesFile: string | undefined;
  readonly outOfOrdernessMs: number;
  readonly labelHorizonMs: number;
  /** Prefix of the sinks' Kafka transactional ids; unique per job version so versions never fence each other. */
  readonly transactionalIdPrefix: string;
}

export interface FeatureJobSpecChoices {
  readonly jobVersion: string;
  readonly piiKeyFile: string;
  /** @default none: the job connects in plaintext without credentials */
  readonly kafkaClientPropertiesFile?: string;
  /** @default {@link FEATURE_JOB_NAME} */
  readonly jobName?: string;
  /** @default `<topic prefix><job name>` */
  readonly groupId?: string;
  /** Where features go; a blue/green version writes its own (see `versionedTopicName`). @default the catalogue's `features` topic */
  readonly featuresTopic?: string;
  /** How far behind the newest event time a transaction may arrive and still be in order. @default 5000 */
  readonly outOfOrdernessMs?: number;
  /** How long after a transaction its label may arrive and still make a training example. @default 7 days */
  readonly labelHorizonMs?: number;
}

export const DEFAULT_OUT_OF_ORDERNESS_MS = 5_000;

/**
 * Flink settings for a feature job's latency, chosen by measurement (`npm run bench -- latency`,
 * docs/measured.md). A feature is emitted when the watermark passes its event time, and Flink
 * emits watermarks every 200 ms by default: at 50 ms, transaction → features record took 90–135 ms
 * at the median instead of 170–230 ms. A record also waits in a network buffer before the keyed
 * operator until the buffer fills or the buffer timeout (100 ms by default) flushes it; at 10 ms
 * the median fell by another 20–45 ms with no more TaskManager CPU at up to 5,000 events/s.
 */
export const FEATURE_JOB_LATENCY_SETTINGS: Readonly<Record<string, string>> = {
  'pipeline.auto-watermark-interval': '50ms',
  'execution.buffer-timeout.interval': '10ms',
};

/**
 * The Flink configuration a feature job is submitted with: the latency settings and the default
 * checkpoint interval ({@link DEFAULT_CHECKPOINT_INTERVAL}; the exactly-once sinks commit on
 * checkpoints), beneath what the caller gives. Without it a job would take the cluster's own
 * interval (10 s on the local stack).
 */
export function featureJobFlinkConfiguration(given: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...FEATURE_JOB_LATENCY_SETTINGS, 'execution.checkpointing.interval': DEFAULT_CHECKPOINT_INTERVAL, ...given };
}
export const DEFAULT_LABEL_HORIZON_MS = 7 * 24 * 60 * 60 * 1000;

/** The spec of the feature job for this configuration: topic names carry the configured prefix. */
export function featureJobSpec(config: TributaryConfig, choices: FeatureJobSpecChoices): FeatureJobSpec {
  const jobName = choices.jobName ?? FEATURE_JOB_NAME;
  const groupId = choices.groupId ?? `${config.topics.prefix}${jobName}`;
  return {
    jobName,
    jobVersion: choices.jobVersion,
    bootstrapServers: config.kafka.brokers,
    schemaRegistryUrl: config.schemaRegistry.url,
    topics: {
      transactions: topicName(config, 'transactions'),
      labels: topicName(config, 'labels'),
      features: choices.featuresTopic ?? topicName(config, 'features'),
      trainingExamples: topicName(config, 'training-examples'),
      dlq: topicName(config, 'dlq'),
    },
    groupId,
    piiKeyFile: choices.piiKeyFile,
    kafkaClientPropertiesFile: choices.kafkaClientPropertiesFile,
    outOfOrdernessMs: choices.outOfOrdernessMs ?? DEFAULT_OUT_OF_ORDERNESS_MS,
    labelHorizonMs: choices.labelHorizonMs ?? DEFAULT_LABEL_HORIZON_MS,
    transactionalIdPrefix: `${groupId}-${choices.jobVersion}`,
  };
}

/** The job's program arguments (see JobOptions.java), one element per token. */
export function featureJobProgramArgs(spec: FeatureJobSpec): string[] {
  const args: Record<string, string> = {
    'bootstrap-servers': spec.bootstrapServers.join(','),
    'schema-registry-url': spec.schemaRegistryUrl,
    'transactions-topic': spec.topics.transactions,
    'labels-topic': spec.topics.labels,
    'features-topic': spec.topics.features,
    'training-examples-topic': spec.topics.trainingExamples,
    'dlq-topic': spec.topics.dlq,
    'group-id': spec.groupId,
    'job-version': spec.jobVersion,
    'job-name': spec.jobName,
    'pii-key-file': spec.piiKeyFile,
    'out-of-orderness-ms': String(spec.outOfOrdernessMs),
    'label-horizon-ms': String(spec.labelHorizonMs),
    'transactional-id-prefix': spec.transactionalIdPrefix,
    ...(spec.kafkaClientPropertiesFile === undefined ? {} : { 'kafka-client-properties': spec.kafkaClientPropertiesFile }),
  };
  return Object.entries(args).flatMap(([name, value]) => [`--${name}`, value]);
}
