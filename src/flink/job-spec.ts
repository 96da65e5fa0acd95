/**
 * What a pipeline's jar feature job is started with: the arguments every jar job gets from the
 * platform (brokers, registry, its topics under the prefix, identity, secrets; docs/feature-job.md,
 * "Arguments") followed by its definition's own `args`, and the Flink settings it runs under.
 */
import type { TributaryConfig } from '../config/config.js';
import { DEFAULT_CHECKPOINT_INTERVAL } from '../pipelines/pipeline-definition.js';
import type { PipelineJarJob } from './jar-feature-job.js';

/** The name `flink submit | status | cancel` use when given none: the one jar jobs ran under before pipelines named them. */
export const FEATURE_JOB_NAME = 'tributary-feature-job';

/** The Kafka topics of a jar job, with the topic prefix. */
export interface FeatureJobTopics {
  readonly sources: readonly string[];
  readonly labels: string;
  readonly features: string;
  readonly trainingExamples: string;
  readonly dlq: string;
}

/** Everything a jar feature job is started with: what becomes its program arguments. */
export interface FeatureJobSpec {
  readonly jobName: string;
  readonly entryClass: string;
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
  readonly labelHorizonMs: number;
  /** Prefix of the sinks' Kafka transactional ids; unique per job version so versions never fence each other. */
  readonly transactionalIdPrefix: string;
  /** The definition's own arguments, then the caller's overrides as `--name value` pairs. */
  readonly extraArgs: readonly string[];
}

export interface FeatureJobSpecChoices {
  readonly jobVersion: string;
  readonly piiKeyFile: string;
  /** @default none: the job connects in plaintext without credentials */
  readonly kafkaClientPropertiesFile?: string;
  /** @default the definition's job name ({@link PipelineJarJob.jobName}) */
  readonly jobName?: string;
  /** @default `<topic prefix><job name>` */
  readonly groupId?: string;
  /** Where features go; a blue/green version writes its own (see `versionedTopicName`). @default the definition's features topic */
  readonly featuresTopic?: string;
  /** `--name value` arguments over the definition's and the platform's, e.g. to deploy a deliberately broken version. @default none */
  readonly argumentOverrides?: Readonly<Record<string, string>>;
}

/**
 * Flink settings for a feature job's latency, chosen by measurement (`npm run bench -- latency`,
 * docs/measured.md). A job that emits a feature when the watermark passes its event time (the
 * `--feature-timing event-time` of examples/fraud's job; SQL jobs' event-time operators) waits for watermarks,
 * which Flink emits every 200 ms by default: at 50 ms, transaction → features record took 90–135 ms
 * at the median instead of 170–230 ms; the label join's horizon and state retention run on them too. A record also waits in a network buffer before the keyed
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

/** The spec of a pipeline's jar job for this configuration: topic names carry the configured prefix. */
export function featureJobSpec(config: TributaryConfig, job: PipelineJarJob, choices: FeatureJobSpecChoices): FeatureJobSpec {
  const prefix = config.topics.prefix;
  const jobName = choices.jobName ?? job.jobName;
  const groupId = choices.groupId ?? `${prefix}${jobName}`;
  return {
    jobName,
    entryClass: job.mainClass,
    jobVersion: choices.jobVersion,
    bootstrapServers: config.kafka.brokers,
    schemaRegistryUrl: config.schemaRegistry.url,
    topics: {
      sources: job.topics.sources.map((topic) => `${prefix}${topic}`),
      labels: `${prefix}${job.topics.labels}`,
      features: choices.featuresTopic ?? `${prefix}${job.topics.features}`,
      trainingExamples: `${prefix}${job.topics.trainingExamples}`,
      dlq: `${prefix}${job.topics.dlq}`,
    },
    groupId,
    piiKeyFile: choices.piiKeyFile,
    kafkaClientPropertiesFile: choices.kafkaClientPropertiesFile,
    labelHorizonMs: job.labelHorizonMs,
    transactionalIdPrefix: `${groupId}-${choices.jobVersion}`,
    extraArgs: [...job.args, ...Object.entries(choices.argumentOverrides ?? {}).flatMap(([name, value]) => [`--${name}`, value])],
  };
}

/** The topics a job's health window compares and a secured broker's preflight describes: every topic it reads or writes. */
export const featureJobTopicNames = (topics: FeatureJobTopics): string[] => [...topics.sources, topics.labels, topics.features, topics.trainingExamples, topics.dlq];

/**
 * The job's program arguments, one element per token: the platform's (every jar job gets them;
 * `--source-topics` is the sources' topics, comma-separated, in the definition's order), then the
 * extra ones. An extra `--name value` replaces an earlier argument of that name in place (so a
 * definition can override what the platform passes, and a caller what the definition says); any
 * other extra token is appended as it is.
 */
export function featureJobProgramArgs(spec: FeatureJobSpec): string[] {
  const platform: Record<string, string> = {
    'bootstrap-servers': spec.bootstrapServers.join(','),
    'schema-registry-url': spec.schemaRegistryUrl,
    'source-topics': spec.topics.sources.join(','),
    'labels-topic': spec.topics.labels,
    'features-topic': spec.topics.features,
    'training-examples-topic': spec.topics.trainingExamples,
    'dlq-topic': spec.topics.dlq,
    'group-id': spec.groupId,
    'job-version': spec.jobVersion,
    'job-name': spec.jobName,
    'pii-key-file': spec.piiKeyFile,
    'label-horizon-ms': String(spec.labelHorizonMs),
    'transactional-id-prefix': spec.transactionalIdPrefix,
    ...(spec.kafkaClientPropertiesFile === undefined ? {} : { 'kafka-client-properties': spec.kafkaClientPropertiesFile }),
  };
  const tokens: (readonly [string] | readonly [string, string])[] = Object.entries(platform).map(([name, value]) => [`--${name}`, value] as const);
  const extra = spec.extraArgs;
  for (let index = 0; index < extra.length; index += 1) {
    const token = extra[index]!;
    const value = extra[index + 1];
    if (token.startsWith('--') && value !== undefined && !value.startsWith('--')) {
      const at = tokens.findIndex(([name]) => name === token);
      if (at >= 0) tokens[at] = [token, value];
      else tokens.push([token, value]);
      index += 1;
    } else {
      tokens.push([token]);
    }
  }
  return tokens.flat();
}
