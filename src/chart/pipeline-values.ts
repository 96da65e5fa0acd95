/**
 * A pipeline definition as one entry of the Helm chart's `pipelines:` values: its topics, its jar
 * feature job and the grants of its Kafka principals, computed by the code `pipeline apply` uses
 * (pipeline-topics.ts, jar-feature-job.ts, secure-kafka-acls.ts), so the chart's templates hold no
 * pipeline's names. What `tributary pipeline helm-values` prints; deploy/helm/tributary/values.yaml
 * holds examples/fraud's entry, made by it.
 */
import { basename } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { pipelineJarJob } from '../flink/jar-feature-job.js';
import { parseDuration } from '../pipelines/duration.js';
import { DEFAULT_CHECKPOINT_INTERVAL, type PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { pipelineTopics, type PipelineTopicRole } from '../pipelines/pipeline-topics.js';
import { pipelineKafkaGrants, type AclGrant } from '../stack/secure-kafka-acls.js';
import { ChartValuesError } from './errors.js';

/** Where the Flink image keeps a job's jar (the Flink image's usrlib, which deploy/flink/Dockerfile copies jars into). */
export const FLINK_USRLIB = 'local:///opt/flink/usrlib/';

/** The Kafka principals of a pipeline in the chart, one KafkaUser each. */
export type ChartRole = AclGrant['principal'];

/** One ACL of a KafkaUser, in Strimzi's words. */
export interface ChartGrant {
  readonly operation: 'Read' | 'Write' | 'Describe';
  readonly resource: 'topic' | 'group' | 'transactionalId';
  readonly name: string;
  readonly pattern: 'literal' | 'prefix';
}

export interface ChartTopic {
  readonly role: PipelineTopicRole;
  /** The Kafka topic name, prefix included. */
  readonly name: string;
  readonly partitions: number;
  /** Topic-level configs; the chart adds `min.insync.replicas` from its replication factor. */
  readonly config: Readonly<Record<string, string>>;
}

/** One entry of the chart's `pipelines:`; anything of `pipelineDefaults` it leaves out comes from there. */
export interface ChartPipelineValues {
  readonly name: string;
  readonly topicPrefix: string;
  readonly taskQueue: string;
  /** The model the scorer serves: a pipeline's model is named after it. */
  readonly model: string;
  readonly topics: readonly ChartTopic[];
  readonly featureJob: {
    readonly name: string;
    readonly image?: string;
    readonly jarURI: string;
    readonly entryClass: string;
    /** The definition's own arguments; the chart puts the platform's before them, as job-spec.ts does. */
    readonly args: readonly string[];
    readonly parallelism?: number;
    readonly checkpointIntervalMs: number;
    readonly labelHorizonMs: number;
    /** The topics the job's platform arguments name, prefix included. */
    readonly topics: { readonly sources: readonly string[]; readonly labels: string; readonly features: string; readonly trainingExamples: string; readonly dlq: string };
  };
  readonly grants: Readonly<Record<ChartRole, readonly ChartGrant[]>>;
}

export interface ChartValuesOptions {
  /** The chart's name of the pipeline, which names its objects: a DNS label of at most 20 characters. @default the definition's name */
  readonly name?: string;
  /** @default `<definition name>.`: two pipelines of one release never share a prefix */
  readonly topicPrefix?: string;
  /** @default the definition's name */
  readonly taskQueue?: string;
  /** The Flink image with the job's jar. @default none: `pipelineDefaults.featureJob.image` */
  readonly image?: string;
  /** @default {@link FLINK_USRLIB} followed by the file name of `features.job.jar` */
  readonly jarUri?: string;
}

const STRIMZI_OPERATION = { READ: 'Read', WRITE: 'Write', DESCRIBE: 'Describe' } as const;
const STRIMZI_RESOURCE = { TOPIC: 'topic', GROUP: 'group', TRANSACTIONAL_ID: 'transactionalId' } as const;
const STRIMZI_PATTERN = { LITERAL: 'literal', PREFIXED: 'prefix' } as const;

/** A grant of secure-kafka-acls.ts as a Strimzi KafkaUser ACL names it. */
export const strimziGrant = (grant: AclGrant): ChartGrant => ({
  operation: STRIMZI_OPERATION[grant.operation],
  resource: STRIMZI_RESOURCE[grant.resource],
  name: grant.name,
  pattern: STRIMZI_PATTERN[grant.pattern],
});

/** The chart's rule for a pipeline's name (templates/_helpers.tpl refuses others too). */
const CHART_NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;

/** The values as a file for `helm install -f`: `pipelines:` with the entries, each leaf list and map on one line. */
export function chartValuesYaml(entries: readonly ChartPipelineValues[], header: string): string {
  const document = new Document({ pipelines: entries });
  visit(document, {
    Map: (_, map) => {
      if (map.items.every((pair) => isScalar(pair.value))) map.flow = true;
    },
    Seq: (_, seq) => {
      if (seq.items.every(isScalar)) seq.flow = true;
    },
  });
  document.commentBefore = ` ${header}`;
  return document.toString({ lineWidth: 0 });
}

/**
 * The chart values of `definition`, read from `file` (whose folder its relative paths start at).
 * Throws {@link ChartValuesError} for a SQL feature job, which the chart cannot run, and for a
 * name that cannot name Kubernetes objects.
 */
export function pipelineChartValues(definition: PipelineDefinition, file: string, baseDir: string, options: ChartValuesOptions = {}): ChartPipelineValues {
  if (definition.features.job.kind !== 'jar') {
    // The Flink Kubernetes Operator runs jars; a SQL job needs a session cluster with a SQL Gateway, which the chart does not install.
    throw new ChartValuesError(
      file,
      `features.job is Flink SQL (${definition.features.job.file}), and the chart runs jar feature jobs only (the Flink Kubernetes Operator runs jars): ` +
        'submit this pipeline with `tributary pipeline apply` against a Flink cluster with a SQL Gateway (docs/kubernetes.md, "SQL feature jobs")',
    );
  }
  const name = options.name ?? definition.name;
  if (!CHART_NAME.test(name)) {
    throw new ChartValuesError(file, `pipeline name "${name}" cannot name the chart's objects (a DNS label of at most 20 characters: lower-case letters, digits, '-'); pass --name with one`);
  }
  const prefix = options.topicPrefix ?? `${definition.name}.`;
  const job = pipelineJarJob(definition, baseDir);
  const grants = pipelineKafkaGrants({ topics: { prefix } }, definition);
  const grantsOf = (role: ChartRole): ChartGrant[] => grants.filter((grant) => grant.principal === role).map(strimziGrant);
  const named = (topic: string): string => `${prefix}${topic}`;
  return {
    name,
    topicPrefix: prefix,
    taskQueue: options.taskQueue ?? definition.name,
    model: definition.name,
    topics: pipelineTopics(definition, { prefix }).map((topic) => ({
      role: topic.role,
      name: topic.name,
      partitions: topic.partitions,
      // min.insync.replicas follows the chart's replication factor, not the one topics are computed for here.
      config: Object.fromEntries(Object.entries(topic.configs).filter(([key]) => key !== 'min.insync.replicas')),
    })),
    featureJob: {
      name: job.jobName,
      ...(options.image === undefined ? {} : { image: options.image }),
      jarURI: options.jarUri ?? `${FLINK_USRLIB}${basename(job.jar)}`,
      entryClass: job.mainClass,
      args: [...job.args],
      ...(definition.features.parallelism === undefined ? {} : { parallelism: definition.features.parallelism }),
      // The schema checks the duration's form, so it parses.
      checkpointIntervalMs: parseDuration(definition.features.checkpointing?.interval ?? DEFAULT_CHECKPOINT_INTERVAL)!,
      labelHorizonMs: job.labelHorizonMs,
      topics: {
        sources: job.topics.sources.map(named),
        labels: named(job.topics.labels),
        features: named(job.topics.features),
        trainingExamples: named(job.topics.trainingExamples),
        dlq: named(job.topics.dlq),
      },
    },
    grants: { simulator: grantsOf('simulator'), scorer: grantsOf('scorer'), trainer: grantsOf('trainer'), flink: grantsOf('flink') },
  };
}
