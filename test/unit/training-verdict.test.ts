/**
 * The training pipeline's verdict on hand-made evaluations: each regression gate, the champion
 * comparison's minimum improvement, the classifier gates at the threshold, the registry's flat
 * metrics, and where a run's gates come from (task defaults, the definition, the run's input).
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { EvaluationSummary } from '../../src/activities/training-activities.js';
import type { ClassifierMetrics, ModelComparison, RegressionMetrics } from '../../src/training/evaluation.js';
import { resolveRunGates, type RunGates } from '../../src/workflows/training-pipeline-input.js';
import { championMemo, judgeCandidate, registryMetricsOf } from '../../src/workflows/training-verdict.js';

const regression = (mae: number, rmse: number, r2: number): RegressionMetrics => ({ task: 'regression', examples: 200, mae, rmse, r2 });

/** The comparison evaluateCandidate makes on an error metric: the gain is the champion's value minus the candidate's. */
function errorComparison(primaryMetric: 'mae' | 'rmse', candidate: number, champion: number | undefined, minimumImprovement: number): ModelComparison {
  const improvement = champion === undefined ? undefined : champion - candidate;
  return { primaryMetric, candidate, champion, improvement, minimumImprovement, candidateBetter: improvement === undefined || improvement >= minimumImprovement };
}

function regressionEvaluation(candidate: RegressionMetrics, champion?: RegressionMetrics, minimumImprovement = 0.5): EvaluationSummary {
  return {
    candidate,
    champion: champion === undefined ? undefined : { version: 3, metrics: champion },
    comparison: errorComparison('mae', candidate.mae, champion?.mae, minimumImprovement),
  };
}

/** The delivery example's gates: examples/delivery/pipeline.yaml. */
const DELIVERY_GATES: RunGates = resolveRunGates('delivery-time', 'regression', { maxMae: 8, minR2: 0.3, primaryMetric: 'mae', minImprovement: 0.05 }, undefined);

describe('regression verdict', () => {
  it('promotes a first model within every gate', () => {
    expect(judgeCandidate(regressionEvaluation(regression(6, 7.5, 0.62)), DELIVERY_GATES, undefined)).toEqual({ stage: 'champion', reason: 'first model passed gates' });
  });

  it('refuses a model above maxMae, above maxRmse or below minR2, naming each gate missed', () => {
    const gates = { ...DELIVERY_GATES, maxRmse: 9 };
    expect(judgeCandidate(regressionEvaluation(regression(8.5, 9.5, 0.25)), gates, undefined)).toEqual({
      stage: 'rejected',
      reason: 'quality gates failed: MAE 8.5000 is above the maximum 8; RMSE 9.5000 is above the maximum 9; R² 0.2500 is below the minimum 0.3',
    });
    expect(judgeCandidate(regressionEvaluation(regression(6, 9.01, 0.62)), gates, undefined).reason).toBe('quality gates failed: RMSE 9.0100 is above the maximum 9');
    expect(judgeCandidate(regressionEvaluation(regression(6, 7, 0.29)), gates, undefined).reason).toBe('quality gates failed: R² 0.2900 is below the minimum 0.3');
  });

  it('makes a challenger of a model that lowers the champion MAE by at least minImprovement, and refuses one that lowers it by less', () => {
    const gates = { ...DELIVERY_GATES, minImprovement: 0.5 };
    const champion = regression(6, 7.5, 0.6);
    expect(judgeCandidate(regressionEvaluation(regression(5.4, 7, 0.66), champion), gates, undefined)).toEqual({
      stage: 'challenger',
      reason: 'passed gates and beats champion v3 on mae by 0.6000',
    });
    expect(judgeCandidate(regressionEvaluation(regression(5.7, 7, 0.64), champion), gates, undefined)).toEqual({
      stage: 'rejected',
      reason: 'quality gates failed: mae 5.7000 does not beat champion v3 (6.0000) by the minimum improvement 0.5 (gain 0.3000)',
    });
  });

  it('records MAE, RMSE and R² with the champion figures on the same examples', () => {
    const evaluation = regressionEvaluation(regression(5.4, 7, 0.66), regression(6, 7.5, 0.6));
    expect(registryMetricsOf(evaluation)).toEqual({ mae: 5.4, rmse: 7, r2: 0.66, testExamples: 200, championVersion: 3, championMae: 6, championRmse: 7.5, championR2: 0.6 });
    expect(registryMetricsOf(regressionEvaluation(regression(5.4, 7, 0.66)))).toEqual({ mae: 5.4, rmse: 7, r2: 0.66, testExamples: 200 });
    expect(championMemo(evaluation.champion)).toEqual({ version: 3, mae: 6, rmse: 7.5, r2: 0.6 });
  });
});

