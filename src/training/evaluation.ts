/**
 * Evaluates a candidate model and, when there is one, the current champion on the same test
 * split, and says whether the candidate is better by a primary metric. A classifier is measured
 * by ranking (ROC-AUC, PR-AUC), calibration (Brier) and at its operating point (each model at its
 * own threshold); a regression by its errors in the label's units (MAE, RMSE) and R². Quality
 * gates decide on this result.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { selectTensorFlowBackend, type BackendName } from './backend.js';
import { IncompatibleArtifactError, InvalidOptionsError, type OptionIssue } from './errors.js';
import type { CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { labelledMatrixOf, type FeatureMatrix } from './feature-matrix.js';
import { averagePrecision, brierScore, chooseThreshold, metricsAtThreshold, rocAuc, type ThresholdMetrics, type ThresholdTarget } from './metrics.js';
import { predictScores } from './model.js';
import { compareOperatingPoints, type OperatingPointComparison, type OperatingPointGateOptions } from './operating-point-gate.js';
import { meanAbsoluteError, rootMeanSquaredError, rSquared } from './regression-metrics.js';
import type { TrainingExample } from './training-example.js';

/** A model with the vectoriser it was trained with (compiled from the spec stored with it). */
/**
 * A model that scores a vectorised matrix itself, one prediction per row: any runtime's model
 * (`src/models/runtime-model.ts`), so an imported ONNX version is measured like a trained one.
 */
export interface MatrixScorer {
  score(matrix: FeatureMatrix): Promise<Float32Array>;
}

export interface ScorableModel<Model extends LayersModel | MatrixScorer = LayersModel> {
  /** A TensorFlow.js network (predicted in batches of `batchSize`), or a model of any runtime. */
  readonly model: Model;
  readonly vectoriser: CompiledVectoriser;
  /** The threshold it decides with in the scorer: a registered classifier champion's (null for a regression). A candidate's is chosen here. */
  readonly threshold?: number | null;
  /** What it predicts, when its artifact says; a champion of another task than the run's cannot be compared. */
  readonly task?: ModelTask;
}

/** Classifier metrics a comparison can rank models by. */
export type ClassificationMetric = 'rocAuc' | 'prAuc' | 'brierScore';
/** Regression metrics a comparison can rank models by. */
export type RegressionMetric = 'mae' | 'rmse' | 'r2';
/** Metrics a comparison can rank models by: those of the run's task. */
export type PrimaryMetric = ClassificationMetric | RegressionMetric;

export interface EvaluationOptions {
  /** What the models predict, and so which metrics measure them. @default 'binary-classification' */
  readonly task?: ModelTask;
  /**
   * The metric that decides, one of the task's. For classifiers PR-AUC by default: with positives
   * far below 1 % of examples (as in examples/fraud), ROC-AUC stays near 1 for models whose top-ranked alerts
   * differ a lot in precision. For regression RMSE, which large misses weigh on most.
   * @default 'prAuc' for classifiers, 'rmse' for regression
   */
  readonly primaryMetric?: PrimaryMetric;
  /**
   * Smallest absolute gain of the primary metric for the candidate to count as better (a rise of
   * an AUC or of R², a fall of the Brier score, MAE or RMSE — the last two in the label's units),
   * so noise does not replace a champion.
   * @default 0.005
   */
  readonly minimumImprovement?: number;
  /** Classifiers: the operating point reported for each model, a point of its ROC curve, not a tuned threshold. @default { targetRecall: 0.8 } */
  readonly operatingPoint?: ThresholdTarget;
  /** Rows per prediction batch. @default 512 */
  readonly batchSize?: number;
  /** Classifiers: how the candidate's operating point is compared with the champion's serving one. @default the gate's defaults */
  readonly operatingPointGate?: OperatingPointGateOptions;
}

/** One classifier's metrics on the test split. */
export interface ClassifierMetrics {
  /** Absent in results of workers older than regression models. */
  readonly task?: 'binary-classification';
  readonly examples: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly brierScore: number;
  readonly operatingPoint: ThresholdMetrics;
  /** At the threshold the model serves with; only for a model that has one (the champion). */
  readonly servingPoint?: ThresholdMetrics;
}

/** One regression model's metrics on the test split, errors in the label's units. */
export interface RegressionMetrics {
  readonly task: 'regression';
  readonly examples: number;
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
}

/** One model's metrics on the test split. */
export type ModelMetrics = ClassifierMetrics | RegressionMetrics;

export const isRegressionMetrics = (metrics: ModelMetrics): metrics is RegressionMetrics => metrics.task === 'regression';

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
  /** Classifiers: the candidate's operating point against the champion's serving one; undefined without a champion, and for regression. */
  readonly operatingPoints: OperatingPointComparison | undefined;
}

/** Whether a lower value is better, per metric; the keys are the task's metrics. */
const LOWER_IS_BETTER: Readonly<Record<ModelTask, Readonly<Record<string, boolean>>>> = {
  'binary-classification': { rocAuc: false, prAuc: false, brierScore: true },
  regression: { mae: true, rmse: true, r2: false },
};

