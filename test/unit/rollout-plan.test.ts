/**
 * The rollout plan's checks and defaults, the phase transition guard, and the automatic decision
 * rules (guardrail → rollback, significantly better → promote, step complete → next step or wait).
 */
import { describe, expect, it } from 'vitest';
import {
  assertPhaseTransition,
  automaticAction,
  compileRolloutPlan,
  DEFAULT_GUARDRAILS,
  describeFigures,
  GUARDRAILS_BEFORE_RELATIVE_LATENCY,
  rolloutPlanProblems,
  ROLLOUT_PRESETS,
  stepRouting,
} from '../../src/workflows/ab-rollout-plan.js';
import { BASELINE, BETTER, liveMetrics, WORSE_FPR } from '../workflow/fake-rollout-activities.js';

const plan = compileRolloutPlan({
  steps: [
    { mode: 'SHADOW', percent: 0, minSamples: 500, minDurationMs: 60_000 },
    { mode: 'SPLIT', percent: 50, minSamples: 500, minDurationMs: 0 },
  ],
});

describe('rollout plan', () => {
  it('fills in the defaults: the standard ramp, guardrails on FPR and recall, promotion on recall, rollback after 24 h', () => {
    const compiled = compileRolloutPlan({});
    expect(compiled.steps.map((step) => `${step.mode} ${step.percent}`)).toEqual(['SHADOW 0', 'SPLIT 10', 'SPLIT 50', 'SPLIT 100']);
    expect(compiled.guardrails).toMatchObject({ maxWorse: { falsePositiveRate: 0.01, recall: 0.05 }, alpha: 0.05, maxLatencyP99OverChampionMs: 500, maxLatencyP99Ms: null, maxDlqRate: 0.01 });
    expect(compiled).toMatchObject({ promotion: { metric: 'recall', alpha: 0.05, lastStepOnly: true }, autoPromote: true, decisionTimeoutMs: 86_400_000, defaultAction: 'rollback' });
    for (const preset of Object.values(ROLLOUT_PRESETS)) expect(rolloutPlanProblems(preset)).toEqual([]);
  });

  it('names every bad field', () => {
    expect(
      rolloutPlanProblems({
        steps: [{ mode: 'SHADOW', percent: 10, minSamples: -1, minDurationMs: 0 }, { mode: 'CANARY' }],
        guardrails: { maxWorse: { accuracy: 0.1, recall: 2 }, alpha: 1 },
        defaultAction: 'wait',
        pollIntervalMs: 0.5,
        extra: true,
      }),
    ).toEqual([
      'extra: unknown field (known: steps, guardrails, promotion, autoPromote, decisionTimeoutMs, defaultAction, pollIntervalMs, confidence, pollsPerRun)',
      'steps[0].percent=10: a SHADOW step decides nothing with the challenger; use 0',
      'steps[0].minSamples=-1: expected a whole number >= 0',
      'steps[1].mode="CANARY": expected "SHADOW" or "SPLIT"',
      'steps[1].percent=undefined: expected a number from 0 to 100',
      'steps[1].minSamples=undefined: expected a whole number >= 0',
      'steps[1].minDurationMs=undefined: expected a whole number of ms >= 0',
      'guardrails.maxWorse.accuracy: unknown field (known: precision, recall, falsePositiveRate, mae, rmse)',
      'guardrails.maxWorse.recall=2: expected a rate difference from 0 to below 1',
      'guardrails.alpha=1: expected a significance level between 0 and 1, e.g. 0.05',
      'defaultAction="wait": expected "promote" or "rollback"',
      'pollIntervalMs=0.5: expected a whole number >= 1',
    ]);
  });

  it('routes SPLIT steps by their share and SHADOW steps with none', () => {
    expect(stepRouting({ mode: 'SPLIT', percent: 10, minSamples: 0, minDurationMs: 0 })).toEqual({ mode: 'SPLIT', share: 0.1 });
    expect(stepRouting({ mode: 'SHADOW', percent: 0, minSamples: 0, minDurationMs: 0 })).toEqual({ mode: 'SHADOW', share: 0 });
  });
});

