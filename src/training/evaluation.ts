/**
 * Evaluates a candidate model and, when there is one, the current champion on the same test
 * split, and says whether the candidate is better by a primary metric. Quality gates decide on
 * this result.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { selectTensorFlowBackend, type BackendName } from './backend.js';
import { InvalidOptionsError, type OptionIssue } from './errors.js';
import type { LabelledMatrix } from './feature-vector.js';
import { averagePrecision, brierScore, chooseThreshold, rocAuc, type ThresholdMetrics, type ThresholdTarget } from './metrics.js';
import { predictScores } from './model.js';
import { normalise, type NormaliserStats } from './normalisation.js';

/** A model with the normaliser it was trained with. */
export interface ScorableModel {
  readonly model: LayersModel;
  readonly normaliser: NormaliserStats;
}

/** Metrics a comparison can rank models by. */
export type PrimaryMetric = 'rocAuc' | 'prAuc' | 'brierScore';

export interface EvaluationOptions {
  /**
   * The metric that decides. PR-AUC by default: with fraud far below 1 % of transactions, ROC-AUC
   * stays near 1 for models whose top-ranked alerts differ a lot in precision.
   * @default 'prAuc'
   */
  readonly primaryMetric?: PrimaryMetric;
  /**
   * Smallest absolute gain of the primary metric for the candidate to count as better (a rise of
   * an AUC, a fall of the Brier score), so noise does not replace a champion.
   * @default 0.005
   */
  readonly minimumImprovement?: number;
  /** The operating point reported for each model: a point of its ROC curve, not a tuned threshold. @default { targetRecall: 0.8 } */
  readonly operatingPoint?: ThresholdTarget;
  /** Rows per prediction batch. @default 512 */
  readonly batchSize?: number;
}

/** One model's metrics on the test split. */
export interface ModelMetrics {
  readonly examples: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly brierScore: number;
  readonly operatingPoint: ThresholdMetrics;
}

/** The candidate against the champion on the primary metric. */
export interface ModelComparison {
  readonly primaryMetric: PrimaryMetric;
  readonly candidate: number;
  /** Undefined without a champion. */
  readonly champion: number | undefined;
  /** Gain of the candidate in the metric's better direction; undefined without a champion. */
  readonly improvement: number | undefined;
  readonly minimumImprovement: number;
  /** True when the gain reaches `minimumImprovement`, or when there is no champion to beat. */
  readonly candidateBetter: boolean;
}

export interface EvaluationResult {
  readonly backend: BackendName;
  readonly candidate: ModelMetrics;
  readonly champion: ModelMetrics | undefined;
  readonly comparison: ModelComparison;
}

const LOWER_IS_BETTER: Readonly<Record<PrimaryMetric, boolean>> = { rocAuc: false, prAuc: false, brierScore: true };

/**
 * Scores the raw (not normalised) test matrix with each model through its own normaliser and
 * compares them. Throws {@link InvalidOptionsError} for bad options, {@link IncompatibleArtifactError}
 * for a model of another feature layout, and {@link MetricInputError} when the test split lacks a class.
 */
export async function evaluateCandidate(
  test: LabelledMatrix,
  candidate: ScorableModel,
  champion?: ScorableModel,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const { primaryMetric, minimumImprovement, operatingPoint, batchSize } = compileEvaluationOptions(options);
  const backend = (await selectTensorFlowBackend()).name;
  const measure = async ({ model, normaliser }: ScorableModel): Promise<ModelMetrics> => {
    const scores = await predictScores(model, normalise(test.features, normaliser), batchSize);
    return {
      examples: test.labels.length,
      positives: test.labels.reduce((sum, label) => sum + label, 0),
      rocAuc: rocAuc(test.labels, scores),
      prAuc: averagePrecision(test.labels, scores),
      brierScore: brierScore(test.labels, scores),
      operatingPoint: chooseThreshold(operatingPoint, test.labels, scores),
    };
  };
  const candidateMetrics = await measure(candidate);
  const championMetrics = champion === undefined ? undefined : await measure(champion);
  const candidateValue = candidateMetrics[primaryMetric];
  const championValue = championMetrics?.[primaryMetric];
  const improvement = championValue === undefined ? undefined : LOWER_IS_BETTER[primaryMetric] ? championValue - candidateValue : candidateValue - championValue;
  return {
    backend,
    candidate: candidateMetrics,
    champion: championMetrics,
    comparison: {
      primaryMetric,
      candidate: candidateValue,
      champion: championValue,
      improvement,
      minimumImprovement,
      candidateBetter: improvement === undefined || improvement >= minimumImprovement,
    },
  };
}

function compileEvaluationOptions(options: EvaluationOptions): Required<EvaluationOptions> {
  const { primaryMetric = 'prAuc', minimumImprovement = 0.005, operatingPoint = { targetRecall: 0.8 }, batchSize = 512, ...unknown } = options;
  const issues: OptionIssue[] = Object.entries(unknown).map(([option, value]) => ({
    option,
    value,
    expected: 'a known option (primaryMetric, minimumImprovement, operatingPoint, batchSize)',
  }));
  if (!(primaryMetric in LOWER_IS_BETTER)) issues.push({ option: 'primaryMetric', value: primaryMetric, expected: "'rocAuc', 'prAuc' or 'brierScore'" });
  if (!(typeof minimumImprovement === 'number' && minimumImprovement >= 0)) {
    issues.push({ option: 'minimumImprovement', value: minimumImprovement, expected: 'a number >= 0' });
  }
  if (!isOperatingPoint(operatingPoint)) {
    issues.push({ option: 'operatingPoint', value: operatingPoint, expected: '{ targetRecall } above 0 and at most 1, or { targetFalsePositiveRate } at least 0 and below 1' });
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) issues.push({ option: 'batchSize', value: batchSize, expected: 'an integer >= 1' });
  if (issues.length > 0) throw new InvalidOptionsError('evaluation options', issues);
  return { primaryMetric, minimumImprovement, operatingPoint, batchSize };
}

/** The targets {@link chooseThreshold} accepts. */
function isOperatingPoint(value: unknown): value is ThresholdTarget {
  if (typeof value !== 'object' || value === null) return false;
  const { targetRecall, targetFalsePositiveRate } = value as Record<string, unknown>;
  if (typeof targetRecall === 'number') return targetRecall > 0 && targetRecall <= 1;
  return typeof targetFalsePositiveRate === 'number' && targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1;
}
