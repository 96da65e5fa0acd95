/**
 * Evaluates a candidate model and, when there is one, the current champion on the same test
 * split, and says whether the candidate is better by a primary metric and whether it holds up
 * at the operating point (each model at its own threshold). Quality gates decide on this result.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { selectTensorFlowBackend, type BackendName } from './backend.js';
import { InvalidOptionsError, type OptionIssue } from './errors.js';
import type { CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { labelledMatrixOf } from './feature-matrix.js';
import { averagePrecision, brierScore, chooseThreshold, metricsAtThreshold, rocAuc, type ThresholdMetrics, type ThresholdTarget } from './metrics.js';
import { predictScores } from './model.js';
import { compareOperatingPoints, type OperatingPointComparison, type OperatingPointGateOptions } from './operating-point-gate.js';
import type { TrainingExample } from './training-example.js';

/** A model with the vectoriser it was trained with (compiled from the spec stored with it). */
export interface ScorableModel {
  readonly model: LayersModel;
  readonly vectoriser: CompiledVectoriser;
  /** The threshold it decides with in the scorer: a registered champion's. A candidate's is chosen here. */
  readonly threshold?: number;
}

/** Metrics a comparison can rank models by. */
export type PrimaryMetric = 'rocAuc' | 'prAuc' | 'brierScore';

export interface EvaluationOptions {
  /**
   * The metric that decides. PR-AUC by default: with positives far below 1 % of examples (fraud),
   * ROC-AUC stays near 1 for models whose top-ranked alerts differ a lot in precision.
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
  /** How the candidate's operating point is compared with the champion's serving one. @default the gate's defaults */
  readonly operatingPointGate?: OperatingPointGateOptions;
}

/** One model's metrics on the test split. */
export interface ModelMetrics {
  readonly examples: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly brierScore: number;
  readonly operatingPoint: ThresholdMetrics;
  /** At the threshold the model serves with; only for a model that has one (the champion). */
  readonly servingPoint?: ThresholdMetrics;
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
  /** The candidate's operating point against the champion's serving one; undefined without a champion. */
  readonly operatingPoints: OperatingPointComparison | undefined;
}

const LOWER_IS_BETTER: Readonly<Record<PrimaryMetric, boolean>> = { rocAuc: false, prAuc: false, brierScore: true };

/**
 * Scores the test examples with each model through its own vectoriser and compares them. Throws
 * {@link InvalidOptionsError} for bad options, {@link ExampleVectorError} when a model's vectoriser
 * cannot read a test example, and {@link MetricInputError} when the test split lacks a class.
 */
export async function evaluateCandidate(
  testExamples: readonly TrainingExample[],
  candidate: ScorableModel,
  champion?: ScorableModel,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const { primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate } = compileEvaluationOptions(options);
  const backend = (await selectTensorFlowBackend()).name;
  const measure = async ({ model, vectoriser, threshold }: ScorableModel): Promise<ModelMetrics> => {
    const test = labelledMatrixOf(vectoriser, testExamples, 'test');
    const scores = await predictScores(model, test.features, batchSize);
    return {
      examples: test.labels.length,
      positives: test.labels.reduce((sum, label) => sum + label, 0),
      rocAuc: rocAuc(test.labels, scores),
      prAuc: averagePrecision(test.labels, scores),
      brierScore: brierScore(test.labels, scores),
      operatingPoint: chooseThreshold(operatingPoint, test.labels, scores),
      ...(threshold === undefined ? {} : { servingPoint: metricsAtThreshold(test.labels, scores, threshold) }),
    };
  };
  const candidateMetrics = await measure(candidate);
  const championMetrics = champion === undefined ? undefined : await measure(champion);
  const candidateValue = candidateMetrics[primaryMetric];
  const championValue = championMetrics?.[primaryMetric];
  const servingPoint = championMetrics?.servingPoint;
  const operatingPoints = servingPoint === undefined ? undefined : compareOperatingPoints(operatingPoint, candidateMetrics.operatingPoint, servingPoint, operatingPointGate);
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
    operatingPoints,
  };
}

function compileEvaluationOptions(options: EvaluationOptions): Required<EvaluationOptions> {
  const { primaryMetric = 'prAuc', minimumImprovement = 0.005, operatingPoint = { targetRecall: 0.8 }, batchSize = 512, operatingPointGate = {}, ...unknown } = options;
  const issues: OptionIssue[] = Object.entries(unknown).map(([option, value]) => ({
    option,
    value,
    expected: 'a known option (primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate)',
  }));
  if (!(primaryMetric in LOWER_IS_BETTER)) issues.push({ option: 'primaryMetric', value: primaryMetric, expected: "'rocAuc', 'prAuc' or 'brierScore'" });
  if (!(typeof minimumImprovement === 'number' && minimumImprovement >= 0)) {
    issues.push({ option: 'minimumImprovement', value: minimumImprovement, expected: 'a number >= 0' });
  }
  if (!isOperatingPoint(operatingPoint)) {
    issues.push({ option: 'operatingPoint', value: operatingPoint, expected: '{ targetRecall } above 0 and at most 1, or { targetFalsePositiveRate } at least 0 and below 1' });
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) issues.push({ option: 'batchSize', value: batchSize, expected: 'an integer >= 1' });
  issues.push(...operatingPointGateIssues(operatingPointGate));
  if (issues.length > 0) throw new InvalidOptionsError('evaluation options', issues);
  return { primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate };
}

/** The targets {@link chooseThreshold} accepts. */
function isOperatingPoint(value: unknown): value is ThresholdTarget {
  if (typeof value !== 'object' || value === null) return false;
  const { targetRecall, targetFalsePositiveRate } = value as Record<string, unknown>;
  if (typeof targetRecall === 'number') return targetRecall > 0 && targetRecall <= 1;
  return typeof targetFalsePositiveRate === 'number' && targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1;
}

function operatingPointGateIssues(gate: OperatingPointGateOptions): OptionIssue[] {
  const { maxWorse = {}, alpha, minPositives, confidence, ...unknown } = gate;
  const issues: OptionIssue[] = Object.entries(unknown).map(([option, value]) => ({
    option: `operatingPointGate.${option}`,
    value,
    expected: 'a known option (maxWorse, alpha, minPositives, confidence)',
  }));
  for (const [metric, margin] of Object.entries(maxWorse)) {
    if (!['precision', 'recall', 'falsePositiveRate'].includes(metric)) issues.push({ option: `operatingPointGate.maxWorse.${metric}`, value: margin, expected: 'precision, recall or falsePositiveRate' });
    else if (!(typeof margin === 'number' && margin >= 0 && margin < 1)) issues.push({ option: `operatingPointGate.maxWorse.${metric}`, value: margin, expected: 'a rate difference from 0 to below 1' });
  }
  for (const [option, value] of [['alpha', alpha], ['confidence', confidence]] as const) {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && value < 1)) issues.push({ option: `operatingPointGate.${option}`, value, expected: 'a number between 0 and 1' });
  }
  if (minPositives !== undefined && !(Number.isInteger(minPositives) && minPositives >= 1)) issues.push({ option: 'operatingPointGate.minPositives', value: minPositives, expected: 'an integer >= 1' });
  return issues;
}
