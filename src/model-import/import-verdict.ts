/**
 * The verdict on an imported model, the training pipeline's own: the gates are resolved as a run
 * resolves them (the task's defaults, then the definition's `gates`, then those the import gives,
 * `resolveRunGates`) and the evaluation is judged by `judgeCandidate`, so an imported version and a
 * trained one pass or fail on the same sentences. The stage follows as a training run sets it: the
 * first model through the gates becomes champion, one that beats the champion becomes challenger,
 * anything else is rejected.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { EvaluationSummary } from '../activities/training-activities.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { compileRolloutPlan } from '../workflows/ab-rollout-plan.js';
import type { QualityGates } from '../workflows/training-pipeline.js';
import { pipelineSettingsProblems, resolveRunGates, type RunGates } from '../workflows/training-pipeline-input.js';
import { gateFailures, judgeCandidate, type Verdict } from '../workflows/training-verdict.js';
import type { OperatingPointGateOptions } from '../training/operating-point-gate.js';
import { InvalidImportGatesError } from './errors.js';

/** What the import does with the model, and why. */
export interface ImportVerdict extends Verdict {
  /** Each gate missed, one sentence each, as the refusal lists them; empty when the model passed. */
  readonly failures: readonly string[];
  /** The gates applied, every default filled in. */
  readonly gates: RunGates;
}

/**
 * The gates of an import into pipeline `pipeline` of task `task`: the task's defaults, then the
 * definition's, then `given`. Throws {@link InvalidImportGatesError} with one line per bad gate.
 */
export function resolveImportGates(pipeline: string, task: ModelTask, definition: QualityGates | undefined, given: QualityGates | undefined): RunGates {
  const problems = given === undefined ? [] : pipelineSettingsProblems({ gates: given });
  if (problems.length > 0) throw new InvalidImportGatesError(pipeline, problems);
  try {
    return resolveRunGates(pipeline, task, definition, given);
  } catch (error) {
    // The run's check speaks of a run's input; its problems are the same for an import's gates.
    if (!(error instanceof ApplicationFailure)) throw error;
    throw new InvalidImportGatesError(pipeline, [error.message.replace(/^invalid training pipeline input: /, '')]);
  }
}

/**
 * How the candidate's operating point is compared with the champion's: the standard rollout plan's
 * guardrail margins and α with the gates' minimum of test positives, as a training run started
 * without a rollout plan compares it.
 */
export function importOperatingPointGate(gates: RunGates): OperatingPointGateOptions {
  const { maxWorse, alpha } = compileRolloutPlan({}).guardrails;
  return { maxWorse, alpha, ...(gates.minTestPositives === undefined ? {} : { minPositives: gates.minTestPositives }) };
}

/** Judges an imported model's evaluation by `gates` as a training run judges its candidate. */
export function judgeImport(evaluation: EvaluationSummary, gates: RunGates): ImportVerdict {
  const verdict = judgeCandidate(evaluation, gates, evaluation.operatingPoints);
  return { ...verdict, failures: gateFailures(evaluation, gates, evaluation.operatingPoints), gates };
}
