/**
 * A regression model's rollout, on predictions and labels written by hand: MAE and RMSE per
 * variant, the paired test in shadow mode and the unpaired one on split traffic (values computed
 * by hand in the comments), the guardrail and promotion decisions on them, and the plan a
 * definition's `rollout` section describes (examples/delivery/pipeline.yaml).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { pairedComparison, unpairedComparison, variantErrors, addError, EMPTY_ERROR_SUMS } from '../../src/rollout/error-metrics.js';
import { computeLiveMetrics, type ScoreObservation } from '../../src/rollout/live-metrics.js';
import { testDifferenceAbove, testDifferenceBelow } from '../../src/rollout/significance.js';
import { automaticAction, compileRolloutPlan, describeFigures, guardrailBreach, rolloutPlanOfDefinition, rolloutPlanProblems, ROLLOUT_PRESETS } from '../../src/workflows/ab-rollout-plan.js';

const SCOPE = { model: 'delivery-time', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 };

const prediction = (event_id: string, value: number, fields: Partial<ScoreObservation> = {}): ScoreObservation => ({
  event_id,
  prediction: value,
  decision: null,
  model: 'delivery-time',
  model_version: 1,
  variant: 'CHAMPION',
  shadow: null,
  deployment_revision: 1,
  scoring_ms: 5,
  ...fields,
});

/** The champion's prediction with the challenger's shadow beside it, as shadow mode writes them. */
const shadowed = (event_id: string, champion: number, challenger: number): ScoreObservation =>
  prediction(event_id, champion, { shadow: { model_version: 2, prediction: challenger, decision: null } });

// Labels 10, 20, 30, 40. Champion errors +2, −2, +3, 0; challenger errors +1, +5, 0, −4.
const LABELS = new Map([
  ['o1', 10],
  ['o2', 20],
  ['o3', 30],
  ['o4', 40],
]);
const SHADOW_TRAFFIC = [shadowed('o1', 12, 11), shadowed('o2', 18, 25), shadowed('o3', 33, 30), shadowed('o4', 40, 36), shadowed('o5', 50, 51)];

