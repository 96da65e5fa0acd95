/**
 * Which engine runs a model version, and the input it takes: what a version's artifact records
 * beside its hash, so the scorer, the evaluation and `tributary models show` know how to run it
 * without guessing from the bytes.
 */

/** `tfjs`: a TensorFlow.js network Tributary trained. `onnx`: an ONNX graph, trained elsewhere and imported. */
export type ModelRuntime = 'tfjs' | 'onnx';

export const MODEL_RUNTIMES: readonly ModelRuntime[] = ['tfjs', 'onnx'];

/** What an artifact without a recorded runtime holds: every artifact written before ONNX models existed is a TensorFlow.js network. */
export const DEFAULT_MODEL_RUNTIME: ModelRuntime = 'tfjs';

/**
 * The one tensor a model reads: the vectoriser's row-major matrix, rows first. `shape` has a
 * string (a symbolic dimension) or -1 where the graph leaves a size open, as ONNX Runtime
 * reports it.
 */
export interface InputSignature {
  readonly name: string;
  /** Element type as ONNX Runtime names it: float32 is the only one the vectoriser makes. */
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** How a model's output becomes one score per row. */
export interface OutputSelection {
  readonly name: string;
  /** `score`: one value per row ([n] or [n, 1]). `pair`: [n, 2] class probabilities, the score is column 1 (the positive class). */
  readonly kind: 'score' | 'pair';
}

/** `[rows, 12]`: a shape as messages print it. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((size) => (typeof size === 'number' && size < 0 ? '?' : String(size))).join(', ')}]`;
}
