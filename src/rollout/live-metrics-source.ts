/**
 * What a rollout of a pipeline's model measures, read from the pipeline's applied revision: the
 * model's task, the topics its scores, labels and dead letters are on, and how a label is found
 * (`labels.joinKey`, whose value is the score's `event_id`) and read (`labels.field`: a boolean
 * for classifiers, a number for regression). The rollout reads it once when it starts and passes
 * it to every measurement, so the figures of one rollout always join the same way.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { PipelineRevision } from '../pipelines/pipeline-store.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';

/** Kafka topic names, with the configured prefix. */
export interface LiveMetricsTopics {
  readonly scores: string;
  readonly labels: string;
  readonly dlq: string;
}

export interface LiveMetricsSource {
  readonly task: ModelTask;
  readonly topics: LiveMetricsTopics;
  /** The labels field holding the event id the scores carry. */
  readonly labelKey: string;
  /** The labels field holding the outcome. */
  readonly labelField: string;
  /** The pipeline revision these were read from, for the record. */
  readonly pipelineRevision: number;
}

/** The source of `revision`'s pipeline, its topics named with `topicPrefix`. */
export function liveMetricsSourceOf({ definition, revision }: Pick<PipelineRevision, 'definition' | 'revision'>, topicPrefix: string): LiveMetricsSource {
  const platform = platformTopicNames(definition);
  return {
    task: definition.model.task,
    topics: { scores: `${topicPrefix}${platform.scores}`, labels: `${topicPrefix}${definition.labels.topic}`, dlq: `${topicPrefix}${platform.dlq}` },
    labelKey: definition.labels.joinKey,
    labelField: definition.labels.field,
    pipelineRevision: revision,
  };
}

/**
 * A label's value as the metrics count it: true/false as 1/0 (classifiers; an int 0/1 is taken as
 * it is), a number as itself; anything else (a null, a string) is no label.
 */
export function labelValueOf(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The join key's value as the score's `event_id` holds it (a string); undefined when the field is null or missing. */
export function labelKeyOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
}