describe('rollout phases', () => {
  it('allows the table’s transitions and refuses the rest, naming what is allowed', () => {
    expect(() => assertPhaseTransition('running', 'paused')).not.toThrow();
    expect(() => assertPhaseTransition('paused', 'awaiting-decision')).not.toThrow();
    expect(() => assertPhaseTransition('awaiting-decision', 'running')).toThrow('a rollout cannot go from awaiting-decision to running; allowed from awaiting-decision: manual, paused, promoted, rolled-back');
    expect(() => assertPhaseTransition('promoted', 'rolled-back')).toThrow('allowed from promoted: nothing (it has ended)');
  });
});

describe('automatic decisions', () => {
  const at = (phase: Parameters<typeof automaticAction>[0]['phase'], stepIndex: number, stepElapsedMs: number, metrics = liveMetrics(BASELINE, BASELINE)) =>
    automaticAction({ plan, phase, stepIndex, stepElapsedMs, metrics });

  it('rolls back on a guardrail breach in every active phase but paused', () => {
    for (const phase of ['running', 'manual', 'awaiting-decision'] as const) expect(at(phase, 0, 0, liveMetrics(BASELINE, WORSE_FPR)).kind).toBe('rollback');
    expect(at('paused', 0, 0, liveMetrics(BASELINE, WORSE_FPR))).toEqual({ kind: 'continue', reason: 'paused: no automatic action' });
  });

  it('tests a rate only once both variants have the minimum trials of it, for rollback and promotion alike', () => {
    // Two frauds, both missed: recall 0 against 0.7, but two trials prove nothing.
    const twoMissedFrauds = liveMetrics(BASELINE, { truePositives: 0, falsePositives: 10, trueNegatives: 990, falseNegatives: 2 });
    expect(twoMissedFrauds.challenger.rates.recall).toMatchObject({ successes: 0, trials: 2 });
    expect(at('running', 0, 0, twoMissedFrauds).kind).not.toBe('rollback');
    const strict = { ...plan, guardrails: { ...plan.guardrails, minTrials: 2 } };
    expect(automaticAction({ plan: strict, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: twoMissedFrauds })).toMatchObject({
      kind: 'rollback',
      reason: expect.stringContaining("challenger v2's recall 0.0000 is worse than champion v1's 0.7000"),
    });
    const betterButTiny = { ...plan, guardrails: { ...plan.guardrails, minTrials: 10_000 } };
    expect(automaticAction({ plan: betterButTiny, phase: 'running', stepIndex: 1, stepElapsedMs: 0, metrics: liveMetrics(BASELINE, BETTER) }).kind).toBe('await-decision');
    expect(rolloutPlanProblems({ guardrails: { minTrials: 0 } })).toEqual(['guardrails.minTrials=0: expected a whole number >= 1']);
  });

  it('rolls back on latency and DLQ limits', () => {
    expect(at('running', 0, 0, liveMetrics(BASELINE, BASELINE, { championP99Ms: 9_000, challengerP99Ms: 9_600 }))).toEqual({
      kind: 'rollback',
      reason: "guardrail: challenger v2's p99 scoring latency 9600.0 ms is more than 500 ms above champion v1's 9000.0 ms on the same traffic (1000 vs 1000 scores)",
    });
    // With confidence bounds, the bounds decide: a p99 600 ms above the champion's whose bounds overlap is noise.
    const withBounds = (challengerBounds: { lower: number; upper: number | null }, championBounds: { lower: number; upper: number | null }) => {
      const figures = liveMetrics(BASELINE, BASELINE, { championP99Ms: 10_000, challengerP99Ms: 10_600 });
      return {
        ...figures,
        champion: { ...figures.champion, latencyMs: { p50: 5_000, p99: 10_000, p99Interval: championBounds } },
        challenger: { ...figures.challenger, latencyMs: { p50: 5_000, p99: 10_600, p99Interval: challengerBounds } },
      };
    };
    expect(at('running', 0, 0, withBounds({ lower: 10_100, upper: null }, { lower: 9_900, upper: 10_200 })).kind).toBe('continue');
    expect(at('running', 0, 0, withBounds({ lower: 10_300, upper: 11_000 }, { lower: 9_900, upper: null })).kind).toBe('continue');
    expect(at('running', 0, 0, withBounds({ lower: 10_750, upper: null }, { lower: 9_900, upper: 10_200 }))).toEqual({
      kind: 'rollback',
      reason:
        "guardrail: challenger v2's p99 scoring latency 10600.0 ms is more than 500 ms above champion v1's 10000.0 ms on the same traffic (1000 vs 1000 scores; p99 at least 10750.0 vs at most 10200.0 ms at the metrics' confidence)",
    });
    const absolute = compileRolloutPlan({ steps: plan.steps, guardrails: { maxLatencyP99Ms: 1000 } });
    expect(automaticAction({ plan: absolute, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: liveMetrics(BASELINE, BASELINE, { challengerP99Ms: 1500 }) })).toEqual({
      kind: 'rollback',
      reason: "guardrail: challenger v2's p99 scoring latency 1500.0 ms is above the limit 1000 ms (1000 scores)",
    });
    expect(at('running', 0, 0, liveMetrics(BASELINE, BASELINE, { dlqRecords: 100 }))).toEqual({
      kind: 'rollback',
      reason: 'guardrail: the DLQ rate 4.76% (100 records) is above the limit 1.00%',
    });
  });

  it('keeps a challenger as fast as the champion at the default checkpoint delay (the default guardrails agree with the default stack)', () => {
    // The local stack checkpoints the feature job every 10 s (src/stack/components/flink.ts), and a
    // features record becomes visible to the scorer only then: both variants wait up to that long.
    const checkpointIntervalMs = 10_000;
    const sameDelay = liveMetrics(BASELINE, BASELINE, { championP99Ms: checkpointIntervalMs + 150, challengerP99Ms: checkpointIntervalMs + 150 });
    const defaults = compileRolloutPlan({ steps: plan.steps });
    expect(defaults.guardrails).toEqual(DEFAULT_GUARDRAILS);
    expect(automaticAction({ plan: defaults, phase: 'running', stepIndex: 1, stepElapsedMs: 0, metrics: sameDelay }).kind).not.toBe('rollback');
    // The defaults before the relative check (kept for replaying old runs) rolled it back: the contradiction this guards against.
    const before = compileRolloutPlan({ steps: plan.steps }, GUARDRAILS_BEFORE_RELATIVE_LATENCY);
    expect(automaticAction({ plan: before, phase: 'running', stepIndex: 1, stepElapsedMs: 0, metrics: sameDelay }).kind).toBe('rollback');
    // Without a latency of its own (SHADOW: it decides nothing) the challenger is not judged on latency.
    const shadow = liveMetrics(BASELINE, BASELINE, { championP99Ms: 20_000 });
    expect(automaticAction({ plan: defaults, phase: 'running', stepIndex: 0, stepElapsedMs: 0, metrics: { ...shadow, challenger: { ...shadow.challenger, latencyMs: null } } }).kind).not.toBe('rollback');
  });

  it('waits for the minimum sample and duration, then moves on, and promotes a better challenger only on the last step', () => {
    const few = liveMetrics({ truePositives: 5, falsePositives: 5, trueNegatives: 80, falseNegatives: 10 }, BASELINE);
    expect(at('running', 0, 120_000, few)).toEqual({ kind: 'continue', reason: 'waiting for 500 labelled scores per variant (fewest so far: 100)' });
    expect(at('running', 0, 1_000)).toEqual({ kind: 'continue', reason: "waiting for the step's minimum duration (1000 of 60000 ms)" });
    expect(at('running', 0, 60_000, liveMetrics(BASELINE, BETTER))).toEqual({ kind: 'next-step' });
    const last = at('running', 1, 0, liveMetrics(BASELINE, BETTER));
    expect(last.kind).toBe('promote');
    expect(at('running', 1, 0)).toEqual({ kind: 'await-decision', reason: 'the last step completed with 1000 labelled scores per variant and no significant difference on recall' });
    expect(automaticAction({ plan: { ...plan, autoPromote: false }, phase: 'running', stepIndex: 1, stepElapsedMs: 0, metrics: liveMetrics(BASELINE, BETTER) }).kind).toBe('await-decision');
  });

  it('describes the figures of both variants in one line', () => {
    expect(describeFigures(null)).toBe('no live metrics yet');
    expect(describeFigures(liveMetrics(BASELINE, BETTER))).toMatch(/^champion v1: 1000 labelled of 1000, precision 0\.7955 \[0\.\d{4}, 0\.\d{4}\], recall 0\.7000 .*; challenger v2: .*; score PSI 0\.0000; DLQ 0\.00%$/);
  });
});
