/**
 * What a pipeline's models need beside the pipeline's own topics, so that training and serving it
 * need no `topics ensure` or `schemas register` first: the platform's shared topics of the
 * configured prefix (model artifacts, the model registry's decisions, the deployments the scorer
 * follows) with their subjects, and the subjects of the pipeline's scores and dead-letter topics,
 * which hold Tributary's own records (score.avsc, dead-letter.avsc), not the pipeline's. The
 * scorer would register those two on its first write; registering them on apply makes a
 * registry that refuses them a refusal before anything runs.
 *
 * The shared topics are not the pipeline's: `pipeline delete --purge` leaves them.
 */
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import { schemaFilePath, topicCatalogue, topicDeclaration, valueSubject, type LogicalTopicName } from '../streaming/topic-catalogue.js';

/** A shared topic of the prefix that a pipeline's models use. */
export interface PlatformTopic {
  readonly role: 'platform';
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** A subject apply registers from one of Tributary's own schema files. */
export interface PlatformSubject {
  readonly subject: string;
  /** The schema file, as plan names it (`schemas/score.avsc`). */
  readonly file: string;
  readonly schema: string;
}

/** The catalogue topics every model of the prefix uses, whatever its pipeline. */
const SHARED: readonly LogicalTopicName[] = ['models', 'model-registry-events', 'deployments'];

const schemaOf = (logical: LogicalTopicName): { file: string; schema: string } => {
  const declaration = topicDeclaration(logical).valueSchema;
  return { file: `schemas/${declaration.file}`, schema: loadSchemaFile(schemaFilePath(declaration)).text };
};

export function platformTopics(options: { readonly prefix: string; readonly replicationFactor?: number }): PlatformTopic[] {
  return topicCatalogue({ topics: { prefix: options.prefix } }, { replicationFactor: options.replicationFactor ?? 1 })
    .filter((topic) => SHARED.includes(topic.logical))
    .map((topic) => ({ role: 'platform', name: topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, configs: topic.configs }));
}

/** The subjects of the shared topics and of the pipeline's scores and dead-letter topics. */
export function platformSubjects(definition: PipelineDefinition, prefix: string): PlatformSubject[] {
  const names = platformTopicNames(definition);
  return [
    ...SHARED.map((logical) => ({ subject: valueSubject(`${prefix}${logical}`), ...schemaOf(logical) })),
    { subject: valueSubject(`${prefix}${names.scores}`), ...schemaOf('scores') },
    { subject: valueSubject(`${prefix}${names.dlq}`), ...schemaOf('dlq') },
  ];
}
