/**
 * What a training run reads of its pipeline's applied definition: the model inputs the vectoriser
 * is fitted from, the features schema's fields they refer to (from the schema text stored with the
 * revision, so a run means the same thing on any worker), and the example fields the split and the
 * labels come from. The run's model name is the pipeline's name.
 */
import avro from 'avsc';
import { recordFieldsOf } from '../pipelines/avro-fields.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { reasonOf } from '../errors/tributary-error.js';
import { PipelineNotAppliedError, TrainingError } from './errors.js';
import type { VectoriserInputs } from './training-data.js';
import type { ExampleFields } from './training-example.js';

/** The revision's parts a training run uses. */
export interface PipelineTrainingInputs {
  /** The revision read, for the run's record. */
  readonly revision: number;
  readonly vectoriser: VectoriserInputs;
  readonly examples: ExampleFields;
}

/**
 * The current revision of pipeline `model`, read for training. Throws {@link PipelineNotAppliedError}
 * when it was never applied (or was deleted), and {@link TrainingError} when the revision lacks its
 * features schema or that schema is not a record.
 */
export async function pipelineTrainingInputs(pipelines: Pick<PipelineStore, 'current'>, model: string): Promise<PipelineTrainingInputs> {
  const current = await pipelines.current(model);
  if (current === undefined) throw new PipelineNotAppliedError(model);
  const { definition, files, revision } = current;
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
    vectoriser: { inputs: definition.model.inputs, fields },
    examples: { eventId: definition.features.eventId, eventTime: definition.features.eventTime, label: definition.labels.field },
  };
}
