/**
 * The abRollout's plan and its rules, pure and deterministic so the workflow, the CLI (which
 * checks a plan file before starting anything) and unit tests share them:
 * - the plan (steps, guardrails, promotion rule, decision timeout) with defaults and presets,
 *   checked into one message per bad field;
 * - the phases of a rollout as a state machine with an explicit transition table and a guard;
 * - the automatic decision after each metrics poll: guardrail breach → rollback, significantly
 *   better → promote, step complete → next step or wait for a person;
 * - the plan a pipeline definition's `rollout` section describes, in the workflow's terms.
 * A classifier is compared on rates at its decisions (precision, recall, false-positive rate), a
 * regression model on its errors (MAE, RMSE); the live metrics say which the model is.
 */
import type { RolloutDefinition } from '../pipelines/pipeline-definition.js';
import { parseDuration } from '../pipelines/duration.js';
import type { ChallengerMode } from '../serving/model-deployment.js';
import type { ErrorComparison, ErrorEstimate, ErrorMetric } from '../rollout/error-metrics.js';
import type { LiveMetrics, VariantLiveMetrics } from '../rollout/live-metrics.js';
import { testDifferenceAbove, testDifferenceBelow, testRateAbove, testRateBelow, type ZTestResult } from '../rollout/significance.js';
import { HIGHER_IS_BETTER, type ComparedMetric, type Proportion } from '../rollout/variant-metrics.js';

/** What a guardrail or the promotion rule compares: a classifier's rates or a regression model's errors. */
export type LiveMetric = ComparedMetric | ErrorMetric;

/** One step of the traffic ramp. */
export interface RolloutStep {
  /** SHADOW: the challenger scores every record without deciding; SPLIT: it decides for `percent` % of entity keys. */
  readonly mode: Extract<ChallengerMode, 'SHADOW' | 'SPLIT'>;
  /** Share of entity keys the challenger decides, 0 to 100; 0 in SHADOW. */
  readonly percent: number;
  /** Labelled scores each variant needs in this step before it can complete or promote. */
  readonly minSamples: number;
  /** Least time the step lasts, in ms. */
  readonly minDurationMs: number;
}

/** When the challenger is taken off automatically. */
export interface RolloutGuardrails {
  /**
   * Per metric, how much worse than the champion the challenger may be before a significant
   * difference rolls it back: an absolute rate difference for a classifier's rates, the label's
   * units for a regression model's `mae` and `rmse`. A metric left out, or not of the model's
   * task, is not guarded. @default { falsePositiveRate: 0.01, recall: 0.05 } (none for regression)
   */
  readonly maxWorse?: Partial<Record<LiveMetric, number>>;
  /** One-sided significance level of the "worse" tests. @default 0.05 */
  readonly alpha?: number;
  /**
   * Trials each variant needs of a rate (positives for recall, negatives for the false-positive
   * rate, flagged records for precision) before that rate is tested, and labelled predictions
   * (pairs, in shadow mode) before a regression model's errors are, for guardrails and
   * promotion alike: below it the normal approximation of the tests does not hold, and two
   * positives missed out of two would roll a good challenger back. @default 30
   */
  readonly minTrials?: number;
  /**
   * How far the challenger's p99 scoring latency may lie above the champion's, measured on the
   * same traffic over the same period, before it rolls back; null: not compared. The latency is
   * scored-at minus the time the features record entered Kafka, so it includes the wait for the
   * feature job's checkpoint to commit the record (up to the checkpoint interval, 10 s on the
   * local stack): both variants wait alike, so only the difference says something about the
   * challenger. Compared at the live metrics' confidence: the lower bound of the challenger's
   * p99 against the upper bound of the champion's. @default 500
   */
  readonly maxLatencyP99OverChampionMs?: number | null;
  /**
   * An absolute limit on the challenger's p99 scoring latency (same measure); null: no limit.
   * A value below the feature job's checkpoint interval rolls every challenger back. @default null
   */
  readonly maxLatencyP99Ms?: number | null;
  /** Scores each variant must have decided before the latency limits count. @default 200 */
  readonly minScoresForLatency?: number;
  /** Share of the model's input sent to the DLQ above this rolls back; null: no limit. @default 0.01 */
  readonly maxDlqRate?: number | null;
  /** Records (scores plus DLQ) before the DLQ rate counts. @default 200 */
  readonly minRecordsForDlqRate?: number;
}

