/**
 * The drift figures of one check: PSI of every feature-vector column (live against the champion's
 * training reference) and a comparison of the champion's live scores with its scores on that
 * reference (PSI over ten equal bins of [0, 1], and Kolmogorov–Smirnov). Plain data, so the
 * workflow keeps them in its state, memo and history.
 */
import { addScore, emptyScoreHistogram, populationStabilityIndex } from '../rollout/psi.js';
import { FEATURE_COLUMNS, type FeatureMatrix } from '../training/feature-vector.js';
import { featurePsi } from './binned-psi.js';
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
  /** Every column of the feature vector, in layout order. */
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

function scoreHistogram(scores: ArrayLike<number>) {
  let histogram = emptyScoreHistogram(10);
  for (let i = 0; i < scores.length; i += 1) histogram = addScore(histogram, scores[i]!);
  return histogram;
}

/**
 * The figures of `live` against `reference` (both non-empty, same layout), and of the champion's
 * live scores against its scores of the reference rows.
 */
export function computeDriftFigures(input: {
  readonly championVersion: number;
  readonly reference: FeatureMatrix;
  readonly live: FeatureMatrix;
  readonly referenceScores: ArrayLike<number>;
  readonly liveScores: ArrayLike<number>;
}): DriftFigures {
  const { reference, live, referenceScores, liveScores } = input;
  if (reference.rowCount === 0 || live.rowCount === 0) throw new RangeError(`drift figures need records on both sides (reference ${reference.rowCount}, live ${live.rowCount})`);
  if (reference.featureVectorVersion !== live.featureVectorVersion) {
    throw new RangeError(`the reference (layout v${reference.featureVectorVersion}) and live (v${live.featureVectorVersion}) feature vectors differ`);
  }
  const features = FEATURE_COLUMNS.map((column, index) => ({ column, psi: featurePsi(columnOf(reference, index), columnOf(live, index)) ?? 0 }));
  const maxFeature = features.reduce((max, feature) => (feature.psi > max.psi ? feature : max));
  const ks = kolmogorovSmirnov(referenceScores, liveScores);
  const scorePsi = populationStabilityIndex(scoreHistogram(referenceScores), scoreHistogram(liveScores));
  return {
    championVersion: input.championVersion,
    referenceRecords: reference.rowCount,
    liveRecords: live.rowCount,
    features,
    maxFeature,
    score: ks === undefined || scorePsi === undefined ? null : { liveScores: liveScores.length, psi: scorePsi, ksStatistic: ks.statistic, ksPValue: ks.pValue },
  };
}
