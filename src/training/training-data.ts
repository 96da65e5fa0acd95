/**
 * Turns a time split of labelled examples into what the training loop and the evaluation take:
 * the vectoriser fitted on the train split alone (vocabularies, standardisation), and the train and
 * validation matrices it makes. The test split stays as records: the evaluation vectorises it
 * through each model's own spec, since a champion trained earlier was fitted on other rows.
 */
import type { AvroField } from '../pipelines/avro-fields.js';
import type { ModelInput } from '../pipelines/pipeline-definition.js';
import { compileVectoriser, type CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { fitVectoriser } from '../vectoriser/fit-vectoriser.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import type { DatasetSplit } from './dataset-split.js';
import { labelledMatrixOf } from './feature-matrix.js';
import type { TrainingExample } from './training-example.js';
import type { TrainingData } from './training-loop.js';

/** What the vectoriser is fitted from: the definition's `model.inputs` and the features schema's fields. */
export interface VectoriserInputs {
  readonly inputs: readonly ModelInput[];
  readonly fields: ReadonlyMap<string, AvroField>;
}

/** Inputs of {@link trainModel} and {@link evaluateCandidate} for one split. */
export interface PreparedTrainingData extends TrainingData {
  /** Fitted on the train split only; stored with the model. */
  readonly spec: VectoriserSpec;
  readonly vectoriser: CompiledVectoriser;
  /** Not vectorised: each model of the evaluation reads it through its own spec. */
  readonly test: readonly TrainingExample[];
}

/**
 * Fits the vectoriser on the train split and vectorises train and validation with it. Throws the
 * vectoriser's `VectoriserFitError` when the inputs cannot be fitted (naming the input, or the
 * training row and value), and {@link ExampleVectorError} for a validation example it cannot read.
 */
export function prepareTrainingData(split: DatasetSplit<TrainingExample>, { inputs, fields }: VectoriserInputs): PreparedTrainingData {
  const spec = fitVectoriser(
    inputs,
    split.train.map((example) => example.record),
    fields,
  );
  const vectoriser = compileVectoriser(spec);
  return {
    spec,
    vectoriser,
    train: labelledMatrixOf(vectoriser, split.train, 'train'),
    validation: labelledMatrixOf(vectoriser, split.validation, 'validation'),
    test: split.test,
  };
}
