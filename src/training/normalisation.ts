/**
 * Z-score normalisation of feature columns: (x − mean) / std, with mean and std fitted on the
 * training split only. Fitting on validation or test rows as well would leak their distribution
 * into training and flatter the evaluation; the scorer applies the same fitted statistics.
 */
import { IncompatibleArtifactError } from './errors.js';
import { FEATURE_COLUMNS, FEATURE_VECTOR_VERSION, type FeatureMatrix } from './feature-vector.js';

/** Fitted statistics, plain JSON, stored beside the model they were trained with. */
export interface NormaliserStats {
  /** The feature vector layout the columns follow. */
  readonly featureVectorVersion: number;
  readonly columns: readonly string[];
  readonly mean: readonly number[];
  /** Population standard deviation; 1 for a column that was constant in training. */
  readonly std: readonly number[];
}

/**
 * A column counts as constant when its std is below this share of its magnitude: float32
 * rounding leaves a tiny non-zero spread on a column of identical values.
 */
const CONSTANT_COLUMN_TOLERANCE = 1e-6;

/**
 * Fits mean and std per column on training rows. A constant column gets std 1 rather than 0:
 * dividing by 0 would turn every value into NaN or ±Infinity; with 1 its training values all
 * become 0 (it carries no information there) and a different value at serving time shows as its
 * raw offset from the training constant instead of an infinity.
 */
export function fitNormaliser(train: FeatureMatrix): NormaliserStats {
  checkLayout(train, 'the training matrix');
  if (train.rowCount === 0) throw new IncompatibleArtifactError('the training matrix', 'it has no rows to fit a normaliser on');
  const { rowCount, columnCount, values } = train;
  const mean = new Float64Array(columnCount);
  for (let row = 0; row < rowCount; row += 1) {
    for (let column = 0; column < columnCount; column += 1) mean[column]! += values[row * columnCount + column]!;
  }
  for (let column = 0; column < columnCount; column += 1) mean[column]! /= rowCount;
  // Two passes (mean first, then squared deviations) avoid the cancellation of E[x²] − E[x]².
  const variance = new Float64Array(columnCount);
  for (let row = 0; row < rowCount; row += 1) {
    for (let column = 0; column < columnCount; column += 1) variance[column]! += (values[row * columnCount + column]! - mean[column]!) ** 2;
  }
  const std = Array.from(variance, (sum, column) => {
    const deviation = Math.sqrt(sum / rowCount);
    return deviation <= CONSTANT_COLUMN_TOLERANCE * Math.max(1, Math.abs(mean[column]!)) ? 1 : deviation;
  });
  return { featureVectorVersion: train.featureVectorVersion, columns: [...FEATURE_COLUMNS], mean: Array.from(mean), std };
}

/** A new matrix with every column z-scored by `stats`; throws {@link IncompatibleArtifactError} on another layout. */
export function normalise(matrix: FeatureMatrix, stats: NormaliserStats): FeatureMatrix {
  checkLayout(matrix, 'the feature matrix');
  if (stats.featureVectorVersion !== matrix.featureVectorVersion) {
    throw new IncompatibleArtifactError(
      'the normaliser',
      `it was fitted on feature vector version ${stats.featureVectorVersion}, the features are version ${matrix.featureVectorVersion}`,
    );
  }
  const { rowCount, columnCount, values } = matrix;
  const scaled = new Float32Array(values.length);
  for (let row = 0; row < rowCount; row += 1) {
    for (let column = 0; column < columnCount; column += 1) {
      const index = row * columnCount + column;
      scaled[index] = (values[index]! - stats.mean[column]!) / stats.std[column]!;
    }
  }
  return { ...matrix, values: scaled };
}

/**
 * Reads normaliser statistics back from parsed JSON, checking that they fit the current feature
 * vector layout; throws {@link IncompatibleArtifactError} saying what does not.
 */
export function parseNormaliserStats(json: unknown): NormaliserStats {
  const problem = findStatsProblem(json);
  if (problem !== undefined) throw new IncompatibleArtifactError('the normaliser JSON', problem);
  return json as NormaliserStats;
}

function findStatsProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return 'it is not an object';
  const { featureVectorVersion, columns, mean, std } = json as Record<string, unknown>;
  if (featureVectorVersion !== FEATURE_VECTOR_VERSION) {
    return `it is for feature vector version ${String(featureVectorVersion)}, this build vectorises version ${FEATURE_VECTOR_VERSION}`;
  }
  if (!Array.isArray(columns) || columns.join(',') !== FEATURE_COLUMNS.join(',')) return `its columns differ from ${FEATURE_COLUMNS.join(',')}`;
  for (const [name, list] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(list) || list.length !== FEATURE_COLUMNS.length) return `${name} must be an array of ${FEATURE_COLUMNS.length} numbers`;
    if (!list.every((value) => typeof value === 'number' && Number.isFinite(value))) return `${name} holds a value that is not a finite number`;
  }
  if (!(std as number[]).every((value) => value > 0)) return 'std holds a value that is not above 0';
  return undefined;
}

function checkLayout(matrix: FeatureMatrix, what: string): void {
  if (matrix.featureVectorVersion !== FEATURE_VECTOR_VERSION || matrix.columnCount !== FEATURE_COLUMNS.length) {
    throw new IncompatibleArtifactError(
      what,
      `it has feature vector version ${matrix.featureVectorVersion} with ${matrix.columnCount} columns, this build expects version ${FEATURE_VECTOR_VERSION} with ${FEATURE_COLUMNS.length}`,
    );
  }
}