describe('regression live metrics', () => {
  const metrics = computeLiveMetrics(SCOPE, SHADOW_TRAFFIC, LABELS, { task: 'regression', dlqRecords: 0, undecodable: 0 });

  it('measures MAE and RMSE per variant over its labelled predictions', () => {
    // Champion: |e| 2, 2, 3, 0 → MAE 7/4; e² 4, 4, 9, 0 → RMSE √(17/4). Challenger: |e| 1, 5, 0, 4 → 10/4; e² 1, 25, 0, 16 → √(42/4).
    expect(metrics.champion).toMatchObject({ scored: 5, labelled: 4, errors: { labelled: 4, mae: { value: 1.75 }, rmse: { value: Math.sqrt(4.25) } } });
    expect(metrics.challenger).toMatchObject({ scored: 5, labelled: 4, errors: { labelled: 4, mae: { value: 2.5 }, rmse: { value: Math.sqrt(10.5) } } });
    // The classifier's counts stay empty: nothing was decided.
    expect(metrics.champion.rates.labelled).toBe(0);
  });

  it('bounds MAE by z·s/√n and RMSE by the square roots of the bounds of MSE', () => {
    const errors = variantErrors([2, -2, 3, 0].reduce((sums, error) => addError(sums, error, 0), EMPTY_ERROR_SUMS), 0.95);
    // |e| 2, 2, 3, 0: mean 1.75, s² = (0.0625 + 0.0625 + 1.5625 + 3.0625) / 3 = 1.58333; half-width 1.95996 · √(1.58333 / 4) = 1.23311.
    expect(errors.mae!.lower).toBeCloseTo(0.51689, 4);
    expect(errors.mae!.upper).toBeCloseTo(2.98311, 4);
    // e² 4, 4, 9, 0: MSE 4.25, s² = (0.0625 + 0.0625 + 22.5625 + 18.0625) / 3 = 13.58333; half-width 1.95996 · √(13.58333 / 4) = 3.61178.
    expect(errors.rmse!.lower).toBeCloseTo(Math.sqrt(4.25 - 3.61178), 4);
    expect(errors.rmse!.upper).toBeCloseTo(Math.sqrt(4.25 + 3.61178), 4);
  });

  it('compares the variants pairwise in shadow mode: the differences of absolute errors on the same events', () => {
    // Per event |e_challenger| − |e_champion|: −1, 3, −3, 4 → mean 0.75, s² = (3.0625 + 5.0625 + 14.0625 + 10.5625) / 3 = 10.91667, SE √(10.91667 / 4) = 1.65202.
    expect(metrics.errorComparison).toMatchObject({ pairing: 'paired', samples: 4 });
    expect(metrics.errorComparison!.mae!.difference).toBeCloseTo(0.75, 10);
    expect(metrics.errorComparison!.mae!.standardError).toBeCloseTo(1.65202, 5);
    expect(metrics.errorComparison!.rmse!.difference).toBeCloseTo(Math.sqrt(10.5) - Math.sqrt(4.25), 10);
    // z = 0.75 / 1.65202 = 0.45399; one-sided p = 1 − Φ(0.45399) = 0.32492.
    const test = testDifferenceAbove(metrics.errorComparison!.mae!)!;
    expect(test.z).toBeCloseTo(0.45399, 4);
    expect(test.pValue).toBeCloseTo(0.32492, 4);
    expect(testDifferenceBelow(metrics.errorComparison!.mae!)!.pValue).toBeCloseTo(1 - 0.32492, 4);
  });

  it('compares unpaired on split traffic, where the variants predict different events', () => {
    const split = [prediction('o1', 12), prediction('o2', 18), prediction('o3', 33), prediction('o4', 40)].map((score, index) =>
      index % 2 === 1 ? { ...score, variant: 'CHALLENGER' as const, model_version: 2 } : score,
    );
    const figures = computeLiveMetrics(SCOPE, split, LABELS, { task: 'regression', dlqRecords: 0, undecodable: 0 });
    // Champion o1, o3: |e| 2, 3; challenger o2, o4: |e| 2, 0. Difference 1 − 2.5 = −1.5; SE √(0.5/2 + 2/2) = √1.25.
    expect(figures.errorComparison).toMatchObject({ pairing: 'unpaired', samples: 2 });
    expect(figures.errorComparison!.mae!.difference).toBeCloseTo(-1.5, 10);
    expect(figures.errorComparison!.mae!.standardError).toBeCloseTo(Math.sqrt(1.25), 10);
  });

  it('pairs the same errors more tightly than an unpaired test would when events differ in difficulty', () => {
    // Hard and easy events alike: the challenger errs 0.5 more on each, whatever the event's own error.
    const pairs = [1, 9, 2, 14, 4, 30].map((champion, index) => ({ champion, challenger: champion + 0.5 + (index % 2) * 0.1 }));
    const paired = pairedComparison(pairs);
    const sums = (pick: (pair: (typeof pairs)[number]) => number) => pairs.reduce((total, pair) => addError(total, pick(pair), 0), EMPTY_ERROR_SUMS);
    const unpaired = unpairedComparison(sums((pair) => pair.challenger), sums((pair) => pair.champion));
    expect(paired.mae!.difference).toBeCloseTo(unpaired.mae!.difference, 10);
    expect(paired.mae!.standardError).toBeLessThan(unpaired.mae!.standardError / 50);
  });

  it('bins both variants\' predictions over the champion\'s deciles, not [0, 1]', () => {
    expect(metrics.champion.scoreHistogram.edges[0]).toBe(11);
    expect(metrics.champion.scoreHistogram.edges.at(-1)).toBe(51);
    expect(metrics.champion.scoreHistogram.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(metrics.challenger.scoreHistogram.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(metrics.scorePsi).toBeGreaterThan(0);
  });
});

/** 100 labelled events in shadow mode: the champion errs by 1 on each, the challenger by `challengerError(i)`. */
function shadowFigures(challengerError: (index: number) => number) {
  const scores = Array.from({ length: 100 }, (_, index) => shadowed(`o${index}`, index % 2 === 0 ? 1 : -1, challengerError(index)));
  const labels = new Map(scores.map((score) => [score.event_id, 0]));
  return computeLiveMetrics(SCOPE, scores, labels, { task: 'regression', dlqRecords: 0, undecodable: 0 });
}

describe('regression guardrails and promotion', () => {
  // Challenger |e| 3 and 2.5 alternately: per-event differences 2 and 1.5, mean 1.75, s² = 100·0.0625/99, SE = 0.025126.
  const worse = shadowFigures((index) => (index % 2 === 0 ? 3 : 2.5));
  const plan = compileRolloutPlan({ steps: [{ mode: 'SHADOW', percent: 0, minSamples: 50, minDurationMs: 0 }], guardrails: { maxWorse: { mae: 1 } }, promotion: { metric: 'mae' } });

  it('rolls a challenger back whose MAE is significantly worse by more than the margin', () => {
    // z = (1.75 − 1) / 0.025126 = 29.85.
    expect(guardrailBreach(worse, plan.guardrails)).toMatch(
      /^challenger v2's MAE 2\.750 is worse than champion v1's 1\.000 by more than 1 \(difference 1\.750 ± 0\.025, z=29\.85, p=.* < α 0\.05; paired on 100 events\)$/,
    );
    expect(automaticAction({ plan, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: worse }).kind).toBe('rollback');
  });

  it('keeps it within the margin, without enough samples, and leaves the classifier rates out', () => {
    // z = (1.75 − 2) / 0.025126 = −9.95: not worse by more than 2.
    expect(guardrailBreach(worse, compileRolloutPlan({ guardrails: { maxWorse: { mae: 2 } } }).guardrails)).toBeUndefined();
    expect(guardrailBreach(worse, compileRolloutPlan({ guardrails: { maxWorse: { mae: 1 }, minTrials: 101 } }).guardrails)).toBeUndefined();
    // The default guardrails name classifier rates only: a regression model has none, so nothing is breached.
    expect(guardrailBreach(worse, compileRolloutPlan({}).guardrails)).toBeUndefined();
  });

  it('guards RMSE in the label\'s units too', () => {
    // Challenger RMSE √((9 + 6.25) / 2) = 2.761 against 1.
    expect(guardrailBreach(worse, compileRolloutPlan({ guardrails: { maxWorse: { rmse: 1 } } }).guardrails)).toMatch(/^challenger v2's RMSE 2\.761 is worse than champion v1's 1\.000 by more than 1/);
  });

  it('promotes a significantly better challenger on the promotion metric, RMSE when the plan names a classifier rate', () => {
    const better = shadowFigures((index) => (index % 2 === 0 ? 0.5 : 0.4));
    expect(automaticAction({ plan, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: better })).toMatchObject({
      kind: 'promote',
      reason: expect.stringMatching(/^automatic promotion: challenger v2's MAE 0\.450 is significantly better than champion v1's 1\.000 \(z=.*; paired on 100 events\)$/),
    });
    const byDefault = compileRolloutPlan({ steps: plan.steps });
    expect(automaticAction({ plan: byDefault, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: better })).toMatchObject({ kind: 'promote', reason: expect.stringContaining("RMSE") });
    expect(automaticAction({ plan, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: shadowFigures((index) => (index % 2 === 0 ? 1 : -1)) })).toEqual({
      kind: 'await-decision',
      reason: 'the last step completed with 100 labelled scores per variant and no significant difference on MAE',
    });
  });

  it('describes a regression model\'s figures by its errors', () => {
    expect(describeFigures(worse)).toMatch(/^champion v1: 100 labelled of 100, MAE 1\.000 \[1\.000, 1\.000\], RMSE 1\.000 .*; challenger v2: 100 labelled of 100, MAE 2\.750 \[/);
  });

  it('checks error margins in the label\'s units and rate margins below 1', () => {
    expect(rolloutPlanProblems({ guardrails: { maxWorse: { mae: 5, rmse: -1, recall: 2 } }, promotion: { metric: 'mape' } })).toEqual([
      "guardrails.maxWorse.rmse=-1: expected an error difference >= 0 in the label's units",
      'guardrails.maxWorse.recall=2: expected a rate difference from 0 to below 1',
      'promotion.metric="mape": expected one of precision, recall, falsePositiveRate, mae, rmse',
    ]);
  });
});

describe('the plan of a definition', () => {
  it('reads examples/delivery\'s rollout: its steps with durations in ms, the MAE guardrail and promotion on MAE', () => {
    const definition = parse(readFileSync('examples/delivery/pipeline.yaml', 'utf8')) as PipelineDefinition;
    const plan = rolloutPlanOfDefinition(definition.rollout?.plan);
    expect(rolloutPlanProblems(plan)).toEqual([]);
    expect(plan).toEqual({
      steps: [
        { mode: 'SHADOW', percent: 0, minSamples: 200, minDurationMs: 60_000 },
        { mode: 'SPLIT', percent: 25, minSamples: 200, minDurationMs: 120_000 },
      ],
      guardrails: { maxWorse: { mae: 1 } },
      promotion: { metric: 'mae' },
    });
  });

  it('takes a preset by name, the standard one by default, and refuses a duration that does not parse', () => {
    expect(rolloutPlanOfDefinition('quick')).toBe(ROLLOUT_PRESETS.quick);
    expect(rolloutPlanOfDefinition(undefined)).toBe(ROLLOUT_PRESETS.standard);
    expect(rolloutPlanProblems(rolloutPlanOfDefinition({ decisionTimeout: '1 week' }))).toEqual(['decisionTimeoutMs=null: expected a whole number >= 1']);
  });
});
