/** Vectorised examples in one row-major buffer, ready for a tensor, with their labels. */
import type { CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { ExampleVectorError } from './errors.js';
import type { TrainingExample } from './training-example.js';

/** Vectors of many records, as the model takes them. */
export interface FeatureMatrix {
  readonly rowCount: number;
  readonly columnCount: number;
  /** `rowCount × columnCount` values; row `r` starts at `r * columnCount`. */
  readonly values: Float32Array;
}

/** Vectors with their labels, row for row. */
export interface LabelledMatrix {
  readonly features: FeatureMatrix;
  /** A classifier's 1 (positive) or 0 (negative); a regression's observed values. */
  readonly labels: Float64Array;
}

/**
 * The examples of `split` through `vectoriser`, in order. Throws {@link ExampleVectorError} for
 * the first example it cannot read: a model is trained and judged on every example of the split,
 * so leaving one out would change what its metrics mean.
 */
export function labelledMatrixOf(vectoriser: CompiledVectoriser, examples: readonly TrainingExample[], split: string): LabelledMatrix {
  const batch = vectoriser.vectoriseBatch(examples.map((example) => example.record));
  const rejected = batch.rejected[0];
  if (rejected !== undefined) throw new ExampleVectorError(split, examples[rejected.index]!.id, rejected.problem.message);
  return {
    features: { rowCount: batch.rowCount, columnCount: vectoriser.width, values: batch.values },
    labels: Float64Array.from(examples, (example) => example.label),
  };
}
