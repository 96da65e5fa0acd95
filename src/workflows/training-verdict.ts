/**
 * The training pipeline's verdict on an evaluated candidate, and what the registry and the run's
 * memo record of it: the quality gates of the model's task (a classifier's ranking and its rates
 * at its threshold; a regression's errors in the label's units and R²), the comparison with the
 * champion on the primary metric, and for classifiers the operating-point comparison. Pure and
 * deterministic: the workflow runs it, and unit tests check it on hand-made evaluations.
 */
import type { EvaluationSummary } from '../activities/training-activities.js';
import type { ClassifierMetrics, RegressionMetrics } from '../training/evaluation.js';
import { compileOperatingPointGateOptions, describeOperatingPoints, operatingPointFigures, type OperatingPointComparison } from '../training/operating-point-gate.js';
import type { TrainingPipelineResult } from './training-pipeline.js';
import type { RunGates } from './training-pipeline-input.js';

/** The stage a verdict leads to and why. */
export interface Verdict {
  readonly stage: TrainingPipelineResult['stage'];
  readonly reason: string;
}

const formatMetric = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(4));

/** The champion comparison at the operating point, when the gate applies; undefined otherwise. */
function operatingPointsLine({ champion }: EvaluationSummary, operatingPoints: OperatingPointComparison | undefined): string | undefined {
  return operatingPoints === undefined || champion === undefined ? undefined : describeOperatingPoints(operatingPoints, `champion v${champion.version}`);
}

/** Rules a verdict follows beyond the gates themselves; a run started before one existed judges without it. */
export interface VerdictRules {
  /**
   * A classifier with no champion to compare with is also held to `gates.minTestPositives`: its
   * threshold, chosen on the test split, counts only on enough positive examples, as a
   * challenger's does (the operating-point-gate-first-model patch). @default true
   */
  readonly testPositivesWithoutChampion?: boolean;
}

/**
 * Every gate an evaluation misses, one sentence each (the task's gates, the positives of the test
 * split, the champion comparison on the primary metric, and the operating point's); empty when it
 * passes them all. A model imported from elsewhere is judged by them too, and its refusal lists
 * them one per line.
 */
export function gateFailures(evaluation: EvaluationSummary, gates: RunGates, operatingPoints: OperatingPointComparison | undefined, rules: VerdictRules = {}): string[] {
  const { candidate, comparison, champion } = evaluation;
  const atOperatingPoint = operatingPointsLine(evaluation, operatingPoints);
  const failures = candidate.task === 'regression' ? regressionGateFailures(candidate, gates) : classifierGateFailures(candidate, gates);
  // With a champion, the operating-point comparison applies the minimum (its line says so).
  if (candidate.task !== 'regression' && champion === undefined && (rules.testPositivesWithoutChampion ?? true)) {
    const { minPositives } = compileOperatingPointGateOptions({ ...(gates.minTestPositives === undefined ? {} : { minPositives: gates.minTestPositives }) });
    if (candidate.positives < minPositives) {
      failures.push(
        `the test split holds ${candidate.positives} positive examples, too few for its threshold to count: gates.minTestPositives asks for at least ${minPositives}; ` +
          'train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)',
      );
    }
  }
  if (champion !== undefined && !comparison.candidateBetter) {
    failures.push(
      `${comparison.primaryMetric} ${formatMetric(comparison.candidate)} does not beat champion v${champion.version} (${formatMetric(comparison.champion)}) ` +
        `by the minimum improvement ${comparison.minimumImprovement} (gain ${formatMetric(comparison.improvement)})`,
    );
  }
  if (operatingPoints !== undefined && atOperatingPoint !== undefined && !operatingPoints.passed) failures.push(atOperatingPoint);
  return failures;
}

/**
 * Applies the quality gates to an evaluation; `operatingPoints` is the comparison at the
 * operating point when the gate applies (a classifier, a champion, and a run past its patch).
 */
export function judgeCandidate(evaluation: EvaluationSummary, gates: RunGates, operatingPoints: OperatingPointComparison | undefined, rules: VerdictRules = {}): Verdict {
  const { comparison, champion } = evaluation;
  const atOperatingPoint = operatingPointsLine(evaluation, operatingPoints);
  const failures = gateFailures(evaluation, gates, operatingPoints, rules);
  if (failures.length > 0) return { stage: 'rejected', reason: `quality gates failed: ${failures.join('; ')}` };
  if (champion === undefined) return { stage: 'champion', reason: 'first model passed gates' };
  return {
    stage: 'challenger',
    reason:
      `passed gates and beats champion v${champion.version} on ${comparison.primaryMetric} by ${formatMetric(comparison.improvement)}` +
      (atOperatingPoint === undefined ? '' : `; at the operating point: ${atOperatingPoint}`),
  };
}

