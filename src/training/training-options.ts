/** Options of a training run, compiled once into a validated object. */
import type { BackendName } from './backend.js';
import { InvalidOptionsError, type OptionIssue } from './errors.js';

/**
 * How much each class counts in the loss. Positives are often rare (fraud in examples/fraud is
 * well under 1 % of events), and an unweighted loss is then minimised by scoring everything negative.
 * - `balanced`: each class weighs `examples / (2 × examples of the class)` in the training split,
 *   so both classes contribute equally. Scores then over-estimate the probability of a positive: choose
 *   thresholds on scores (see `chooseThreshold`), do not read them as calibrated probabilities.
 * - `none`: every example weighs 1.
 * - explicit weights per class.
 */
export type ClassWeighting = 'balanced' | 'none' | { readonly negative: number; readonly positive: number };

/** Options of {@link trainModel}; every field may be left out. */
export interface TrainingOptions {
  /** Units of each hidden layer (ReLU), input side first; `[]` gives logistic regression. @default [32, 16] */
  readonly hiddenUnits?: readonly number[];
  /** Share of hidden activations dropped in each training step, in [0, 1). @default 0.1 */
  readonly dropout?: number;
  /** Adam learning rate. @default 0.001 */
  readonly learningRate?: number;
  /** Examples per gradient step. @default 256 */
  readonly batchSize?: number;
  /** Epochs at most, counting those of a run being resumed. @default 50 */
  readonly maxEpochs?: number;
  /** Epochs without improvement of the validation loss after which training stops. @default 5 */
  readonly patience?: number;
  /** Smallest drop of the validation loss that counts as an improvement. @default 0.0001 */
  readonly minDelta?: number;
  /** @default 'balanced' */
  readonly classWeight?: ClassWeighting;
  /** Seeds the initial weights, the batch order of each epoch and the dropout masks. @default 42 */
  readonly seed?: number;
  /** Train on exactly this backend (e.g. to benchmark). @default undefined (the fastest that loads) */
  readonly backend?: BackendName;
}

/** Training options with every default filled in and every value checked. */
export interface CompiledTrainingOptions {
  readonly hiddenUnits: readonly number[];
  readonly dropout: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly classWeight: ClassWeighting;
  readonly seed: number;
  readonly backend: BackendName | undefined;
}

const DEFAULTS: Omit<CompiledTrainingOptions, 'backend'> = {
  hiddenUnits: [32, 16],
  dropout: 0.1,
  learningRate: 0.001,
  batchSize: 256,
  maxEpochs: 50,
  patience: 5,
  minDelta: 0.0001,
  classWeight: 'balanced',
  seed: 42,
};

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

type Check = (value: unknown) => string | undefined;

const isPositiveInteger = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 1;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPositiveNumber = (value: unknown): boolean => isFiniteNumber(value) && value > 0;

/** For each option, what it accepts when a value does not fit, else undefined. */
const CHECKS: Record<keyof TrainingOptions, Check> = {
  hiddenUnits: (value) => (Array.isArray(value) && value.every(isPositiveInteger) ? undefined : 'an array of integers >= 1'),
  dropout: (value) => (isFiniteNumber(value) && value >= 0 && value < 1 ? undefined : 'a number >= 0 and < 1'),
  learningRate: (value) => (isPositiveNumber(value) ? undefined : 'a number > 0'),
  batchSize: (value) => (isPositiveInteger(value) ? undefined : 'an integer >= 1'),
  maxEpochs: (value) => (isPositiveInteger(value) ? undefined : 'an integer >= 1'),
  patience: (value) => (isPositiveInteger(value) ? undefined : 'an integer >= 1'),
  minDelta: (value) => (isFiniteNumber(value) && value >= 0 ? undefined : 'a number >= 0'),
  classWeight: (value) =>
    value === 'balanced' ||
    value === 'none' ||
    (typeof value === 'object' && value !== null && isPositiveNumber((value as Record<string, unknown>).negative) && isPositiveNumber((value as Record<string, unknown>).positive))
      ? undefined
      : "'balanced', 'none' or { negative, positive } with both > 0",
  seed: (value) => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff ? undefined : 'an integer from 0 to 4294967295'),
  backend: (value) => (value === undefined || BACKENDS.includes(value as BackendName) ? undefined : "'tensorflow', 'wasm' or 'cpu'"),
};

/**
 * Fills in defaults and checks every option; throws {@link InvalidOptionsError} with one line per
 * bad or unknown option.
 */
export function compileTrainingOptions(options: TrainingOptions = {}): CompiledTrainingOptions {
  const given = options as Readonly<Record<string, unknown>>;
  const compiled: Record<string, unknown> = { ...DEFAULTS, backend: undefined };
  const issues: OptionIssue[] = [];
  for (const [option, value] of Object.entries(given)) {
    if (!(option in CHECKS)) {
      issues.push({ option, value, expected: `a known option (${Object.keys(CHECKS).join(', ')})` });
      continue;
    }
    if (value === undefined) continue;
    const expected = CHECKS[option as keyof TrainingOptions](value);
    if (expected === undefined) compiled[option] = value;
    else issues.push({ option, value, expected });
  }
  if (issues.length > 0) throw new InvalidOptionsError('training options', issues);
  return compiled as unknown as CompiledTrainingOptions;
}
