/** Turns a time split of labelled examples into the matrices the training loop and evaluation take. */
import type { DatasetSplit } from './dataset-split.js';
import { toLabelledMatrix, type LabelledMatrix } from './feature-vector.js';
import { fitNormaliser, normalise, type NormaliserStats } from './normalisation.js';
import type { TrainingExample } from './training-example.js';
import type { TrainingData } from './training-loop.js';

/** Inputs of {@link trainFraudModel} and {@link evaluateCandidate} for one split. */
export interface PreparedTrainingData extends TrainingData {
  /** Fitted on the train split only; stored with the model. */
  readonly normaliser: NormaliserStats;
  /** Not normalised: evaluation scores it through each model's own normaliser (the champion's differs). */
  readonly rawTest: LabelledMatrix;
}

/**
 * Vectorises every split, fits the normaliser on the train split alone and normalises train and
 * validation with it. Throws {@link FeatureValueError} for the first record that cannot be vectorised.
 */
export function prepareTrainingData(split: DatasetSplit<TrainingExample>): PreparedTrainingData {
  const train = toLabelledMatrix(split.train);
  const validation = toLabelledMatrix(split.validation);
  const normaliser = fitNormaliser(train.features);
  return {
    normaliser,
    train: { features: normalise(train.features, normaliser), labels: train.labels },
    validation: { features: normalise(validation.features, normaliser), labels: validation.labels },
    rawTest: toLabelledMatrix(split.test),
  };
}
