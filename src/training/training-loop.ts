/**
 * Trains the network on vectorised train and validation matrices: seeded mini-batch Adam, early
 * stopping on the validation loss with the best weights restored, a report after every epoch, and
 * resumption from a checkpoint taken in one.
 *
 * A binary classifier minimises class-weighted cross-entropy of a sigmoid output. A regression
 * minimises the mean squared error of a linear output, on the label standardised over the train
 * split ((y − mean) / standard deviation): one learning rate then suits labels of any scale, and
 * the output's bias does not start tens of units from where it belongs. Once trained, the scale is
 * folded into the output layer (weights × sd, bias × sd + mean), so the network itself — and the
 * artifact made of it — predicts in the label's units, and nothing downstream needs the scale.
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
  square,
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
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { selectTensorFlowBackend, type BackendName } from './backend.js';
import { IncompatibleArtifactError, TrainingError } from './errors.js';
import type { LabelledMatrix } from './feature-matrix.js';
import { applyForTraining, createNetwork } from './model.js';
import { createSeededRandom, deriveSeed, shuffledIndices } from './seeded-random.js';
import { compileTrainingOptions, type ClassWeighting, type CompiledTrainingOptions, type TrainingOptions } from './training-options.js';

/** Vectorised matrices of the train and validation splits. */
export interface TrainingData {
  readonly train: LabelledMatrix;
  readonly validation: LabelledMatrix;
  /** What the labels are and so what the network learns. @default 'binary-classification' */
  readonly task?: ModelTask;
}

