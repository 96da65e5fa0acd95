/**
 * The one interface every model runtime implements: a loaded model turns a vectorised matrix
 * (the vectoriser's FeatureMatrix, rows in order) into one prediction per row, and is disposed
 * when nothing uses it any more. The scorer, the evaluation and `models import` hold models only
 * through it, so a TensorFlow.js network and an ONNX graph are served, compared and swapped alike.
 */
import type { InputSignature, ModelRuntime } from '../registry/model-runtime.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';

export interface RuntimeModel {
  readonly runtime: ModelRuntime;
  /** The tensor it reads: float32 [rows, columns of the vectoriser]. */
  readonly inputSignature: InputSignature;
  /**
   * One prediction per row of `matrix`, in row order: a classifier's positive-class probability,
   * a regression's value. Rejects once disposed.
   */
  score(matrix: FeatureMatrix): Promise<Float32Array>;
  /** Frees the engine's memory; calling it again does nothing. */
  dispose(): void;
}
