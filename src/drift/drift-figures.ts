/**
 * The drift figures of one check: PSI of every column of the champion's vectoriser (live against its
 * training reference) and a comparison of the champion's live predictions with its predictions of
 * that reference (PSI and Kolmogorov–Smirnov). Plain data, so the workflow keeps them in its state,
 * memo and history.
 *
 * The prediction PSI bins by the reference's deciles, as feature columns are binned: a regression
 * model's predictions are values in the label's units, not probabilities in [0, 1], and for a
 * classifier decile bins also split the crowded low end that ten equal bins of [0, 1] lump together.
 */
import type { FeatureMatrix } from '../training/feature-matrix.js';
import { featurePsi } from '../rollout/binned-psi.js';
import { kolmogorovSmirnov } from './kolmogorov-smirnov.js';

export interface FeatureDrift {
  readonly column: string;
  readonly psi: number;
}

export interface ScoreDrift {
  /** Live scores of the champion compared (those of its own version, deciding as champion). */
  readonly liveScores: number;
  readonly psi: number;
  readonly ksStatistic: number;
  readonly ksPValue: number;
}

export interface DriftFigures {
  readonly championVersion: number;
  readonly referenceRecords: number;
  readonly liveRecords: number;
  /** Every column of the champion's vectoriser, in its order. */
  readonly features: readonly FeatureDrift[];
  /** The column with the highest PSI. */
  readonly maxFeature: FeatureDrift;
  /** Null when the scores topic held no live score of the champion's version. */
  readonly score: ScoreDrift | null;
}

/** Column `column` of a row-major matrix. */
function columnOf(matrix: FeatureMatrix, column: number): Float64Array {
  const values = new Float64Array(matrix.rowCount);
  for (let row = 0; row < matrix.rowCount; row += 1) values[row] = matrix.values[row * matrix.columnCount + column]!;
  return values;
}

/**
 * The figures of `live` against `reference` (both non-empty, made by one vectoriser whose column
 * names are `columns`), and of the champion's live scores against its scores of the reference rows.
 */
export function computeDriftFigures(input: {
  readonly championVersion: number;
  readonly columns: readonly string[];
  readonly reference: FeatureMatrix;
  readonly live: FeatureMatrix;
  readonly referenceScores: ArrayLike<number>;
  readonly liveScores: ArrayLike<number>;
}): DriftFigures {
  const { reference, live, referenceScores, liveScores } = input;
  if (reference.rowCount === 0 || live.rowCount === 0) throw new RangeError(`drift figures need records on both sides (reference ${reference.rowCount}, live ${live.rowCount})`);
  if (reference.columnCount !== input.columns.length || live.columnCount !== input.columns.length) {
    throw new RangeError(`the reference (${reference.columnCount} columns) and live (${live.columnCount}) matrices must both have the ${input.columns.length} named columns`);
  }
  const features = input.columns.map((column, index) => ({ column, psi: featurePsi(columnOf(reference, index), columnOf(live, index)) ?? 0 }));
  const maxFeature = features.reduce((max, feature) => (feature.psi > max.psi ? feature : max));
  const ks = kolmogorovSmirnov(referenceScores, liveScores);
  const scorePsi = featurePsi(referenceScores, liveScores);
  return {
    championVersion: input.championVersion,
    referenceRecords: reference.rowCount,
    liveRecords: live.rowCount,
    features,
    maxFeature,
    score: ks === undefined || scorePsi === undefined ? null : { liveScores: liveScores.length, psi: scorePsi, ksStatistic: ks.statistic, ksPValue: ks.pValue },
  };
}