describe('classifier verdict', () => {
  /** 300 test examples, 30 positive; 24 caught and 27 of 270 negatives flagged at the threshold 0.4. */
  const candidate: ClassifierMetrics = {
    task: 'binary-classification',
    examples: 300,
    positives: 30,
    rocAuc: 0.9,
    prAuc: 0.6,
    brierScore: 0.08,
    operatingPoint: {
      threshold: 0.4,
      confusion: { truePositives: 24, falsePositives: 27, trueNegatives: 243, falseNegatives: 6 },
      precision: 24 / 51,
      recall: 0.8,
      f1: (2 * (24 / 51) * 0.8) / (24 / 51 + 0.8),
      falsePositiveRate: 0.1,
    },
  };
  const evaluation: EvaluationSummary = {
    candidate,
    champion: undefined,
    comparison: { primaryMetric: 'prAuc', candidate: 0.6, champion: undefined, improvement: undefined, minimumImprovement: 0.005, candidateBetter: true },
  };
  const defaults = resolveRunGates('fraud', 'binary-classification', undefined, undefined);

  it('judges with the defaults as before: ROC-AUC 0.7, PR-AUC 0', () => {
    expect(defaults).toEqual({ minRocAuc: 0.7, minPrAuc: 0, primaryMetric: 'prAuc', minImprovement: 0.005, minTestPositives: 30 });
    expect(judgeCandidate(evaluation, defaults, undefined)).toEqual({ stage: 'champion', reason: 'first model passed gates' });
    expect(judgeCandidate(evaluation, { ...defaults, minRocAuc: 0.95 }, undefined).reason).toBe('quality gates failed: ROC-AUC 0.9000 is below the minimum 0.95');
  });

  it('applies minRecall and maxFalsePositiveRate at the candidate threshold', () => {
    expect(judgeCandidate(evaluation, { ...defaults, minRecall: 0.85, maxFalsePositiveRate: 0.05 }, undefined).reason).toBe(
      'quality gates failed: recall 0.8000 at its threshold 0.4000 is below the minimum 0.85; false-positive rate 0.1000 at its threshold 0.4000 is above the maximum 0.05',
    );
    expect(judgeCandidate(evaluation, { ...defaults, minRecall: 0.8, maxFalsePositiveRate: 0.1 }, undefined).stage).toBe('champion');
  });

  it('holds a first model to gates.minTestPositives (its 30 positives pass the default 30, not 31), unless the run predates the rule', () => {
    expect(judgeCandidate(evaluation, { ...defaults, minTestPositives: 31 }, undefined)).toEqual({
      stage: 'rejected',
      reason:
        'quality gates failed: the test split holds 30 positive examples, too few for its threshold to count: gates.minTestPositives asks for at least 31; ' +
        'train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)',
    });
    expect(judgeCandidate(evaluation, { ...defaults, minTestPositives: 31 }, undefined, { testPositivesWithoutChampion: false }).stage).toBe('champion');
    // A run whose gates name no minimum is held to the operating-point gate's default, 30.
    expect(judgeCandidate({ ...evaluation, candidate: { ...candidate, positives: 29 } }, { ...defaults, minTestPositives: undefined }, undefined).stage).toBe('rejected');
  });
});

describe('resolveRunGates', () => {
  it("lays the definition's gates over the task's defaults and the run's input over both", () => {
    expect(resolveRunGates('delivery-time', 'regression', undefined, undefined)).toEqual({ minR2: 0, primaryMetric: 'rmse', minImprovement: 0.005 });
    expect(DELIVERY_GATES).toEqual({ maxMae: 8, minR2: 0.3, primaryMetric: 'mae', minImprovement: 0.05 });
    expect(resolveRunGates('delivery-time', 'regression', { maxMae: 8, minR2: 0.3 }, { maxMae: 5, minImprovement: 0.2 })).toEqual({ maxMae: 5, minR2: 0.3, primaryMetric: 'rmse', minImprovement: 0.2 });
    expect(resolveRunGates('fraud', 'binary-classification', { minPrAuc: 0.3 }, { minRocAuc: 0.8 })).toMatchObject({ minRocAuc: 0.8, minPrAuc: 0.3, primaryMetric: 'prAuc' });
  });

  it("refuses, non-retryably and in one line, a run input's gate or primary metric of the other task", () => {
    const refusal = (): unknown => {
      try {
        return resolveRunGates('delivery-time', 'regression', undefined, { minRocAuc: 0.7, primaryMetric: 'prAuc' });
      } catch (error) {
        return error;
      }
    };
    const failure = refusal() as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect([failure.type, failure.nonRetryable]).toEqual(['InvalidTrainingPipelineInput', true]);
    expect(failure.message).toBe(
      'invalid training pipeline input: gates.minRocAuc is not a gate of pipeline delivery-time, whose model.task is regression (its gates: maxMae, maxRmse, minR2, primaryMetric, minImprovement); ' +
        'gates.primaryMetric "prAuc" is not a regression metric; use one of mae, rmse, r2',
    );
    expect(() => resolveRunGates('fraud', 'binary-classification', undefined, { maxMae: 3 })).toThrow('gates.maxMae is not a gate of pipeline fraud, whose model.task is binary-classification');
  });
});
