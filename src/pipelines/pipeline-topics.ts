/**
 * The Kafka topics of a pipeline: those its definition names (sources, features, labels) and those
 * the platform provides for it (training examples, scores, dead letters), with the partitions and
 * retention each is created with. Scores and dead letters get the topic catalogue's settings
 * (src/streaming/topic-catalogue.ts), so a pipeline that names the platform's own `scores` and
 * `dlq` (examples/fraud does) finds them as they are.
 */
import type { PipelineDefinition } from './pipeline-definition.js';

export type PipelineTopicRole = 'source' | 'features' | 'labels' | 'training-examples' | 'scores' | 'dlq';

export interface PipelineTopic {
  readonly role: PipelineTopicRole;
  /** The Kafka topic name: the configured prefix, then the name in the definition. */
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, written exactly as Kafka reports them back. */
  readonly configs: Readonly<Record<string, string>>;
  /** The definition's path of the topic's value schema (a key of a revision's files); undefined for the platform's own records. */
  readonly schemaFile: string | undefined;
}

/** The platform topics of a pipeline, without the topic prefix: as the definition names them, else after the pipeline. */
export function platformTopicNames(definition: PipelineDefinition): { readonly trainingExamples: string; readonly scores: string; readonly dlq: string } {
  return {
    trainingExamples: definition.topics?.trainingExamples ?? `${definition.name}.training-examples`,
    scores: definition.topics?.scores ?? `${definition.name}.scores`,
    dlq: definition.topics?.dlq ?? `${definition.name}.dlq`,
  };
}

/** A feature job's name when the definition names none; the Helm chart names each pipeline's FlinkDeployment by the same rule. */
export const defaultFeatureJobName = (pipeline: string): string => `${pipeline}-features`;

/** The feature job's name on the Flink cluster and in its deployment records: `features.job.name`, else `<name>-features`. */
export function featureJobName(definition: PipelineDefinition): string {
  const { job } = definition.features;
  return (job.kind === 'jar' ? job.name : undefined) ?? defaultFeatureJobName(definition.name);
}

const DAY_MS = 86_400_000;
const PARTITIONS = 3;

/**
 * Days each role is kept: events can be replayed within a week; labels, examples, scores and dead
 * letters outlive them, because labels arrive late, training pins example ranges for lineage,
 * live metrics join scores with late labels, and a person needs time to look at dead letters.
 */
const RETENTION_DAYS: Readonly<Record<PipelineTopicRole, number>> = { source: 7, features: 7, labels: 30, 'training-examples': 30, scores: 30, dlq: 30 };

/** Every topic of a pipeline, sources first, each once (a topic named twice keeps its first role). */
export function pipelineTopics(definition: PipelineDefinition, options: { readonly prefix: string; readonly replicationFactor?: number }): readonly PipelineTopic[] {
  const replicationFactor = options.replicationFactor ?? 1;
  const platform = platformTopicNames(definition);
  const named: [PipelineTopicRole, string, string | undefined][] = [
    ...definition.sources.map((source): [PipelineTopicRole, string, string] => ['source', source.topic, source.schema]),
    ['features', definition.features.topic, definition.features.schema],
    ['labels', definition.labels.topic, definition.labels.schema],
    ['training-examples', platform.trainingExamples, undefined],
    ['scores', platform.scores, undefined],
    ['dlq', platform.dlq, undefined],
  ];
  const seen = new Set<string>();
  return named.flatMap(([role, topic, schemaFile]) => {
    const name = `${options.prefix}${topic}`;
    if (seen.has(name)) return [];
    seen.add(name);
    const configs = {
      'cleanup.policy': 'delete',
      'retention.ms': String(RETENTION_DAYS[role] * DAY_MS),
      // As the catalogue: an acks=all write survives the loss of one replica wherever there is more than one.
      'min.insync.replicas': String(Math.max(1, replicationFactor - 1)),
    };
    return [{ role, name, partitions: PARTITIONS, replicationFactor, configs, schemaFile }];
  });
}
