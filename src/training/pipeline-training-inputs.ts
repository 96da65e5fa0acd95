/**
 * What a training run reads of its pipeline's applied definition: the model inputs the vectoriser
 * is fitted from, the features schema's fields they refer to (from the schema text stored with the
 * revision, so a run means the same thing on any worker), the example fields the split and the
 * labels come from, the model's settings (architecture, training options, decision policy,
 * split) with the run's own options over them, and the gates a candidate must pass. The run's
 * model name is the pipeline's name.
 */
import avro from 'avsc';
import { recordFieldsOf } from '../pipelines/avro-fields.js';
import { DEFAULT_SERVE_AS, type FeaturesDefinition, type GatesDefinition, type ModelServingRuntime } from '../pipelines/pipeline-definition.js';
import type { PipelineRevision, PipelineStore } from '../pipelines/pipeline-store.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import { reasonOf } from '../errors/tributary-error.js';
import { PipelineNotAppliedError, TrainingError } from './errors.js';
import type { VectoriserInputs } from './training-data.js';
import type { ExampleFields } from './training-example.js';
import { resolveTrainingSettings, type TrainingOverrides, type TrainingSettings } from './training-settings.js';

/** The revision's parts a training run uses. */
export interface PipelineTrainingInputs {
  /** The revision read, for the run's record. */
  readonly revision: number;
  /** The training-examples topic the definition names (`topics.trainingExamples`), without the topic prefix. */
  readonly examplesTopic: string;
  readonly vectoriser: VectoriserInputs;
  readonly examples: ExampleFields;
  /** The features record's identity fields, which the model's artifact records for the scorer. */
  readonly identity: Pick<FeaturesDefinition, 'eventId' | 'entityKey' | 'eventTime'>;
  readonly settings: TrainingSettings;
  /** The definition's `gates`, as written (the training pipeline fills in the task's defaults); undefined when it has none. */
  readonly gates: GatesDefinition | undefined;
  /** The runtime that serves the trained network (`model.serveAs`, default {@link DEFAULT_SERVE_AS}). */
  readonly serveAs: ModelServingRuntime;
}

/**
 * The current revision of pipeline `model`, read for training with the run's `overrides`. Throws
 * {@link PipelineNotAppliedError} when it was never applied (or was deleted), and the errors of
 * {@link trainingInputsOf}.
 */
export async function pipelineTrainingInputs(pipelines: Pick<PipelineStore, 'current'>, model: string, overrides: TrainingOverrides = {}): Promise<PipelineTrainingInputs> {
  const current = await pipelines.current(model);
  if (current === undefined) throw new PipelineNotAppliedError(model);
  return trainingInputsOf(current, overrides);
}

/**
 * Revision `pinned` of pipeline `model`, read for training: the later steps of a run read the
 * revision its first step read, so a definition applied meanwhile does not change the run half
 * way. Throws {@link TrainingError} when there is no such revision, and the errors of
 * {@link trainingInputsOf}.
 */
export async function pinnedTrainingInputs(pipelines: Pick<PipelineStore, 'revision'>, model: string, pinned: number, overrides: TrainingOverrides = {}): Promise<PipelineTrainingInputs> {
  const read = await pipelines.revision(model, pinned);
  if (read === undefined) throw new TrainingError(`pipeline ${model} has no revision ${pinned}, which this training run started from; start a new run: \`tributary train ${model}\``);
  return trainingInputsOf(read, overrides);
}

/**
 * What a run reads of one revision. Throws {@link TrainingError} when the revision lacks its
 * features schema or that schema is not a record.
 */
export function trainingInputsOf({ name: model, definition, files, revision }: PipelineRevision, overrides: TrainingOverrides = {}): PipelineTrainingInputs {
  const schemaFile = definition.features.schema;
  const text = files[schemaFile];
  if (text === undefined) throw new TrainingError(`revision ${revision} of pipeline ${model} does not hold its features schema ${schemaFile}; apply the definition again`);
  let fields;
  try {
    fields = recordFieldsOf(avro.Type.forSchema(JSON.parse(text) as avro.Schema), text).fields;
  } catch (error) {
    throw new TrainingError(`the features schema ${schemaFile} of pipeline ${model} revision ${revision} is not an Avro schema: ${reasonOf(error)}`, { cause: error });
  }
  if (fields === undefined) throw new TrainingError(`the features schema ${schemaFile} of pipeline ${model} revision ${revision} is not a record`);
  return {
    revision,
    examplesTopic: platformTopicNames(definition).trainingExamples,
    vectoriser: { inputs: definition.model.inputs, fields },
    examples: { eventId: definition.features.eventId, eventTime: definition.features.eventTime, label: definition.labels.field, task: definition.model.task },
    identity: { eventId: definition.features.eventId, entityKey: definition.features.entityKey, eventTime: definition.features.eventTime },
    settings: resolveTrainingSettings(definition.model, revision, overrides),
    gates: definition.gates,
    serveAs: definition.model.serveAs ?? DEFAULT_SERVE_AS,
  };
}