/** When the challenger is promoted automatically. */
export interface PromotionRule {
  /**
   * The metric on which the challenger must be significantly better. One of another task (the
   * default `recall` on a regression model) stands for the task's own default: `recall` for
   * classifiers, `rmse` (as the training gate's primary metric) for regression. @default 'recall'
   */
  readonly metric?: LiveMetric;
  /** One-sided significance level. @default 0.05 */
  readonly alpha?: number;
  /** Only on the last step (true), or on any step once its minimum sample is reached. @default true */
  readonly lastStepOnly?: boolean;
}

/** Everything that shapes a rollout; every field may be left out. */
export interface RolloutPlan {
  /** @default the `standard` preset: shadow → 10 % → 50 % → 100 % */
  readonly steps?: readonly RolloutStep[];
  readonly guardrails?: RolloutGuardrails;
  readonly promotion?: PromotionRule;
  /** Promote without a person when the promotion rule holds. @default true */
  readonly autoPromote?: boolean;
  /** How long to wait for a person after the last step. @default 86_400_000 (24 h) */
  readonly decisionTimeoutMs?: number;
  /** What happens when nobody decides in time. @default 'rollback' */
  readonly defaultAction?: 'promote' | 'rollback';
  /** Time between two reads of the live metrics. @default 60_000 */
  readonly pollIntervalMs?: number;
  /** Two-sided confidence level of the intervals shown. @default 0.95 */
  readonly confidence?: number;
  /** Polls per run before continuing as new, to bound the history. @default 500 */
  readonly pollsPerRun?: number;
}

/** A plan with every default filled in. */
export interface CompiledRolloutPlan {
  readonly steps: readonly RolloutStep[];
  readonly guardrails: Required<RolloutGuardrails>;
  readonly promotion: Required<PromotionRule>;
  readonly autoPromote: boolean;
  readonly decisionTimeoutMs: number;
  readonly defaultAction: 'promote' | 'rollback';
  readonly pollIntervalMs: number;
  readonly confidence: number;
  readonly pollsPerRun: number;
}

const HOUR = 3_600_000;

/** Named plans for `tributary rollout start --plan <preset>`. */
export const ROLLOUT_PRESETS: Readonly<Record<string, RolloutPlan>> = {
  standard: {
    steps: [
      { mode: 'SHADOW', percent: 0, minSamples: 1000, minDurationMs: HOUR },
      { mode: 'SPLIT', percent: 10, minSamples: 1000, minDurationMs: HOUR },
      { mode: 'SPLIT', percent: 50, minSamples: 2000, minDurationMs: 2 * HOUR },
      { mode: 'SPLIT', percent: 100, minSamples: 2000, minDurationMs: 2 * HOUR },
    ],
  },
  /** For demos and test stacks: small samples, minutes instead of hours. */
  quick: {
    steps: [
      { mode: 'SHADOW', percent: 0, minSamples: 100, minDurationMs: 60_000 },
      { mode: 'SPLIT', percent: 10, minSamples: 100, minDurationMs: 60_000 },
      { mode: 'SPLIT', percent: 50, minSamples: 200, minDurationMs: 60_000 },
    ],
    decisionTimeoutMs: HOUR,
    pollIntervalMs: 10_000,
  },
};

export const DEFAULT_GUARDRAILS: Required<RolloutGuardrails> = {
  maxWorse: { falsePositiveRate: 0.01, recall: 0.05 },
  alpha: 0.05,
  minTrials: 30,
  maxLatencyP99OverChampionMs: 500,
  maxLatencyP99Ms: null,
  minScoresForLatency: 200,
  maxDlqRate: 0.01,
  minRecordsForDlqRate: 200,
};

/**
 * The defaults of rollouts started before the relative latency guardrail: an absolute p99 limit of
 * 1000 ms, which the default 10 s checkpoints never let a challenger meet. Only replays of those
 * runs compile their plan with it (see the workflow's patch).
 */
