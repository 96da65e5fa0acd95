/**
 * Trains the classifier on vectorised train and validation matrices: seeded mini-batch Adam with
 * class weights, early stopping on the validation loss with the best weights restored, a report
 * after every epoch, and resumption from a checkpoint taken in one.
 *
 * Reproducibility: the initial weights, the batch order of each epoch and every dropout mask
 * derive from `seed` alone, so two runs with the same data, options and backend in the same build
 * produce identical weights on the cpu and wasm backends (in Node both compute in one thread, in
 * a fixed order: the wasm backend loads its SIMD binary without threads). Not bit-identical:
 * across backends (wasm's SIMD kernels sum in another order than the JavaScript cpu kernels),
 * on a runtime without wasm SIMD (the plain binary is loaded), across TensorFlow.js versions, and
 * — in the last bits (about 1e-7 here) — a resumed run versus an uninterrupted one, because Adam
 * rebuilds its bias-correction terms from the step count as β^t rather than by the running
 * product it keeps while training.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  clipByValue,
  dispose,
  gather,
  log,
  mean,
  mul,
  neg,
  scalar,
  sub,
  add,
  tensor,
  tensor1d,
  tensor2d,
  tidy,
  train as optimizers,
  type LayersModel,
  type Scalar,
  type Tensor,
  type Variable,
} from '@tensorflow/tfjs';
import { selectTensorFlowBackend, type BackendName } from './backend.js';
import { IncompatibleArtifactError, TrainingError } from './errors.js';
import type { LabelledMatrix } from './feature-matrix.js';
import { applyForTraining, createClassifierNetwork } from './model.js';
import { createSeededRandom, deriveSeed, shuffledIndices } from './seeded-random.js';
import { compileTrainingOptions, type ClassWeighting, type CompiledTrainingOptions, type TrainingOptions } from './training-options.js';

/** Vectorised matrices of the train and validation splits. */
export interface TrainingData {
  readonly train: LabelledMatrix;
  readonly validation: LabelledMatrix;
}

/** A tensor as plain JSON. */
export interface SerialisedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/**
 * Everything needed to continue a run after its last completed epoch, as plain JSON (an activity
 * heartbeats it, or stores it and heartbeats a reference when the model is large).
 */
export interface TrainingCheckpoint {
  readonly completedEpochs: number;
  /** Current model weights, in `model.getWeights()` order. */
  readonly weights: readonly SerialisedTensor[];
  /** Adam's step count and moment estimates, so the resumed steps are the ones that would have followed. */
  readonly optimizerState: readonly SerialisedTensor[];
  readonly bestEpoch: number;
  readonly bestValidationLoss: number;
  readonly bestWeights: readonly SerialisedTensor[];
  readonly epochsWithoutImprovement: number;
}

/** Losses of one epoch. */
export interface EpochSummary {
  /** 1-based, counting the epochs of a resumed run. */
  readonly epoch: number;
  /** Mean class-weighted cross-entropy over the epoch's batches, with dropout. */
  readonly trainLoss: number;
  /** Unweighted cross-entropy on the validation split, without dropout: what early stopping watches. */
  readonly validationLoss: number;
  readonly seconds: number;
}

/** What {@link TrainingHooks.onEpochEnd} receives. */
export interface EpochReport extends EpochSummary {
  readonly maxEpochs: number;
  readonly bestEpoch: number;
  readonly bestValidationLoss: number;
  /** True when this epoch is the last: early stopping triggered or `maxEpochs` reached. */
  readonly finalEpoch: boolean;
  /** The state after this epoch; call it before the hook's promise settles (the loop moves on after). */
  checkpoint(): Promise<TrainingCheckpoint>;
}

export interface TrainingHooks {
  /**
   * Called after every epoch and awaited before the next (an activity heartbeats here). Throwing
   * ends training: the model is disposed and the error propagates.
   */
  readonly onEpochEnd?: (report: EpochReport) => void | Promise<void>;
  /** Continue a run from this checkpoint instead of from fresh weights; options and data must be the run's own. */
  readonly resumeFrom?: TrainingCheckpoint;
}