const DEFAULT_PRIMARY_METRIC: Readonly<Record<ModelTask, PrimaryMetric>> = { 'binary-classification': 'prAuc', regression: 'rmse' };

/** The primary metric's value in a model's metrics. */
const valueOf = (metrics: ModelMetrics, metric: PrimaryMetric): number => (metrics as unknown as Readonly<Record<PrimaryMetric, number>>)[metric];

/**
 * Scores the test examples with each model through its own vectoriser and compares them. Throws
 * {@link InvalidOptionsError} for bad options, {@link IncompatibleArtifactError} for a champion of
 * another task, {@link ExampleVectorError} when a model's vectoriser cannot read a test example,
 * and {@link MetricInputError} when the test split lacks a class (classifiers) or its labels do not
 * vary (regression).
 */
export async function evaluateCandidate(
  testExamples: readonly TrainingExample[],
  candidate: ScorableModel<LayersModel | MatrixScorer>,
  champion?: ScorableModel<LayersModel | MatrixScorer>,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const { task, primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate } = compileEvaluationOptions(options);
  for (const [which, model] of [['the candidate', candidate], ['the champion', champion]] as const) {
    if (model?.task !== undefined && model.task !== task) throw new IncompatibleArtifactError(which, `it is a ${model.task} model and this evaluation is of a ${task}; train a ${task} model, or make the pipeline's champion one`);
  }
  const backend = (await selectTensorFlowBackend()).name;
  const measure = async ({ model, vectoriser, threshold }: ScorableModel<LayersModel | MatrixScorer>): Promise<ModelMetrics> => {
    const test = labelledMatrixOf(vectoriser, testExamples, 'test');
    const predictions = 'score' in model ? await model.score(test.features) : await predictScores(model, test.features, batchSize);
    if (task === 'regression') {
      return { task, examples: test.labels.length, mae: meanAbsoluteError(test.labels, predictions), rmse: rootMeanSquaredError(test.labels, predictions), r2: rSquared(test.labels, predictions) };
    }
    return {
      task,
      examples: test.labels.length,
      positives: test.labels.reduce((sum, label) => sum + label, 0),
      rocAuc: rocAuc(test.labels, predictions),
      prAuc: averagePrecision(test.labels, predictions),
      brierScore: brierScore(test.labels, predictions),
      operatingPoint: chooseThreshold(operatingPoint, test.labels, predictions),
      ...(threshold === undefined || threshold === null ? {} : { servingPoint: metricsAtThreshold(test.labels, predictions, threshold) }),
    };
  };
  const candidateMetrics = await measure(candidate);
  const championMetrics = champion === undefined ? undefined : await measure(champion);
  const candidateValue = valueOf(candidateMetrics, primaryMetric);
  const championValue = championMetrics === undefined ? undefined : valueOf(championMetrics, primaryMetric);
  const servingPoint = championMetrics === undefined || isRegressionMetrics(championMetrics) ? undefined : championMetrics.servingPoint;
  const operatingPoints =
    servingPoint === undefined || isRegressionMetrics(candidateMetrics) ? undefined : compareOperatingPoints(operatingPoint, candidateMetrics.operatingPoint, servingPoint, operatingPointGate);
  const improvement = championValue === undefined ? undefined : LOWER_IS_BETTER[task][primaryMetric] ? championValue - candidateValue : candidateValue - championValue;
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
  const { task = 'binary-classification', primaryMetric, minimumImprovement = 0.005, operatingPoint = { targetRecall: 0.8 }, batchSize = 512, operatingPointGate = {}, ...unknown } = options;
  const issues: OptionIssue[] = Object.entries(unknown).map(([option, value]) => ({
    option,
    value,
    expected: 'a known option (task, primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate)',
  }));
  if (!(task in LOWER_IS_BETTER)) issues.push({ option: 'task', value: task, expected: "'binary-classification' or 'regression'" });
  const metrics = LOWER_IS_BETTER[task] ?? {};
  const primary = primaryMetric ?? DEFAULT_PRIMARY_METRIC[task];
  if (task in LOWER_IS_BETTER && !(primary in metrics)) {
    issues.push({ option: 'primaryMetric', value: primary, expected: `a ${task} metric: ${Object.keys(metrics).map((name) => `'${name}'`).join(', ')}` });
  }
  if (!(typeof minimumImprovement === 'number' && minimumImprovement >= 0)) {
    issues.push({ option: 'minimumImprovement', value: minimumImprovement, expected: 'a number >= 0' });
  }
  // A regression has no threshold: its operating-point options are not used, so not checked.
  const classifier = task !== 'regression';
  if (classifier && !isOperatingPoint(operatingPoint)) {
    issues.push({ option: 'operatingPoint', value: operatingPoint, expected: '{ targetRecall } above 0 and at most 1, or { targetFalsePositiveRate } at least 0 and below 1' });
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) issues.push({ option: 'batchSize', value: batchSize, expected: 'an integer >= 1' });
  if (classifier) issues.push(...operatingPointGateIssues(operatingPointGate));
  if (issues.length > 0) throw new InvalidOptionsError('evaluation options', issues);
  return { task, primaryMetric: primary, minimumImprovement, operatingPoint, batchSize, operatingPointGate };
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