export const GUARDRAILS_BEFORE_RELATIVE_LATENCY: Required<RolloutGuardrails> = { ...DEFAULT_GUARDRAILS, maxLatencyP99OverChampionMs: null, maxLatencyP99Ms: 1000 };
const DEFAULT_PROMOTION: Required<PromotionRule> = { metric: 'recall', alpha: 0.05, lastStepOnly: true };
const COMPARED_METRICS: readonly ComparedMetric[] = ['precision', 'recall', 'falsePositiveRate'];
const ERROR_METRICS: readonly ErrorMetric[] = ['mae', 'rmse'];
const LIVE_METRICS: readonly LiveMetric[] = [...COMPARED_METRICS, ...ERROR_METRICS];
const isErrorMetric = (metric: LiveMetric): metric is ErrorMetric => (ERROR_METRICS as readonly string[]).includes(metric);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

function unknownFields(at: string, value: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => `${at}${key}: unknown field (known: ${known.join(', ')})`);
}

function stepProblems(step: unknown, index: number): string[] {
  const at = `steps[${index}]`;
  if (!isRecord(step)) return [`${at}=${shown(step)}: expected {"mode":"SHADOW"|"SPLIT","percent","minSamples","minDurationMs"}`];
  const problems = unknownFields(`${at}.`, step, ['mode', 'percent', 'minSamples', 'minDurationMs']);
  if (step.mode !== 'SHADOW' && step.mode !== 'SPLIT') problems.push(`${at}.mode=${shown(step.mode)}: expected "SHADOW" or "SPLIT"`);
  if (!(typeof step.percent === 'number' && step.percent >= 0 && step.percent <= 100)) problems.push(`${at}.percent=${shown(step.percent)}: expected a number from 0 to 100`);
  else if (step.mode === 'SHADOW' && step.percent !== 0) problems.push(`${at}.percent=${step.percent}: a SHADOW step decides nothing with the challenger; use 0`);
  else if (step.mode === 'SPLIT' && step.percent === 0) problems.push(`${at}.percent=0: a SPLIT step needs a share above 0 (or use mode SHADOW)`);
  if (!(Number.isInteger(step.minSamples) && (step.minSamples as number) >= 0)) problems.push(`${at}.minSamples=${shown(step.minSamples)}: expected a whole number >= 0`);
  if (!(Number.isInteger(step.minDurationMs) && (step.minDurationMs as number) >= 0)) problems.push(`${at}.minDurationMs=${shown(step.minDurationMs)}: expected a whole number of ms >= 0`);
  return problems;
}

const fraction = (value: unknown, open: boolean): boolean => typeof value === 'number' && value > 0 && (open ? value < 1 : value <= 1);

function guardrailProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [`guardrails=${shown(value)}: expected an object`];
  const problems = unknownFields('guardrails.', value, Object.keys(DEFAULT_GUARDRAILS));
  if (value.maxWorse !== undefined) {
    if (!isRecord(value.maxWorse)) problems.push(`guardrails.maxWorse=${shown(value.maxWorse)}: expected e.g. {"falsePositiveRate":0.01,"recall":0.05}`);
    else {
      problems.push(...unknownFields('guardrails.maxWorse.', value.maxWorse, LIVE_METRICS));
      for (const [metric, margin] of Object.entries(value.maxWorse)) {
        if (!LIVE_METRICS.includes(metric as LiveMetric)) continue;
        if (isErrorMetric(metric as LiveMetric)) {
          if (!(typeof margin === 'number' && Number.isFinite(margin) && margin >= 0)) problems.push(`guardrails.maxWorse.${metric}=${shown(margin)}: expected an error difference >= 0 in the label's units`);
        } else if (!(typeof margin === 'number' && margin >= 0 && margin < 1)) problems.push(`guardrails.maxWorse.${metric}=${shown(margin)}: expected a rate difference from 0 to below 1`);
      }
    }
  }
  if (value.alpha !== undefined && !fraction(value.alpha, true)) problems.push(`guardrails.alpha=${shown(value.alpha)}: expected a significance level between 0 and 1, e.g. 0.05`);
  for (const key of ['maxLatencyP99Ms', 'maxLatencyP99OverChampionMs']) {
    if (value[key] !== undefined && value[key] !== null && !(typeof value[key] === 'number' && value[key] > 0)) problems.push(`guardrails.${key}=${shown(value[key])}: expected a positive number of ms or null`);
  }
  if (value.maxDlqRate !== undefined && value.maxDlqRate !== null && !fraction(value.maxDlqRate, false)) problems.push(`guardrails.maxDlqRate=${shown(value.maxDlqRate)}: expected a share above 0 up to 1, or null`);
  for (const key of ['minTrials', 'minScoresForLatency', 'minRecordsForDlqRate']) {
    if (value[key] !== undefined && !(Number.isInteger(value[key]) && (value[key] as number) >= 1)) problems.push(`guardrails.${key}=${shown(value[key])}: expected a whole number >= 1`);
  }
  return problems;
}

function promotionProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [`promotion=${shown(value)}: expected an object`];
  const problems = unknownFields('promotion.', value, Object.keys(DEFAULT_PROMOTION));
  if (value.metric !== undefined && !LIVE_METRICS.includes(value.metric as LiveMetric)) problems.push(`promotion.metric=${shown(value.metric)}: expected one of ${LIVE_METRICS.join(', ')}`);
  if (value.alpha !== undefined && !fraction(value.alpha, true)) problems.push(`promotion.alpha=${shown(value.alpha)}: expected a significance level between 0 and 1, e.g. 0.05`);
  if (value.lastStepOnly !== undefined && typeof value.lastStepOnly !== 'boolean') problems.push(`promotion.lastStepOnly=${shown(value.lastStepOnly)}: expected true or false`);
  return problems;
}

/** Every problem of a plan, one line each; empty when it compiles. */
export function rolloutPlanProblems(plan: unknown): string[] {
  if (!isRecord(plan)) return [`plan=${shown(plan)}: expected an object`];
  const problems = unknownFields('', plan, ['steps', 'guardrails', 'promotion', 'autoPromote', 'decisionTimeoutMs', 'defaultAction', 'pollIntervalMs', 'confidence', 'pollsPerRun']);
  if (plan.steps !== undefined) {
    if (!Array.isArray(plan.steps) || plan.steps.length === 0) problems.push(`steps=${shown(plan.steps)}: expected a non-empty array of steps`);
    else problems.push(...plan.steps.flatMap(stepProblems));
  }
  problems.push(...guardrailProblems(plan.guardrails), ...promotionProblems(plan.promotion));
  if (plan.autoPromote !== undefined && typeof plan.autoPromote !== 'boolean') problems.push(`autoPromote=${shown(plan.autoPromote)}: expected true or false`);
  if (plan.defaultAction !== undefined && plan.defaultAction !== 'promote' && plan.defaultAction !== 'rollback') problems.push(`defaultAction=${shown(plan.defaultAction)}: expected "promote" or "rollback"`);
  for (const key of ['decisionTimeoutMs', 'pollIntervalMs', 'pollsPerRun']) {
    if (plan[key] !== undefined && !(Number.isInteger(plan[key]) && (plan[key] as number) >= 1)) problems.push(`${key}=${shown(plan[key])}: expected a whole number >= 1`);
  }
  if (plan.confidence !== undefined && !fraction(plan.confidence, true)) problems.push(`confidence=${shown(plan.confidence)}: expected a level between 0 and 1, e.g. 0.95`);
  return problems;
}

/** The plan with its defaults (`guardrailDefaults` only differ when replaying old runs); call {@link rolloutPlanProblems} first. */
export function compileRolloutPlan(plan: RolloutPlan, guardrailDefaults: Required<RolloutGuardrails> = DEFAULT_GUARDRAILS): CompiledRolloutPlan {
  return {
    steps: plan.steps ?? ROLLOUT_PRESETS.standard!.steps!,
    guardrails: { ...guardrailDefaults, ...plan.guardrails },
    promotion: { ...DEFAULT_PROMOTION, ...plan.promotion },
    autoPromote: plan.autoPromote ?? true,
    decisionTimeoutMs: plan.decisionTimeoutMs ?? 24 * HOUR,
    defaultAction: plan.defaultAction ?? 'rollback',
    pollIntervalMs: plan.pollIntervalMs ?? 60_000,
    confidence: plan.confidence ?? 0.95,
    pollsPerRun: plan.pollsPerRun ?? 500,
  };
}

