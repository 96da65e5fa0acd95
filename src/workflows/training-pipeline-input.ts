/**
 * Checks of a trainingPipeline input, run first thing in the workflow: an input pasted into the
 * Temporal UI or sent by a script with a typo fails the run at once, non-retryably, with one
 * line per problem, instead of after minutes of reading data or on an activity's tenth retry.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { InvalidOptionsError } from '../training/errors.js';
import { compileTrainingOptions } from '../training/training-options.js';
import { rolloutPlanProblems } from './ab-rollout-plan.js';
import type { QualityGates, TrainingPipelineInput } from './training-pipeline.js';

/** The failure type of an invalid input. */
export const INVALID_INPUT_FAILURE = 'InvalidTrainingPipelineInput';

const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const OFFSET = /^\d+$/;
const INPUT_FIELDS = ['model', 'data', 'training', 'splitFractions', 'minExamples', 'gates', 'rollout', 'triggeredBy'];

/** The gates a classifier's run applies where its definition and input leave one out. */
export const CLASSIFIER_DEFAULT_GATES = { minRocAuc: 0.7, minPrAuc: 0, primaryMetric: 'prAuc', minImprovement: 0.005, minTestPositives: 30 } as const satisfies QualityGates;

/** Per task: its own gates, the metrics it ranks by, and the defaults of a run whose definition and input leave them out. */
const TASK_GATES = {
  'binary-classification': {
    gates: ['minRocAuc', 'minPrAuc', 'minRecall', 'maxFalsePositiveRate', 'minTestPositives'],
    primaryMetrics: ['rocAuc', 'prAuc', 'brierScore'],
    defaults: CLASSIFIER_DEFAULT_GATES,
  },
  regression: {
    gates: ['maxMae', 'maxRmse', 'minR2'],
    primaryMetrics: ['mae', 'rmse', 'r2'],
    defaults: { minR2: 0, primaryMetric: 'rmse', minImprovement: 0.005 },
  },
} as const satisfies Record<ModelTask, { gates: readonly (keyof QualityGates)[]; primaryMetrics: readonly string[]; defaults: QualityGates }>;