/** A trained model and how it got there. */
export interface TrainingResult {
  /** Holds the best weights seen; the caller disposes it. */
  readonly model: LayersModel;
  readonly backend: BackendName;
  readonly options: CompiledTrainingOptions;
  readonly classWeights: { readonly negative: number; readonly positive: number };
  /** Epochs completed in all, resumed ones included. */
  readonly completedEpochs: number;
  readonly bestEpoch: number;
  readonly bestValidationLoss: number;
  /** True when the validation loss stopped improving before `maxEpochs`. */
  readonly stoppedEarly: boolean;
  /** The epochs run by this call, oldest first. */
  readonly history: readonly EpochSummary[];
  /** Training examples processed per second of gradient steps in this call (validation passes excluded); 0 when no epoch ran. */
  readonly trainSamplesPerSecond: number;
}

type AdamOptimizer = ReturnType<typeof optimizers.adam>;

/** Keeps the log finite for predictions that round to exactly 0 or 1 in float32. */
const PROBABILITY_EPSILON = 1e-7;

/**
 * Trains a new model, or continues the one in `hooks.resumeFrom`, and returns it with its best
 * weights. Throws {@link InvalidOptionsError} for bad options, {@link TrainingError} for unusable
 * data (a split without rows, of another width, with a non-finite value, or training data
 * of one class) and {@link IncompatibleArtifactError} for a checkpoint of another shape.
 */