/** The classifier gates a candidate misses: ranking on the test split, and its rates at its threshold. */
function classifierGateFailures(candidate: ClassifierMetrics, gates: RunGates): string[] {
  const failures: string[] = [];
  const { recall, falsePositiveRate, threshold } = candidate.operatingPoint;
  if (gates.minRocAuc !== undefined && candidate.rocAuc < gates.minRocAuc) failures.push(`ROC-AUC ${formatMetric(candidate.rocAuc)} is below the minimum ${gates.minRocAuc}`);
  if (gates.minPrAuc !== undefined && candidate.prAuc < gates.minPrAuc) failures.push(`PR-AUC ${formatMetric(candidate.prAuc)} is below the minimum ${gates.minPrAuc}`);
  if (gates.minRecall !== undefined && recall < gates.minRecall) failures.push(`recall ${formatMetric(recall)} at its threshold ${formatMetric(threshold)} is below the minimum ${gates.minRecall}`);
  if (gates.maxFalsePositiveRate !== undefined && falsePositiveRate > gates.maxFalsePositiveRate) {
    failures.push(`false-positive rate ${formatMetric(falsePositiveRate)} at its threshold ${formatMetric(threshold)} is above the maximum ${gates.maxFalsePositiveRate}`);
  }
  return failures;
}

/** The regression gates a candidate misses: its errors (in the label's units) and R² on the test split. */
function regressionGateFailures(candidate: RegressionMetrics, gates: RunGates): string[] {
  const failures: string[] = [];
  if (gates.maxMae !== undefined && candidate.mae > gates.maxMae) failures.push(`MAE ${formatMetric(candidate.mae)} is above the maximum ${gates.maxMae}`);
  if (gates.maxRmse !== undefined && candidate.rmse > gates.maxRmse) failures.push(`RMSE ${formatMetric(candidate.rmse)} is above the maximum ${gates.maxRmse}`);
  if (gates.minR2 !== undefined && candidate.r2 < gates.minR2) failures.push(`R² ${formatMetric(candidate.r2)} is below the minimum ${gates.minR2}`);
  return failures;
}

/**
 * The registry's flat metrics of a candidate. A classifier's: its test-split figures, its rates at
 * its threshold with their 95 % Wilson intervals and, when it was compared with a champion at the
 * operating point, the champion's rates there (at its serving threshold, on the same examples). A
 * regression's: MAE, RMSE and R², and the champion's on the same examples when there is one.
 */
export function registryMetricsOf(evaluation: EvaluationSummary): Record<string, number> {
  const { candidate, champion } = evaluation;
  if (candidate.task === 'regression') {
    const theirs = champion?.metrics.task === 'regression' ? champion.metrics : undefined;
    return {
      mae: candidate.mae,
      rmse: candidate.rmse,
      r2: candidate.r2,
      testExamples: candidate.examples,
      ...(champion === undefined || theirs === undefined ? {} : { championVersion: champion.version, championMae: theirs.mae, championRmse: theirs.rmse, championR2: theirs.r2 }),
    };
  }
  return classifierRegistryMetrics(candidate, evaluation);
}

function classifierRegistryMetrics(candidate: ClassifierMetrics, { champion, operatingPoints }: EvaluationSummary): Record<string, number> {
  const point = candidate.operatingPoint;
  const rates = operatingPointFigures(point);
  const compared: Record<string, number> =
    operatingPoints === undefined || champion === undefined
      ? {}
      : {
          championVersion: champion.version,
          championThreshold: operatingPoints.champion.threshold,
          championRecall: operatingPoints.champion.recall.rate,
          championRecallLower: operatingPoints.champion.recall.lower,
          championRecallUpper: operatingPoints.champion.recall.upper,
          championFalsePositiveRate: operatingPoints.champion.falsePositiveRate.rate,
          championFalsePositiveRateLower: operatingPoints.champion.falsePositiveRate.lower,
          championFalsePositiveRateUpper: operatingPoints.champion.falsePositiveRate.upper,
        };
  return {
    rocAuc: candidate.rocAuc,
    prAuc: candidate.prAuc,
    brierScore: candidate.brierScore,
    precision: point.precision,
    recall: point.recall,
    f1: point.f1,
    falsePositiveRate: point.falsePositiveRate,
    testExamples: candidate.examples,
    testPositives: candidate.positives,
    testNegatives: candidate.examples - candidate.positives,
    recallLower: rates.recall.lower,
    recallUpper: rates.recall.upper,
    falsePositiveRateLower: rates.falsePositiveRate.lower,
    falsePositiveRateUpper: rates.falsePositiveRate.upper,
    ...compared,
  };
}

/** The champion's headline figures for the run's memo: a classifier's AUCs, a regression's errors and R². */
export function championMemo(champion: EvaluationSummary['champion']): Record<string, number> | null {
  if (champion === undefined) return null;
  const { version, metrics } = champion;
  if (metrics.task === 'regression') return { version, mae: metrics.mae, rmse: metrics.rmse, r2: metrics.r2 };
  return { version, prAuc: metrics.prAuc, rocAuc: metrics.rocAuc };
}