const SHARED_GATES = ['primaryMetric', 'minImprovement'] as const;
const GATE_FIELDS: readonly string[] = [...TASK_GATES['binary-classification'].gates, ...TASK_GATES.regression.gates, ...SHARED_GATES];
const PRIMARY_METRICS: readonly string[] = [...TASK_GATES['binary-classification'].primaryMetrics, ...TASK_GATES.regression.primaryMetrics];
/** Gates that are rates or scores from 0 to 1. */
const UNIT_GATES = ['minRocAuc', 'minPrAuc', 'minRecall', 'maxFalsePositiveRate'] as const;
/** Gates in the label's units, or an improvement in any metric's: any number from 0. */
const NON_NEGATIVE_GATES = ['maxMae', 'maxRmse', 'minImprovement'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

/** The model name rule of the registry and of workflow ids, or undefined when `model` keeps it. */
export function modelNameProblem(model: unknown): string | undefined {
  if (typeof model === 'string' && MODEL_NAME.test(model)) return undefined;
  return `model=${shown(model)}: expected lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)`;
}

function dataProblems(data: unknown): string[] {
  if (!isRecord(data)) return [`data=${shown(data)}: expected {"kind":"up-to-now"} or {"kind":"ranges","ranges":[{"topic","partition","fromOffset","toOffset"}]}`];
  if (data.kind === 'up-to-now') return [];
  if (data.kind !== 'ranges') return [`data.kind=${shown(data.kind)}: expected "up-to-now" or "ranges"`];
  if (!Array.isArray(data.ranges) || data.ranges.length === 0) return [`data.ranges=${shown(data.ranges)}: expected a non-empty array of offset ranges`];
  return data.ranges.flatMap((range: unknown, index) => {
    const at = `data.ranges[${index}]`;
    if (!isRecord(range)) return [`${at}=${shown(range)}: expected {"topic","partition","fromOffset","toOffset"}`];
    const problems: string[] = [];
    if (typeof range.topic !== 'string' || range.topic === '') problems.push(`${at}.topic=${shown(range.topic)}: expected a topic name`);
    if (!(Number.isInteger(range.partition) && (range.partition as number) >= 0)) problems.push(`${at}.partition=${shown(range.partition)}: expected a whole number >= 0`);
    const offsets = [range.fromOffset, range.toOffset];
    offsets.forEach((offset, which) => {
      if (typeof offset !== 'string' || !OFFSET.test(offset)) problems.push(`${at}.${which === 0 ? 'fromOffset' : 'toOffset'}=${shown(offset)}: expected an offset as a string of digits, e.g. "0"`);
    });
    if (offsets.every((offset) => typeof offset === 'string' && OFFSET.test(offset)) && BigInt(range.fromOffset as string) > BigInt(range.toOffset as string)) {
      problems.push(`${at}: fromOffset ${String(range.fromOffset)} is after toOffset ${String(range.toOffset)}`);
    }
    return problems;
  });
}

function gateProblems(gates: unknown): string[] {
  if (gates === undefined) return [];
  if (!isRecord(gates)) return [`gates=${shown(gates)}: expected an object with ${GATE_FIELDS.join(', ')}`];
  const problems = Object.keys(gates).filter((key) => !GATE_FIELDS.includes(key)).map((key) => `gates.${key}: unknown field (expected one of ${GATE_FIELDS.join(', ')})`);
  for (const key of UNIT_GATES) {
    const value = gates[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1)) problems.push(`gates.${key}=${shown(value)}: expected a number from 0 to 1`);
  }
  for (const key of NON_NEGATIVE_GATES) {
    const value = gates[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) problems.push(`gates.${key}=${shown(value)}: expected a number >= 0`);
  }
  if (gates.minR2 !== undefined && !(typeof gates.minR2 === 'number' && Number.isFinite(gates.minR2) && gates.minR2 <= 1)) {
    problems.push(`gates.minR2=${shown(gates.minR2)}: expected a number at most 1`);
  }
  if (gates.minTestPositives !== undefined && !(Number.isInteger(gates.minTestPositives) && (gates.minTestPositives as number) >= 1)) {
    problems.push(`gates.minTestPositives=${shown(gates.minTestPositives)}: expected a whole number >= 1`);
  }
  if (gates.primaryMetric !== undefined && !PRIMARY_METRICS.includes(gates.primaryMetric as string)) {
    problems.push(`gates.primaryMetric=${shown(gates.primaryMetric)}: expected one of ${PRIMARY_METRICS.join(', ')}`);
  }
  return problems;
}

function rolloutProblems(rollout: unknown): string[] {
  if (rollout === undefined) return [];
  if (!isRecord(rollout)) return [`rollout=${shown(rollout)}: expected {"plan": {...}} for the rollout a challenger starts`];
  const unknown = Object.keys(rollout).filter((key) => key !== 'plan').map((key) => `rollout.${key}: unknown field (expected plan)`);
  return [...unknown, ...(rollout.plan === undefined ? [] : rolloutPlanProblems(rollout.plan).map((problem) => `rollout.plan.${problem}`))];
}

function trainingProblems(training: unknown): string[] {
  if (training === undefined) return [];
  if (!isRecord(training)) return [`training=${shown(training)}: expected an object of training options`];
  try {
    compileTrainingOptions(training);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidOptionsError)) throw error;
    return error.issues.map((issue) => `training.${issue.option}=${shown(issue.value)}: expected ${issue.expected}`);
  }
}

/**
 * Every problem of the parts of a pipeline input a trigger or schedule passes through (all but
 * model, data and triggeredBy, which they fill in themselves).
 */