/** Where a regression's train labels lie: the standardisation folded into its output layer. */
export interface LabelScale {
  readonly mean: number;
  /** Population standard deviation of the train labels; above 0. */
  readonly standardDeviation: number;
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
  /** Over the epoch's batches, with dropout: a classifier's mean class-weighted cross-entropy, a regression's mean squared error on the standardised label. */
  readonly trainLoss: number;
  /** The same loss on the validation split, unweighted and without dropout: what early stopping watches. */
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
  readonly task: ModelTask;
  /** A classifier's; absent for a regression. */
  readonly classWeights?: { readonly negative: number; readonly positive: number };
  /** A regression's, already folded into the model's output layer; absent for a classifier. */
  readonly labelScale?: LabelScale;
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
 * data (a split without rows, of another width, with a non-finite value; a classifier's training
 * data of one class, a regression's labels that do not vary) and {@link IncompatibleArtifactError}
 * for a checkpoint of another shape. `classWeight` applies to classifiers only.
 */
export async function trainModel(data: TrainingData, options: TrainingOptions = {}, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const compiled = compileTrainingOptions(options);
  const task = data.task ?? 'binary-classification';
  checkData(data, task);
  const backend = (await selectTensorFlowBackend(compiled.backend === undefined ? {} : { force: compiled.backend })).name;
  const classWeights = task === 'regression' ? undefined : resolveClassWeights(compiled.classWeight, data.train.labels);
  const labelScale = task === 'regression' ? labelScaleOf(data.train.labels) : undefined;
  const model = createNetwork({ inputWidth: data.train.features.columnCount, hiddenUnits: compiled.hiddenUnits, seed: compiled.seed, task });
  const optimizer = optimizers.adam(compiled.learningRate);
  const loss = task === 'regression' ? squaredError : crossEntropy;
  let tensors: DataTensors | undefined;
  try {
    tensors = toTensors(data, classWeights, labelScale);
    const state = await startingState(model, optimizer, hooks.resumeFrom);
    const history: EpochSummary[] = [];
    let trainSeconds = 0;
    let stoppedEarly = state.epochsWithoutImprovement >= compiled.patience;
    while (!stoppedEarly && state.completedEpochs < compiled.maxEpochs) {
      const epoch = state.completedEpochs + 1;
      const epochStart = performance.now();
      const trainLoss = await runEpoch(model, optimizer, tensors, compiled, epoch, loss);
      trainSeconds += (performance.now() - epochStart) / 1000;
      const validationLoss = validationLossOf(model, tensors.validationX, tensors.validationY, loss);
      recordEpoch(state, epoch, validationLoss, model, compiled.minDelta);
      stoppedEarly = state.epochsWithoutImprovement >= compiled.patience;
      const summary: EpochSummary = { epoch, trainLoss, validationLoss, seconds: (performance.now() - epochStart) / 1000 };
      history.push(summary);
      await reportEpoch(hooks, summary, compiled, state, stoppedEarly || epoch === compiled.maxEpochs, model, optimizer);
    }
    if (state.bestWeights.length > 0) restoreWeights(model, state.bestWeights);
    if (labelScale !== undefined) foldLabelScale(model, labelScale);
    return {
      model,
      backend,
      options: compiled,
      task,
      ...(classWeights === undefined ? {} : { classWeights }),
      ...(labelScale === undefined ? {} : { labelScale }),
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
  /** A regression's standardised. */
  readonly trainY: Tensor;
  /** The class weight of each training example; 1 for a regression's. */
  readonly trainWeights: Tensor;
  /** A regression's standardised with the train split's scale. */
  readonly validationX: Tensor;
  readonly validationY: Tensor;
}

function toTensors(
  { train, validation }: TrainingData,
  classWeights: { negative: number; positive: number } | undefined,
  labelScale: LabelScale | undefined,
): DataTensors {
  const matrixTensor = ({ features }: LabelledMatrix): Tensor => tensor2d(features.values, [features.rowCount, features.columnCount]);
  const column = (values: Float32Array): Tensor => tensor2d(values, [values.length, 1]);
  const target = (labels: Float64Array): Float32Array =>
    labelScale === undefined ? Float32Array.from(labels) : Float32Array.from(labels, (label) => (label - labelScale.mean) / labelScale.standardDeviation);
  return {
    trainX: matrixTensor(train),
    trainY: column(target(train.labels)),
    trainWeights: column(Float32Array.from(train.labels, (label) => (classWeights === undefined ? 1 : label === 1 ? classWeights.positive : classWeights.negative))),
    validationX: matrixTensor(validation),
    validationY: column(target(validation.labels)),
  };
}

/** Per-example loss of predictions against labels. */
type ExampleLoss = (labels: Tensor, predicted: Tensor) => Tensor;

/**
 * One pass over the training examples in the epoch's seeded order; returns the mean weighted loss.
 * The batch order and dropout masks depend only on the seed and the epoch, so a resumed run
 * repeats them.
 */
async function runEpoch(model: LayersModel, optimizer: AdamOptimizer, tensors: DataTensors, options: CompiledTrainingOptions, epoch: number, loss: ExampleLoss): Promise<number> {
  const variables = model.trainableWeights.map((weight) => weight.read() as Variable);
  const order = shuffledIndices(tensors.trainY.shape[0], createSeededRandom(deriveSeed(options.seed, epoch)));
  let weightedLossSum = 0;
  for (let start = 0, batch = 0; start < order.length; start += options.batchSize, batch += 1) {
    const indices = tensor1d(order.subarray(start, start + options.batchSize), 'int32');
    const cost = optimizer.minimize(
      () => {
        const predicted = applyForTraining(model, gather(tensors.trainX, indices), options.dropout, deriveSeed(options.seed, epoch, batch));
        return weightedLoss(loss, gather(tensors.trainY, indices), predicted, gather(tensors.trainWeights, indices));
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

function weightedLoss(loss: ExampleLoss, labels: Tensor, predicted: Tensor, weights: Tensor): Scalar {
  return tidy(() => mean(mul(weights, loss(labels, predicted))) as Scalar);
}

function validationLossOf(model: LayersModel, inputs: Tensor, labels: Tensor, loss: ExampleLoss): number {
  return tidy(() => mean(loss(labels, model.predict(inputs, { batchSize: 4096 }) as Tensor)).dataSync()[0] ?? Number.NaN);
}

/** Per-example squared error (y − ŷ)². */
function squaredError(labels: Tensor, predicted: Tensor): Tensor {
  return tidy(() => square(sub(labels, predicted)));
}

/** Per-example binary cross-entropy −[y·ln p + (1 − y)·ln(1 − p)]. */
function crossEntropy(labels: Tensor, predicted: Tensor): Tensor {
  return tidy(() => {
    const probability = clipByValue(predicted, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    const one = scalar(1);
    return neg(add(mul(labels, log(probability)), mul(sub(one, labels), log(sub(one, probability)))));
  });
}

function resolveClassWeights(weighting: ClassWeighting, labels: Float64Array): { negative: number; positive: number } {
  if (weighting === 'none') return { negative: 1, positive: 1 };
  if (weighting !== 'balanced') return { negative: weighting.negative, positive: weighting.positive };
  const positives = labels.reduce((sum, label) => sum + label, 0);
  return { negative: labels.length / (2 * (labels.length - positives)), positive: labels.length / (2 * positives) };
}

/** Mean and population standard deviation of the train labels, in double precision. */
function labelScaleOf(labels: Float64Array): LabelScale {
  const mean = labels.reduce((sum, label) => sum + label, 0) / labels.length;
  const variance = labels.reduce((sum, label) => sum + (label - mean) ** 2, 0) / labels.length;
  return { mean, standardDeviation: Math.sqrt(variance) };
}

/**
 * Makes the output layer predict in the label's units: its output z was trained towards
 * (y − mean) / sd, so y = sd·z + mean = (sd·W)·h + (sd·b + mean).
 */
function foldLabelScale(model: LayersModel, { mean, standardDeviation }: LabelScale): void {
  const output = model.layers[model.layers.length - 1]!;
  const [kernel, bias] = output.getWeights();
  const folded = tidy(() => [mul(kernel!, standardDeviation), add(mul(bias!, standardDeviation), mean)]);
  output.setWeights(folded);
  dispose(folded);
}

function checkData({ train, validation }: TrainingData, task: ModelTask): void {
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
    const badLabel = matrix.labels.findIndex((label) => !Number.isFinite(label));
    if (badLabel >= 0) throw new TrainingError(`the ${split} data holds label ${matrix.labels[badLabel]} at row ${badLabel}; labels must be finite`, { split });
  }
  if (task === 'regression') {
    const first = train.labels[0];
    if (train.labels.every((label) => label === first)) {
      throw new TrainingError(`every one of the ${train.labels.length} train labels is ${first}; a regression needs labels that vary`, { split: 'train' });
    }
    return;
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
