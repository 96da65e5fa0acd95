/**
 * The settings of one training run: what the pipeline's applied definition says about its model
 * (`model.architecture`, `model.training`, `model.decision`, `model.split`), with the options
 * the run was started with laid over them (`tributary train --max-epochs`, a trigger's pipeline
 * settings). A definition that leaves a setting out gets the same default as the code always had.
 * The run's lineage records the values used, the revision they came from and which of them the
 * run's own options set.
 */
import type { DecisionPolicy, ModelDefinition, ModelTask } from '../pipelines/pipeline-definition.js';
import { DEFAULT_SPLIT_FRACTIONS, type SplitFractions } from './dataset-split.js';
import type { ThresholdTarget } from './metrics.js';
import type { LabelScale } from './training-loop.js';
import { compileTrainingOptions, type CompiledTrainingOptions, type TrainingOptions } from './training-options.js';

/** Fewer examples refuse a run when neither the definition nor the run says otherwise. */
export const DEFAULT_MIN_EXAMPLES = 1000;

/** A classifier's decision policy when the definition has none. */
export const DEFAULT_DECISION: ThresholdTarget = { targetRecall: 0.8 };

/** What a run's input sets for itself, over the definition; every field may be left out. */
export interface TrainingOverrides {
  /** @default {} (the definition's architecture and training options) */
  readonly training?: TrainingOptions;
  /** @default the definition's `model.split` */
  readonly splitFractions?: SplitFractions;
  /** @default the definition's `model.training.minExamples` */
  readonly minExamples?: number;
  /** @default the definition's `model.decision` */
  readonly decision?: ThresholdTarget;
}

/** The settings a run uses, every default filled in. */
export interface TrainingSettings {
  /** The pipeline revision the definition's values were read from. */
  readonly pipelineRevision: number;
  /** The definition's `model.task`. */
  readonly task: ModelTask;
  readonly training: CompiledTrainingOptions;
  readonly splitFractions: SplitFractions;
  readonly minExamples: number;
  /** Where a classifier's threshold is set on the test split; a regression has none. */
  readonly decision: ThresholdTarget;
  /** The settings the run's own options set instead of the definition, e.g. `training.maxEpochs`, sorted. */
  readonly overridden: readonly string[];
}

/**
 * The definition's decision policy as the threshold search reads it: `targetRecall` as is,
 * `maxFalsePositiveRate` as the false-positive-rate target.
 */
export function thresholdTargetOf(policy: DecisionPolicy | undefined): ThresholdTarget {
  if (policy === undefined) return DEFAULT_DECISION;
  return 'targetRecall' in policy ? { targetRecall: policy.targetRecall } : { targetFalsePositiveRate: policy.maxFalsePositiveRate };
}

/** The definition's architecture and training options in the training loop's terms. */
function definitionTrainingOptions(model: ModelDefinition): TrainingOptions {
  // minExamples bounds the dataset, not the loop: the settings carry it on its own.
  const training: Record<string, unknown> = { ...model.training };
  delete training.minExamples;
  const { hiddenUnits, dropout } = model.architecture ?? {};
  return {
    ...(hiddenUnits === undefined ? {} : { hiddenUnits }),
    ...(dropout === undefined ? {} : { dropout }),
    ...training,
  };
}

/**
 * The settings of a run on revision `pipelineRevision` of a pipeline whose model is `model`.
 * Throws the training layer's `InvalidOptionsError` when the merged training options are not
 * valid (the definition's are checked at apply, the run's at its start, so only a definition
 * applied before a check existed gets here).
 */
export function resolveTrainingSettings(model: ModelDefinition, pipelineRevision: number, overrides: TrainingOverrides = {}): TrainingSettings {
  const runTraining = Object.fromEntries(Object.entries(overrides.training ?? {}).filter(([, value]) => value !== undefined));
  const overridden = [
    ...Object.keys(runTraining).map((option) => `training.${option}`),
    ...(['splitFractions', 'minExamples', 'decision'] as const).filter((setting) => overrides[setting] !== undefined),
  ].sort();
  return {
    pipelineRevision,
    task: model.task,
    training: compileTrainingOptions({ ...definitionTrainingOptions(model), ...runTraining }),
    splitFractions: overrides.splitFractions ?? model.split ?? DEFAULT_SPLIT_FRACTIONS,
    minExamples: overrides.minExamples ?? model.training?.minExamples ?? DEFAULT_MIN_EXAMPLES,
    decision: overrides.decision ?? thresholdTargetOf(model.decision),
    overridden,
  };
}

/** What training found in the data: a classifier's class weights, a regression's label scale. */
export interface FittedToData {
  readonly classWeights?: { readonly negative: number; readonly positive: number };
  readonly labelScale?: LabelScale;
}

/**
 * The settings as the lineage's flat record of how a model was trained. A regression's record has
 * its label scale and neither class weights nor a decision policy, which it does not use.
 */
export function lineageOfSettings(settings: TrainingSettings, { classWeights, labelScale }: FittedToData): Readonly<Record<string, unknown>> {
  const { pipelineRevision, task, training, splitFractions, minExamples, decision, overridden } = settings;
  if (task === 'regression') {
    const regressionTraining: Record<string, unknown> = { ...training };
    delete regressionTraining.classWeight;
    return { ...regressionTraining, task, labelScale, pipelineRevision, splitFractions, minExamples, overridden };
  }
  return { ...training, classWeights, pipelineRevision, decision, splitFractions, minExamples, overridden };
}
