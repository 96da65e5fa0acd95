/**
 * The topics every model read before pipelines named their own: `features` and
 * `training-examples` under the topic prefix. They are not the platform's (the topic catalogue
 * does not declare them, and `topics ensure` does not create them); a pipeline's definition
 * does (examples/fraud still names these two). They stay here, by name only, for what was
 * written before: a trigger or training run started before pipelines had their own topics
 * pinned offsets of this training-examples topic, and a deployment recorded before deployments
 * named their features topic was scored from this features topic. Their records are read with
 * the writer schema registered in the Schema Registry, since the platform ships no schema for
 * them.
 */
import type { TopicNaming } from './topic-catalogue.js';

export type PrePipelineTopic = 'features' | 'training-examples';

/** The Kafka name of a pre-pipeline topic under the configured prefix: `tributary.features` with the default one. */
export function prePipelineTopicName(config: TopicNaming, topic: PrePipelineTopic): string {
  return `${config.topics.prefix}${topic}`;
}