/** Whether a plan says nothing: a rollout started with it takes the plan its pipeline's definition describes. */
export const isEmptyPlan = (plan: RolloutPlan | undefined): boolean => plan === undefined || Object.keys(plan).length === 0;

/**
 * The plan a definition's `rollout.plan` describes (a preset name, or a plan whose durations are
 * written `2m`), in the workflow's terms; `rolloutPlanProblems` checks the result like any plan. A
 * duration that does not parse is passed on as NaN, which those checks refuse with its field.
 */
export function rolloutPlanOfDefinition(plan: RolloutDefinition['plan']): RolloutPlan {
  if (plan === undefined || typeof plan === 'string') return ROLLOUT_PRESETS[plan ?? 'standard']!;
  const ms = (text: string): number => parseDuration(text) ?? Number.NaN;
  const { steps, guardrails, promotion, autoPromote, decisionTimeout, defaultAction, pollInterval } = plan;
  return {
    ...(steps === undefined ? {} : { steps: steps.map(({ mode, percent, minSamples, minDuration }) => ({ mode, percent, minSamples, minDurationMs: ms(minDuration) })) }),
    ...(guardrails === undefined ? {} : { guardrails }),
    ...(promotion === undefined ? {} : { promotion }),
    ...(autoPromote === undefined ? {} : { autoPromote }),
    ...(decisionTimeout === undefined ? {} : { decisionTimeoutMs: ms(decisionTimeout) }),
    ...(defaultAction === undefined ? {} : { defaultAction }),
    ...(pollInterval === undefined ? {} : { pollIntervalMs: ms(pollInterval) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Phases

/**
 * - running: following the plan, step by step;
 * - awaiting-decision: the last step is complete without a clear winner; a person decides, or the default action at the timeout;
 * - manual: a person set the traffic; the plan holds (guardrails still roll back) until resume;
 * - paused: no automatic action at all until resume;
 * - promoted / rolled-back: ended.
 */
export type RolloutPhase = 'running' | 'awaiting-decision' | 'manual' | 'paused' | 'promoted' | 'rolled-back';

export const PHASE_TRANSITIONS: { readonly [From in RolloutPhase]: readonly RolloutPhase[] } = {
  running: ['running', 'awaiting-decision', 'manual', 'paused', 'promoted', 'rolled-back'],
  'awaiting-decision': ['manual', 'paused', 'promoted', 'rolled-back'],
  manual: ['running', 'manual', 'paused', 'promoted', 'rolled-back'],
  paused: ['running', 'awaiting-decision', 'manual', 'promoted', 'rolled-back'],
  promoted: [],
  'rolled-back': [],
};

export const isEnded = (phase: RolloutPhase): boolean => PHASE_TRANSITIONS[phase].length === 0;

/** Thrown by {@link assertPhaseTransition}: a bug in the workflow, never a person's mistake (validators refuse those first). */
export class RolloutTransitionError extends Error {
  override readonly name = 'RolloutTransitionError';
}

export function assertPhaseTransition(from: RolloutPhase, to: RolloutPhase): void {
  if (!PHASE_TRANSITIONS[from].includes(to)) {
    throw new RolloutTransitionError(`a rollout cannot go from ${from} to ${to}; allowed from ${from}: ${PHASE_TRANSITIONS[from].join(', ') || 'nothing (it has ended)'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Automatic decisions

/** What the rollout does after a poll. */
export type AutomaticAction =
  | { readonly kind: 'rollback'; readonly reason: string }
  | { readonly kind: 'promote'; readonly reason: string }
  | { readonly kind: 'next-step' }
  | { readonly kind: 'await-decision'; readonly reason: string }
  | { readonly kind: 'continue'; readonly reason: string };

const rate = (proportion: Proportion): string => (proportion.rate === null ? 'n/a' : proportion.rate.toFixed(4));
const test = (result: ZTestResult): string => `z=${result.z.toFixed(2)}, p=${result.pValue.toPrecision(2)}`;
const sample = (proportion: Proportion): { successes: number; trials: number } => ({ successes: proportion.successes, trials: proportion.trials });
const METRIC_NAMES: Readonly<Record<LiveMetric, string>> = { precision: 'precision', recall: 'recall', falsePositiveRate: 'false-positive rate', mae: 'MAE', rmse: 'RMSE' };

/** Whether the figures are a regression model's: errors, not rates. Figures read before regression rollouts are a classifier's. */
const isRegression = (metrics: LiveMetrics): boolean => metrics.task === 'regression';

const errorOf = (variant: VariantLiveMetrics, metric: ErrorMetric): ErrorEstimate | null => variant.errors?.[metric] ?? null;
const shownError = (estimate: ErrorEstimate | null): string => (estimate === null ? 'n/a' : estimate.value.toFixed(3));
const pairingOf = (comparison: ErrorComparison): string => (comparison.pairing === 'paired' ? `paired on ${comparison.samples} events` : `unpaired, at least ${comparison.samples} labelled each`);

/** The first of the regression guardrails the challenger breaches: its MAE or RMSE significantly worse than the champion's by more than the margin. */
function errorGuardrailBreach(metrics: LiveMetrics, guardrails: Required<RolloutGuardrails>): string | undefined {
  const comparison = metrics.errorComparison;
  if (comparison === undefined || comparison.samples < guardrails.minTrials) return undefined;
  const { champion, challenger } = metrics;
  for (const metric of ERROR_METRICS) {
    const margin = guardrails.maxWorse[metric];
    const difference = comparison[metric];
    if (margin === undefined || difference === null) continue;
    const worse = testDifferenceAbove(difference, margin);
    if (worse !== undefined && worse.pValue < guardrails.alpha) {
      return (
        `challenger v${challenger.version}'s ${METRIC_NAMES[metric]} ${shownError(errorOf(challenger, metric))} is worse than champion v${champion.version}'s ${shownError(errorOf(champion, metric))} ` +
        `by more than ${margin} (difference ${difference.difference.toFixed(3)} ± ${difference.standardError.toFixed(3)}, ${test(worse)} < α ${guardrails.alpha}; ${pairingOf(comparison)})`
      );
    }
  }
  return undefined;
}

/** The first guardrail the challenger breaches, as a sentence with the figures; undefined when none. */
export function guardrailBreach(metrics: LiveMetrics, guardrails: Required<RolloutGuardrails>): string | undefined {
  const { champion, challenger } = metrics;
  for (const metric of isRegression(metrics) ? [] : COMPARED_METRICS) {
    const margin = guardrails.maxWorse[metric];
    if (margin === undefined) continue;
    const ours = challenger.rates[metric];
    const theirs = champion.rates[metric];
    if (Math.min(ours.trials, theirs.trials) < guardrails.minTrials) continue;
    const worse = HIGHER_IS_BETTER[metric] ? testRateBelow(sample(ours), sample(theirs), margin) : testRateAbove(sample(ours), sample(theirs), margin);
    if (worse !== undefined && worse.pValue < guardrails.alpha) {
      return (
        `challenger v${challenger.version}'s ${METRIC_NAMES[metric]} ${rate(ours)} is worse than champion v${champion.version}'s ${rate(theirs)} ` +
        `by more than ${margin} (${test(worse)} < α ${guardrails.alpha}; ${ours.trials} vs ${theirs.trials} trials)`
      );
    }
  }
  const errorBreach = errorGuardrailBreach(metrics, guardrails);
  if (errorBreach !== undefined) return errorBreach;
  // In SHADOW the challenger decides nothing, so it has no latency of its own (null) and neither limit applies.
  const p99 = challenger.latencyMs?.p99;
  const enoughScores = (variant: LiveMetrics['champion']): boolean => variant.scored >= guardrails.minScoresForLatency;
  if (guardrails.maxLatencyP99Ms !== null && p99 !== undefined && enoughScores(challenger) && p99 > guardrails.maxLatencyP99Ms) {
    return `challenger v${challenger.version}'s p99 scoring latency ${p99.toFixed(1)} ms is above the limit ${guardrails.maxLatencyP99Ms} ms (${challenger.scored} scores)`;
  }
  const championP99 = champion.latencyMs?.p99;
  const margin = guardrails.maxLatencyP99OverChampionMs;
  if (margin !== null && p99 !== undefined && championP99 !== undefined && enoughScores(challenger) && enoughScores(champion)) {
    // Figures read before the intervals existed carry point estimates only; they are compared as such.
    const slowest = challenger.latencyMs?.p99Interval === undefined ? p99 : challenger.latencyMs.p99Interval.lower;
    const fastest = champion.latencyMs?.p99Interval === undefined ? championP99 : champion.latencyMs.p99Interval.upper;
    if (slowest !== null && fastest !== null && slowest - fastest > margin) {
      const bounds = slowest === p99 && fastest === championP99 ? '' : `; p99 at least ${slowest.toFixed(1)} vs at most ${fastest.toFixed(1)} ms at the metrics' confidence`;
      return (
        `challenger v${challenger.version}'s p99 scoring latency ${p99.toFixed(1)} ms is more than ${margin} ms above champion v${champion.version}'s ${championP99.toFixed(1)} ms ` +
        `on the same traffic (${challenger.scored} vs ${champion.scored} scores${bounds})`
      );
    }
  }
  const dlqRate = metrics.dlq.rate;
  if (guardrails.maxDlqRate !== null && dlqRate !== null && metrics.dlq.intake >= guardrails.minRecordsForDlqRate && dlqRate > guardrails.maxDlqRate) {
    return `the DLQ rate ${(dlqRate * 100).toFixed(2)}% (${metrics.dlq.records} records) is above the limit ${(guardrails.maxDlqRate * 100).toFixed(2)}%`;
  }
  return undefined;
}

/** The promotion metric that applies to the figures: the rule's when it is of the model's task, else the task's default (see {@link PromotionRule.metric}). */
export function promotionMetricFor(metrics: LiveMetrics, metric: LiveMetric): LiveMetric {
  if (isRegression(metrics)) return isErrorMetric(metric) ? metric : 'rmse';
  return isErrorMetric(metric) ? 'recall' : metric;
}

/** Whether the challenger is significantly better on the promotion metric, as a sentence; undefined when not (yet). */
export function significantlyBetter(metrics: LiveMetrics, promotion: Required<PromotionRule>, minTrials: number): string | undefined {
  const { alpha } = promotion;
  const metric = promotionMetricFor(metrics, promotion.metric);
  const { champion, challenger } = metrics;
  if (isErrorMetric(metric)) {
    const comparison = metrics.errorComparison;
    const difference = comparison?.[metric] ?? null;
    if (comparison === undefined || difference === null || comparison.samples < minTrials) return undefined;
    const better = testDifferenceBelow(difference);
    if (better === undefined || better.pValue >= alpha) return undefined;
    return `challenger v${challenger.version}'s ${METRIC_NAMES[metric]} ${shownError(errorOf(challenger, metric))} is significantly better than champion v${champion.version}'s ${shownError(errorOf(champion, metric))} (${test(better)} < α ${alpha}; ${pairingOf(comparison)})`;
  }
  const ours = challenger.rates[metric];
  const theirs = champion.rates[metric];
  if (Math.min(ours.trials, theirs.trials) < minTrials) return undefined;
  const better = HIGHER_IS_BETTER[metric] ? testRateAbove(sample(ours), sample(theirs)) : testRateBelow(sample(ours), sample(theirs));
  if (better === undefined || better.pValue >= alpha) return undefined;
  return `challenger v${challenger.version}'s ${METRIC_NAMES[metric]} ${rate(ours)} is significantly better than champion v${champion.version}'s ${rate(theirs)} (${test(better)} < α ${alpha})`;
}

/** A variant's labelled scores; figures read before the count was kept carry it in the classifier's rates. */
export const labelledOf = (variant: VariantLiveMetrics): number => variant.labelled ?? variant.rates.labelled;

/** Labelled scores of the variant with the fewest, which is what a step's minimum sample waits for. */
export const fewestLabelled = (metrics: LiveMetrics): number => Math.min(labelledOf(metrics.champion), labelledOf(metrics.challenger));

/**
 * The automatic decision for a step after a poll, in this order: a guardrail breach rolls back;
 * with the minimum sample and duration reached, a significantly better challenger is promoted
 * (when allowed on this step), and otherwise the step completes: on to the next step, or, after
 * the last, wait for a person. `phase` decides what applies: paused → nothing; manual and
 * awaiting-decision → guardrails only.
 */
export function automaticAction(input: {
  readonly plan: CompiledRolloutPlan;
  readonly phase: RolloutPhase;
  readonly stepIndex: number;
  readonly stepElapsedMs: number;
  readonly metrics: LiveMetrics;
}): AutomaticAction {
  const { plan, phase, stepIndex, stepElapsedMs, metrics } = input;
  if (phase === 'paused' || isEnded(phase)) return { kind: 'continue', reason: `${phase}: no automatic action` };
  const breach = guardrailBreach(metrics, plan.guardrails);
  if (breach !== undefined) return { kind: 'rollback', reason: `guardrail: ${breach}` };
  if (phase !== 'running') return { kind: 'continue', reason: `${phase}: guardrails hold` };

  const step = plan.steps[stepIndex]!;
  const last = stepIndex === plan.steps.length - 1;
  const labelled = fewestLabelled(metrics);
  if (labelled < step.minSamples) return { kind: 'continue', reason: `waiting for ${step.minSamples} labelled scores per variant (fewest so far: ${labelled})` };
  if (stepElapsedMs < step.minDurationMs) return { kind: 'continue', reason: `waiting for the step's minimum duration (${stepElapsedMs} of ${step.minDurationMs} ms)` };
  if (plan.autoPromote && (last || !plan.promotion.lastStepOnly)) {
    const better = significantlyBetter(metrics, plan.promotion, plan.guardrails.minTrials);
    if (better !== undefined) return { kind: 'promote', reason: `automatic promotion: ${better}` };
  }
  if (!last) return { kind: 'next-step' };
  return { kind: 'await-decision', reason: `the last step completed with ${labelled} labelled scores per variant and no significant difference on ${METRIC_NAMES[promotionMetricFor(metrics, plan.promotion.metric)]}` };
}

/** The routing of a step, as the deployments record takes it. */
export const stepRouting = (step: RolloutStep): { mode: RolloutStep['mode']; share: number } => ({ mode: step.mode, share: step.mode === 'SPLIT' ? step.percent / 100 : 0 });

/** One line per variant with the figures a decision was made on, for the registry's history and the memo. */
export function describeFigures(metrics: LiveMetrics | null): string {
  if (metrics === null) return 'no live metrics yet';
  const variant = (name: string, figures: LiveMetrics['champion']): string => {
    const interval = (proportion: Proportion): string => (proportion.rate === null ? 'n/a' : `${rate(proportion)} [${proportion.lower!.toFixed(4)}, ${proportion.upper!.toFixed(4)}]`);
    const error = (estimate: ErrorEstimate | null): string => (estimate === null ? 'n/a' : `${estimate.value.toFixed(3)} [${estimate.lower.toFixed(3)}, ${estimate.upper.toFixed(3)}]`);
    const latency = figures.latencyMs === null ? 'n/a' : `${figures.latencyMs.p99.toFixed(1)} ms`;
    const quality = isRegression(metrics)
      ? `MAE ${error(errorOf(figures, 'mae'))}, RMSE ${error(errorOf(figures, 'rmse'))}`
      : `precision ${interval(figures.rates.precision)}, recall ${interval(figures.rates.recall)}, FPR ${interval(figures.rates.falsePositiveRate)}`;
    return `${name} v${figures.version}: ${labelledOf(figures)} labelled of ${figures.scored}, ${quality}, p99 ${latency}`;
  };
  const psi = metrics.scorePsi === null ? 'n/a' : metrics.scorePsi.toFixed(4);
  const dlq = metrics.dlq.rate === null ? 'n/a' : `${(metrics.dlq.rate * 100).toFixed(2)}%`;
  return `${variant('champion', metrics.champion)}; ${variant('challenger', metrics.challenger)}; score PSI ${psi}; DLQ ${dlq}`;
}
