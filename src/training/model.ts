/**
 * The network: a multilayer perceptron with ReLU hidden layers and one output unit. A binary
 * classifier's output is a sigmoid, the probability-like score of the positive class; a
 * regression's is linear, the predicted value. Dropout is not a layer of the model: the training
 * loop applies it with a seed per step (see {@link applyForTraining}), because a Dropout layer
 * takes one fixed seed and would then drop the same units in every step.
 */
import { dropout, initializers, sequential, layers, tensor2d, tidy, type LayersModel, type Tensor } from '@tensorflow/tfjs';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { IncompatibleArtifactError } from './errors.js';
import type { FeatureMatrix } from './feature-matrix.js';
import { deriveSeed } from './seeded-random.js';

/** The shape of the network and the seed of its initial weights. */
export interface ModelArchitecture {
  /** Columns of the vectoriser's output. */
  readonly inputWidth: number;
  /** Units of each hidden layer, input side first. */
  readonly hiddenUnits: readonly number[];
  /** Seeds the Glorot-uniform initial weights (each layer derives its own seed from it). */
  readonly seed: number;
  /** What the output unit gives: a sigmoid score, or a linear value. @default 'binary-classification' */
  readonly task?: ModelTask;
}

/** Creates the network with seeded initial weights; the caller disposes it. */
export function createNetwork({ inputWidth, hiddenUnits, seed, task = 'binary-classification' }: ModelArchitecture): LayersModel {
  const model = sequential();
  [...hiddenUnits, 1].forEach((units, index) => {
    const isOutput = index === hiddenUnits.length;
    model.add(
      layers.dense({
        units,
        activation: isOutput ? (task === 'regression' ? 'linear' : 'sigmoid') : 'relu',
        kernelInitializer: initializers.glorotUniform({ seed: deriveSeed(seed, index) }),
        biasInitializer: 'zeros',
        ...(index === 0 ? { inputShape: [inputWidth] } : {}),
      }),
    );
  });
  return model;
}

/** A binary classifier's network (tests and tools that build one without a definition). */
export const createClassifierNetwork = (architecture: Omit<ModelArchitecture, 'task'>): LayersModel => createNetwork({ ...architecture, task: 'binary-classification' });

/**
 * The forward pass of one training step: each hidden layer's output goes through dropout with a
 * seed derived from `stepSeed`, so a step's masks depend only on the run's seed and the step.
 */
export function applyForTraining(model: LayersModel, input: Tensor, dropoutRate: number, stepSeed: number): Tensor {
  return tidy(() => {
    let output = input;
    model.layers.forEach((layer, index) => {
      output = layer.apply(output) as Tensor;
      const isHidden = index < model.layers.length - 1;
      if (isHidden && dropoutRate > 0) output = dropout(output, dropoutRate, undefined, deriveSeed(stepSeed, index));
    });
    return output;
  });
}

/**
 * The output of every row of a vectorised matrix, in row order: a classifier's score, a
 * regression's predicted value. Runs on the active
 * backend; leaves no tensor behind. Throws {@link IncompatibleArtifactError} when the matrix is
 * not as wide as the model's input.
 */
export async function predictScores(model: LayersModel, matrix: FeatureMatrix, batchSize = 512): Promise<Float32Array> {
  const inputWidth = model.inputs[0]?.shape[1];
  if (matrix.columnCount !== inputWidth) {
    throw new IncompatibleArtifactError('the model', `it takes ${String(inputWidth)} input columns, the feature matrix has ${matrix.columnCount}`);
  }
  if (matrix.rowCount === 0) return new Float32Array(0);
  const scores = tidy(() => model.predict(tensor2d(matrix.values, [matrix.rowCount, matrix.columnCount]), { batchSize }) as Tensor);
  try {
    return (await scores.data()) as Float32Array;
  } finally {
    scores.dispose();
  }
}