export async function trainModel(data: TrainingData, options: TrainingOptions = {}, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const compiled = compileTrainingOptions(options);
  checkData(data);
  const backend = (await selectTensorFlowBackend(compiled.backend === undefined ? {} : { force: compiled.backend })).name;
  const classWeights = resolveClassWeights(compiled.classWeight, data.train.labels);
  const model = createClassifierNetwork({ inputWidth: data.train.features.columnCount, hiddenUnits: compiled.hiddenUnits, seed: compiled.seed });
  const optimizer = optimizers.adam(compiled.learningRate);
  let tensors: DataTensors | undefined;
  try {
    tensors = toTensors(data, classWeights);
    const state = await startingState(model, optimizer, hooks.resumeFrom);
    const history: EpochSummary[] = [];
    let trainSeconds = 0;
    let stoppedEarly = state.epochsWithoutImprovement >= compiled.patience;
    while (!stoppedEarly && state.completedEpochs < compiled.maxEpochs) {
      const epoch = state.completedEpochs + 1;
      const epochStart = performance.now();
      const trainLoss = await runEpoch(model, optimizer, tensors, compiled, epoch);
      trainSeconds += (performance.now() - epochStart) / 1000;
      const validationLoss = validationCrossEntropy(model, tensors.validationX, tensors.validationY);
      recordEpoch(state, epoch, validationLoss, model, compiled.minDelta);
      stoppedEarly = state.epochsWithoutImprovement >= compiled.patience;
      const summary: EpochSummary = { epoch, trainLoss, validationLoss, seconds: (performance.now() - epochStart) / 1000 };
      history.push(summary);
      await reportEpoch(hooks, summary, compiled, state, stoppedEarly || epoch === compiled.maxEpochs, model, optimizer);
    }
    if (state.bestWeights.length > 0) restoreWeights(model, state.bestWeights);
    return {
      model,
      backend,
      options: compiled,
      classWeights,
      completedEpochs: state.completedEpochs,
      bestEpoch: state.bestEpoch,
      bestValidationLoss: state.bestValidationLoss,
      stoppedEarly: stoppedEarly && state.completedEpochs < compiled.maxEpochs,
      history,
      trainSamplesPerSecond: trainSeconds > 0 ? (history.length * data.train.labels.length) / trainSeconds : 0,
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    if (tensors !== undefined) dispose(Object.values(tensors));
  }
}

/** The data on the backend, created once per run. */
interface DataTensors {
  readonly trainX: Tensor;
  readonly trainY: Tensor;
  /** The class weight of each training example. */
  readonly trainWeights: Tensor;
  readonly validationX: Tensor;
  readonly validationY: Tensor;
}

function toTensors({ train, validation }: TrainingData, classWeights: { negative: number; positive: number }): DataTensors {
  const matrixTensor = ({ features }: LabelledMatrix): Tensor => tensor2d(features.values, [features.rowCount, features.columnCount]);
  const column = (values: Float32Array): Tensor => tensor2d(values, [values.length, 1]);
  return {
    trainX: matrixTensor(train),
    trainY: column(Float32Array.from(train.labels)),
    trainWeights: column(Float32Array.from(train.labels, (label) => (label === 1 ? classWeights.positive : classWeights.negative))),
    validationX: matrixTensor(validation),
    validationY: column(Float32Array.from(validation.labels)),
  };
}

/**
 * One pass over the training examples in the epoch's seeded order; returns the mean weighted loss.
 * The batch order and dropout masks depend only on the seed and the epoch, so a resumed run
 * repeats them.
 */
async function runEpoch(model: LayersModel, optimizer: AdamOptimizer, tensors: DataTensors, options: CompiledTrainingOptions, epoch: number): Promise<number> {
  const variables = model.trainableWeights.map((weight) => weight.read() as Variable);
  const order = shuffledIndices(tensors.trainY.shape[0], createSeededRandom(deriveSeed(options.seed, epoch)));
  let weightedLossSum = 0;
  for (let start = 0, batch = 0; start < order.length; start += options.batchSize, batch += 1) {
    const indices = tensor1d(order.subarray(start, start + options.batchSize), 'int32');
    const cost = optimizer.minimize(
      () => {
        const predicted = applyForTraining(model, gather(tensors.trainX, indices), options.dropout, deriveSeed(options.seed, epoch, batch));
        return weightedCrossEntropy(gather(tensors.trainY, indices), predicted, gather(tensors.trainWeights, indices));
      },
      true,
      variables,
    ) as Scalar;
    weightedLossSum += (cost.dataSync()[0] ?? Number.NaN) * indices.size;
    dispose([cost, indices]);
    // Lets timers and I/O run between steps, so an activity's heartbeats leave on time.
    await yieldToEventLoop();
  }
  return weightedLossSum / order.length;
}

/** Early-stopping bookkeeping after an epoch: a new best keeps its weights, anything else counts towards patience. */
function recordEpoch(state: LoopState, epoch: number, validationLoss: number, model: LayersModel, minDelta: number): void {
  state.completedEpochs = epoch;
  if (validationLoss < state.bestValidationLoss - minDelta) {
    state.bestEpoch = epoch;
    state.bestValidationLoss = validationLoss;
    state.bestWeights = serialiseTensors(model.getWeights());
    state.epochsWithoutImprovement = 0;
  } else {
    state.epochsWithoutImprovement += 1;
  }
}

/** The progress of a run that a checkpoint carries besides the current weights and optimizer state. */
type LoopState = { -readonly [Key in Exclude<keyof TrainingCheckpoint, 'weights' | 'optimizerState'>]: TrainingCheckpoint[Key] };

async function startingState(model: LayersModel, optimizer: AdamOptimizer, checkpoint: TrainingCheckpoint | undefined): Promise<LoopState> {
  if (checkpoint === undefined) {
    return { completedEpochs: 0, bestEpoch: 0, bestValidationLoss: Number.POSITIVE_INFINITY, bestWeights: [], epochsWithoutImprovement: 0 };
  }
  restoreWeights(model, checkpoint.weights);
  if (checkpoint.bestWeights.length > 0) checkShapes(model, checkpoint.bestWeights, 'bestWeights');
  const optimizerState: Parameters<AdamOptimizer['setWeights']>[0] = checkpoint.optimizerState.map(({ name, shape, values }) => ({ name, tensor: tensor(values, [...shape]) }));
  try {
    // Adam creates its moment variables from these; without them it would restart from zero moments.
    if (optimizerState.length > 0) await optimizer.setWeights(optimizerState);
  } finally {
    dispose(optimizerState.map(({ tensor: value }) => value));
  }
  const { completedEpochs, bestEpoch, bestValidationLoss, bestWeights, epochsWithoutImprovement } = checkpoint;
  return { completedEpochs, bestEpoch, bestValidationLoss, bestWeights, epochsWithoutImprovement };
}

async function reportEpoch(
  hooks: TrainingHooks,
  summary: EpochSummary,
  options: CompiledTrainingOptions,
  state: LoopState,
  finalEpoch: boolean,
  model: LayersModel,
  optimizer: AdamOptimizer,
): Promise<void> {
  if (hooks.onEpochEnd === undefined) return;
  let current = true;
  const checkpoint = async (): Promise<TrainingCheckpoint> => {
    if (!current) throw new TrainingError(`the checkpoint of epoch ${summary.epoch} was asked for after training moved on; take it inside onEpochEnd`);
    const named = await optimizer.getWeights();
    // getWeights creates the step-count tensor; the moments are Adam's own variables.
    const optimizerState = named.map(({ name, tensor: value }) => ({ name, shape: value.shape, values: Array.from(value.dataSync()) }));
    dispose(named.filter(({ name }) => name === 'iter').map(({ tensor: value }) => value));
    return { ...state, weights: serialiseTensors(model.getWeights()), optimizerState };
  };
  try {
    await hooks.onEpochEnd({
      ...summary,
      maxEpochs: options.maxEpochs,
      bestEpoch: state.bestEpoch,
      bestValidationLoss: state.bestValidationLoss,
      finalEpoch,
      checkpoint,
    });
  } finally {
    current = false;
  }
}

function weightedCrossEntropy(labels: Tensor, predicted: Tensor, weights: Tensor): Scalar {
  return tidy(() => mean(mul(weights, crossEntropy(labels, predicted))) as Scalar);
}

function validationCrossEntropy(model: LayersModel, inputs: Tensor, labels: Tensor): number {
  return tidy(() => mean(crossEntropy(labels, model.predict(inputs, { batchSize: 4096 }) as Tensor)).dataSync()[0] ?? Number.NaN);
}

/** Per-example binary cross-entropy −[y·ln p + (1 − y)·ln(1 − p)]. */
function crossEntropy(labels: Tensor, predicted: Tensor): Tensor {
  return tidy(() => {
    const probability = clipByValue(predicted, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    const one = scalar(1);
    return neg(add(mul(labels, log(probability)), mul(sub(one, labels), log(sub(one, probability)))));
  });
}

function resolveClassWeights(weighting: ClassWeighting, labels: Uint8Array): { negative: number; positive: number } {
  if (weighting === 'none') return { negative: 1, positive: 1 };
  if (weighting !== 'balanced') return { negative: weighting.negative, positive: weighting.positive };
  const positives = labels.reduce((sum, label) => sum + label, 0);
  return { negative: labels.length / (2 * (labels.length - positives)), positive: labels.length / (2 * positives) };
}

function checkData({ train, validation }: TrainingData): void {
  for (const [split, matrix] of [['train', train], ['validation', validation]] as const) {
    const { rowCount, columnCount } = matrix.features;
    if (rowCount === 0 || rowCount !== matrix.labels.length) {
      throw new TrainingError(`the ${split} data has ${rowCount} feature rows and ${matrix.labels.length} labels; it needs at least one row and a label per row`, { split });
    }
    if (columnCount !== train.features.columnCount) {
      throw new TrainingError(`the ${split} data has ${columnCount} columns, the train data ${train.features.columnCount}; both must come from one vectoriser`, { split });
    }
    const invalid = matrix.features.values.findIndex((value) => !Number.isFinite(value));
    if (invalid >= 0) {
      const [row, column] = [Math.floor(invalid / columnCount), invalid % columnCount];
      throw new TrainingError(`the ${split} data holds ${matrix.features.values[invalid]} at row ${row}, column ${column}; vectorised features must be finite`, { split });
    }
  }
  const positives = train.labels.reduce((sum, label) => sum + label, 0);
  if (positives === 0 || positives === train.labels.length) {
    throw new TrainingError(`the train data has ${positives} positive examples among ${train.labels.length}; it needs both classes`, { split: 'train' });
  }
}

function serialiseTensors(tensors: readonly Tensor[]): SerialisedTensor[] {
  return tensors.map((value, index) => ({ name: `weight_${index}`, shape: value.shape, values: Array.from(value.dataSync()) }));
}

function checkShapes(model: LayersModel, weights: readonly SerialisedTensor[], what: string): void {
  const expected = model.getWeights().map((value) => value.shape.join('x'));
  const given = weights.map(({ shape }) => shape.join('x'));
  if (expected.join(',') !== given.join(',')) {
    throw new IncompatibleArtifactError(`the checkpoint's ${what}`, `its shapes are [${given.join(', ')}], the model's are [${expected.join(', ')}]`);
  }
}

function restoreWeights(model: LayersModel, weights: readonly SerialisedTensor[]): void {
  checkShapes(model, weights, 'weights');
  const tensors = weights.map(({ shape, values }) => tensor(values, [...shape]));
  model.setWeights(tensors);
  dispose(tensors);
}