export function pipelineSettingsProblems(settings: Readonly<Record<string, unknown>>): string[] {
  const problems = [...trainingProblems(settings.training), ...gateProblems(settings.gates)];
  problems.push(...rolloutProblems(settings.rollout));
  if (settings.minExamples !== undefined && !(Number.isInteger(settings.minExamples) && (settings.minExamples as number) >= 1)) {
    problems.push(`minExamples=${shown(settings.minExamples)}: expected a whole number >= 1`);
  }
  const split = settings.splitFractions;
  // The split itself refuses these only once the data is read; a trigger derives its minimum of positive examples from `test` at start.
  const fractions = isRecord(split) ? ['train', 'validation', 'test'].map((key) => split[key]) : [];
  const wellFormed = fractions.length === 3 && fractions.every((value) => typeof value === 'number' && value > 0 && value < 1);
  if (split !== undefined && !(wellFormed && Math.abs((fractions as number[]).reduce((sum, value) => sum + value, 0) - 1) <= 1e-9)) {
    problems.push(`splitFractions=${shown(split)}: expected {"train","validation","test"}, each above 0 and below 1, adding up to 1`);
  }
  return problems;
}

/** A run's gates with its task's defaults filled in: what the verdict applies. */
export type RunGates = QualityGates & Required<Pick<QualityGates, 'primaryMetric' | 'minImprovement'>>;

/**
 * The gates of a run of a `task` model: the task's defaults, then the applied definition's
 * `gates`, then the run's own input over them. Throws a non-retryable `InvalidTrainingPipelineInput`
 * failure when the input sets a gate or primary metric of the other task, which the definition's
 * validation refuses in a file but a run's input can still carry.
 */
export function resolveRunGates(model: string, task: ModelTask, definition: QualityGates | undefined, input: QualityGates | undefined): RunGates {
  const own = TASK_GATES[task];
  const given = (input ?? {}) as Readonly<Record<string, unknown>>;
  const problems = Object.keys(given)
    .filter((key) => given[key] !== undefined && !(own.gates as readonly string[]).includes(key) && !(SHARED_GATES as readonly string[]).includes(key))
    .map((key) => `gates.${key} is not a gate of pipeline ${model}, whose model.task is ${task} (its gates: ${[...own.gates, ...SHARED_GATES].join(', ')})`);
  if (input?.primaryMetric !== undefined && !(own.primaryMetrics as readonly string[]).includes(input.primaryMetric)) {
    problems.push(`gates.primaryMetric "${input.primaryMetric}" is not a ${task} metric; use one of ${own.primaryMetrics.join(', ')}`);
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid training pipeline input: ${problems.join('; ')}`, INVALID_INPUT_FAILURE);
  return { ...own.defaults, ...definition, ...input };
}

/** Throws a non-retryable `InvalidTrainingPipelineInput` failure naming every problem of `input`. */
export function checkTrainingPipelineInput(input: unknown): asserts input is TrainingPipelineInput {
  if (!isRecord(input)) {
    throw ApplicationFailure.nonRetryable(`invalid training pipeline input: expected one object, e.g. {"model":"churn","data":{"kind":"up-to-now"},"triggeredBy":"person:alice"}; got ${shown(input)}`, INVALID_INPUT_FAILURE);
  }
  const problems = [
    ...Object.keys(input).filter((key) => !INPUT_FIELDS.includes(key)).map((key) => `${key}: unknown field (expected one of ${INPUT_FIELDS.join(', ')})`),
    ...[modelNameProblem(input.model)].filter((problem): problem is string => problem !== undefined),
    ...dataProblems(input.data),
    ...(typeof input.triggeredBy === 'string' && input.triggeredBy.trim() !== '' ? [] : [`triggeredBy=${shown(input.triggeredBy)}: expected who starts the run, e.g. "person:alice"`]),
    ...pipelineSettingsProblems(input),
  ];
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid training pipeline input: ${problems.join('; ')}`, INVALID_INPUT_FAILURE);
}
