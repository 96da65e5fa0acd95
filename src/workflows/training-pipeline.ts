/**
 * trainingPipeline: trains one candidate on pinned offset ranges of the training-examples topic,
 * evaluates it against the current champion on the same test split, registers it with metrics
 * and full lineage, and decides: first model through the gates → champion; better than the
 * champion, and (a classifier) not worse at the operating point → challenger (the rollout takes
 * it from there); otherwise → rejected, with the reason. The gates are those of the model's task,
 * from the pipeline's applied definition with the run's input over them.
 *
 * History carries offsets, paths and metrics only: every step re-reads the pinned ranges, and
 * the trained model crosses from training to registration as a file on the worker's disk.
 */
import { ActivityFailure, ApplicationFailure, log, ParentClosePolicy, patched, proxyActivities, startChild, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ExampleActivities } from '../activities/example-activities.js';
import type { ExternalTrainerActivities } from '../activities/external-trainer-activities.js';
import type { RegistryActivities } from '../activities/registry-activities.js';
import type { DatasetSummary, TrainedCandidate, TrainingActivities } from '../activities/training-activities.js';
import type { ModelStage, OffsetRange } from '../registry/model-registry.js';
import type { SplitFractions } from '../training/dataset-split.js';
import type { PrimaryMetric } from '../training/evaluation.js';
import type { OperatingPointGateOptions } from '../training/operating-point-gate.js';
import { EXTERNAL_TRAIN_ACTIVITY, type ExternalTrainRequest, type ExternalTrainResult } from '../training/external-trainer.js';
import type { PythonTrainerDefinition } from '../pipelines/pipeline-definition.js';
import type { TrainingOptions } from '../training/training-options.js';
import { DEFAULT_MIN_EXAMPLES } from '../training/training-settings.js';
import { abRollout, rolloutWorkflowId } from './ab-rollout.js';
import { compileRolloutPlan, type RolloutPlan } from './ab-rollout-plan.js';
import { TributaryModelName, TributaryModelVersion, TributaryStage } from '../temporal/search-attributes.js';
import { trainingTaskQueue } from './task-queues.js';
import { CLASSIFIER_DEFAULT_GATES, checkTrainingPipelineInput, resolveRunGates, type RunGates } from './training-pipeline-input.js';
import { championMemo, judgeCandidate, registryMetricsOf } from './training-verdict.js';

/** Which examples to train on. */
export type TrainingData =
  /** Exactly these ranges (a trigger's snapshot, or a rerun of an earlier version's lineage). */
  | { readonly kind: 'ranges'; readonly ranges: readonly OffsetRange[] }
  /** Everything retained up to the moment the run starts: the run snapshots the end offsets first. */
  | { readonly kind: 'up-to-now' };

/**
 * What a candidate must reach to be promoted or staged, on the test split; every field may be
 * left out. Each gate belongs to one task (a run refuses the other task's); the defaults are the
 * task's, under the pipeline definition's `gates`.
 */
export interface QualityGates {
  /** Classifiers: minimum ROC-AUC. @default 0.7 */
  readonly minRocAuc?: number;
  /** Classifiers: minimum PR-AUC (average precision). @default 0 */
  readonly minPrAuc?: number;
  /** Classifiers: minimum recall at the candidate's decision threshold. @default none */
  readonly minRecall?: number;
  /** Classifiers: maximum false-positive rate at the candidate's decision threshold. @default none */
  readonly maxFalsePositiveRate?: number;
  /** Regression: maximum mean absolute error, in the label's units. @default none */
  readonly maxMae?: number;
  /** Regression: maximum root mean squared error, in the label's units. @default none */
  readonly maxRmse?: number;
  /** Regression: minimum R². @default 0 (no worse than predicting the mean) */
  readonly minR2?: number;
  /** The metric, of the task's, the candidate must beat the champion on. @default 'prAuc' for classifiers, 'rmse' for regression */
  readonly primaryMetric?: PrimaryMetric;
  /** Smallest gain over the champion on the primary metric (a drop, for an error metric; in the label's units for MAE and RMSE). @default 0.005 */
  readonly minImprovement?: number;
  /**
   * Classifiers: positive examples the test split needs for the candidate's threshold to count
   * against a champion's: with fewer, the candidate is refused and the message says how many are
   * needed. The operating-point comparison itself uses the rollout plan's guardrail margins and
   * α, so it applies the test the rollout applies live. @default 30
   */
  readonly minTestPositives?: number;
}

/**
 * A run's input. The model's settings come from the pipeline's applied definition (the revision
 * the run's first step reads); `training`, `splitFractions` and `minExamples` given here override
 * it for this run, and the lineage records which did.
 */
export interface TrainingPipelineInput {
  readonly model: string;
  readonly data: TrainingData;
  /** Options over the definition's `model.architecture` and `model.training`. @default {} (the definition's) */
  readonly training?: TrainingOptions;
  /** @default the definition's `model.split` */
  readonly splitFractions?: SplitFractions;
  /** Fewer decodable examples refuse the run (non-retryable). @default the definition's `model.training.minExamples` */
  readonly minExamples?: number;
  readonly gates?: QualityGates;
  /** The rollout a challenger starts. @default { plan: {} } (the standard plan) */
  readonly rollout?: { readonly plan?: RolloutPlan };
  /** Who or what started the run: `workflow:<id>`, `schedule:<id>`, or a person. */
  readonly triggeredBy: string;
}

/** How a run ended. */
export interface TrainingPipelineResult {
  readonly model: string;
  readonly version: number;
  readonly stage: Extract<ModelStage, 'champion' | 'challenger' | 'rejected'>;
  readonly reason: string;
  /** `rollout` when the version is a challenger for the A/B rollout to take over. */
  readonly nextStep: 'rollout' | 'none';
  readonly offsetRanges: readonly OffsetRange[];
  readonly metrics: Readonly<Record<string, number>>;
  /** The champion the candidate was compared with; null without one (JSON has no undefined). */
  readonly championVersion: number | null;
  /** The rollout a challenger started (`rollout:<model>`), or why none started; absent for other stages and runs before the rollout existed. */
  readonly rollout?: { readonly workflowId: string; readonly started: boolean; readonly note: string };
}

/** The gates a classifier's run applies where its definition and input leave one out; the threshold trigger derives its minimum of positives from `minTestPositives`. */
export const DEFAULT_GATES = CLASSIFIER_DEFAULT_GATES;

const { snapshotTrainingExampleOffsets } = proxyActivities<ExampleActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/**
 * The training activities, on `taskQueue` (the workflow's own when undefined). Reading a dataset
 * takes minutes for a large range and heartbeats while it reads; training is long and heartbeats
 * every epoch with a checkpoint that the next attempt resumes from.
 */
function trainingActivities(taskQueue: string | undefined): Pick<TrainingActivities, 'buildDataset' | 'trainCandidate' | 'evaluateCandidate'> {
  const queue = taskQueue === undefined ? {} : { taskQueue };
  const { buildDataset, evaluateCandidate } = proxyActivities<TrainingActivities>({
    ...queue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3 },
  });
  const { trainCandidate } = proxyActivities<TrainingActivities>({
    ...queue,
    startToCloseTimeout: '4h',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
  });
  return { buildDataset, evaluateCandidate, trainCandidate };
}

/**
 * Before this patch the training activities ran on the workflow's own task queue; runs started
 * before it keep scheduling them there. Remove the old branch with `deprecatePatch` once no such
 * run is open.
 */
const TRAINING_TASK_QUEUE_PATCH = 'training-task-queue';

/**
 * Before this patch a challenger waited for someone to start its rollout; runs started before it
 * replay without starting one. Remove the old branch with `deprecatePatch` once no such run is open.
 */
const START_ROLLOUT_PATCH = 'start-rollout';

/**
 * Before this patch a run passed minExamples 1000 when its input had none, and each step read the
 * pipeline's current revision; after it, a minimum left out is the definition's, and the steps
 * after the dataset pin the revision the dataset step read. Remove the old branch with
 * `deprecatePatch` once no such run is open.
 */
const DEFINITION_SETTINGS_PATCH = 'definition-model-settings';

/**
 * Before this patch a candidate that beat the champion on the primary metric became challenger
 * whatever it did at its threshold; runs started before it replay with that verdict. Remove the
 * old branch with `deprecatePatch` once no such run is open.
 */
const OPERATING_POINT_GATE_PATCH = 'operating-point-gate';

/**
 * Before this patch a run applied the classifier defaults under its input's gates and judged every
 * candidate as a classifier; after it, the gates are the model task's defaults, then the applied
 * revision's `gates` (which the dataset step reports with the task), then the input's, and a
 * regression candidate is judged by its errors. Remove the old branch with `deprecatePatch` once
 * no such run is open.
 */
const DEFINITION_GATES_PATCH = 'definition-gates';

/**
 * Before this patch a run on everything retained snapshotted the catalogue's training-examples
 * topic whatever its pipeline; after it, the pipeline's own (its definition's
 * `topics.trainingExamples`). Remove the old branch with `deprecatePatch` once no such run is open.
 */
const PIPELINE_EXAMPLES_TOPIC_PATCH = 'pipeline-examples-topic';

/**
 * Before this patch every run trained with Tributary's own network; after it, a run whose pinned
 * revision names `model.trainer: { kind: python }` asks a trainer on that task queue for an ONNX
 * model instead (docs/python-trainer.md). Remove the old branch with `deprecatePatch` once no run
 * started before it is open.
 */
const EXTERNAL_TRAINER_PATCH = 'external-trainer';

/**
 * Before this patch `gates.minTestPositives` applied only through the operating-point comparison
 * with a champion, so a pipeline's first classifier became champion on a test split with fewer
 * positive examples than the gate asks; after it, a candidate without a champion is held to it
 * too. Runs started before it replay with their verdict. Remove the old branch with
 * `deprecatePatch` once no such run is open.
 */
const OPERATING_POINT_GATE_FIRST_MODEL_PATCH = 'operating-point-gate-first-model';

/** The failure type of a run whose external trainer failed or returned a model Tributary refused. */
export const EXTERNAL_TRAINER_FAILURE = 'ExternalTrainerFailed';

/** The external trainer's steps that run on Tributary's training workers: reading the dataset, fitting the vectoriser, checking the returned file. */
function externalTrainerSteps(taskQueue: string | undefined): ExternalTrainerActivities {
  return proxyActivities<ExternalTrainerActivities>({
    ...(taskQueue === undefined ? {} : { taskQueue }),
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3 },
  });
}

/** The messages of a failure and its causes, outermost first: an activity's failure says little, its cause what went wrong. */
function failureMessage(error: unknown): string {
  const messages: string[] = [];
  for (let at: unknown = error; at instanceof Error && messages.length < 4; at = at.cause) {
    if (!(at instanceof ActivityFailure)) messages.push(at.message);
  }
  return messages.join(': ') || String(error);
}

/**
 * Trains with the pipeline's external trainer: the request is made on a training worker, the
 * trainer runs on its own task queue within the definition's timeouts, and its ONNX file is
 * checked and made the run's candidate. A trainer that fails, times out or returns a file that
 * does not load fails the run (non-retryable, its message in the history) before anything is
 * registered, so the champion is untouched.
 */
async function trainExternally(
  trainer: PythonTrainerDefinition,
  steps: ExternalTrainerActivities,
  request: Parameters<ExternalTrainerActivities['prepareExternalTraining']>[0],
): Promise<TrainedCandidate> {
  const { model, runKey } = request;
  const { request: trainRequest, identity } = await steps.prepareExternalTraining(request);
  const { [EXTERNAL_TRAIN_ACTIVITY]: train } = proxyActivities<Record<typeof EXTERNAL_TRAIN_ACTIVITY, (request: ExternalTrainRequest) => Promise<ExternalTrainResult>>>({
    taskQueue: trainer.taskQueue,
    startToCloseTimeout: trainer.timeout,
    heartbeatTimeout: trainer.heartbeatTimeout ?? '1m',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: trainer.attempts ?? 1 },
  });
  const failed = (what: string, error: unknown): ApplicationFailure => {
    setStage('failed');
    const message = `${what}: ${failureMessage(error)}; the champion is unchanged`;
    log.warn(message);
    upsertMemo({ verdict: message });
    return ApplicationFailure.nonRetryable(message, EXTERNAL_TRAINER_FAILURE);
  };
  let result: ExternalTrainResult;
  try {
    result = await train(trainRequest);
  } catch (error) {
    throw failed(`the ${trainer.kind} trainer of ${model} on task queue ${trainer.taskQueue} failed`, error);
  }
  upsertMemo({ training: { trainer: trainer.kind, taskQueue: trainer.taskQueue, backend: result.backend, figures: result.figures } });
  let artifactPath: string;
  try {
    artifactPath = await steps.acceptExternalModel({ model, runKey, task: trainRequest.task, vectoriser: trainRequest.vectoriser, identity, result });
  } catch (error) {
    throw failed(`the model the ${trainer.kind} trainer of ${model} returned was refused`, error);
  }
  return {
    artifactPath,
    backend: result.backend,
    featureVectorVersion: trainRequest.vectoriser.layoutVersion,
    hyperParameters: { trainer: trainer.kind, taskQueue: trainer.taskQueue, pipelineRevision: trainRequest.pipelineRevision, splitFractions: trainRequest.split.fractions, ...result.hyperParameters },
    completedEpochs: 0,
    bestEpoch: 0,
    stoppedEarly: false,
    resumedFromEpoch: 0,
  };
}

const { registerCandidate, promoteToChampion, setVersionStage } = proxyActivities<RegistryActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

function setStage(stage: string): void {
  upsertSearchAttributes([{ key: TributaryStage, value: stage }]);
}

/** Trains, evaluates, registers and stages one model version; see the module comment. */
export async function trainingPipeline(input: TrainingPipelineInput): Promise<TrainingPipelineResult> {
  checkTrainingPipelineInput(input);
  const { model, triggeredBy } = input;
  const info = workflowInfo();
  const trainingQueue = patched(TRAINING_TASK_QUEUE_PATCH) ? trainingTaskQueue(info.taskQueue) : undefined;
  const { buildDataset, evaluateCandidate, trainCandidate } = trainingActivities(trainingQueue);
  const runKey = `${info.workflowId}/${info.runId}`;
  const author = { by: `workflow:${info.workflowId}`, reason: `training run ${runKey} started by ${triggeredBy}` };
  upsertSearchAttributes([
    { key: TributaryModelName, value: model },
    { key: TributaryStage, value: 'snapshot' },
  ]);

  const settingsFromDefinition = patched(DEFINITION_SETTINGS_PATCH);
  const ranges =
    input.data.kind === 'ranges'
      ? input.data.ranges
      : toRanges(await (patched(PIPELINE_EXAMPLES_TOPIC_PATCH) ? snapshotTrainingExampleOffsets(model) : snapshotTrainingExampleOffsets()));
  const minExamples = settingsFromDefinition ? input.minExamples : (input.minExamples ?? DEFAULT_MIN_EXAMPLES);
  const datasetRequest = { model, ranges, minExamples, splitFractions: input.splitFractions };
  upsertMemo({ offsetRanges: ranges, triggeredBy });

  setStage('dataset');
  let dataset: DatasetSummary;
  try {
    dataset = await buildDataset(datasetRequest);
  } catch (error) {
    setStage('refused');
    throw error;
  }
  let gates: RunGates;
  if (patched(DEFINITION_GATES_PATCH)) {
    try {
      gates = resolveRunGates(model, dataset.task ?? 'binary-classification', dataset.gates, input.gates);
    } catch (error) {
      setStage('refused');
      throw error;
    }
  } else {
    gates = { ...DEFAULT_GATES, ...input.gates };
  }
  const pinned = settingsFromDefinition && dataset.pipelineRevision !== undefined;
  const request = pinned ? { ...datasetRequest, pipelineRevision: dataset.pipelineRevision } : datasetRequest;
  upsertMemo({
    dataset: { examples: dataset.examples, counts: dataset.counts, undecodable: dataset.undecodable, ...(pinned ? { pipelineRevision: dataset.pipelineRevision } : {}) },
  });

  setStage('training');
  const externalSteps = externalTrainerSteps(trainingQueue);
  const trainer = pinned && patched(EXTERNAL_TRAINER_PATCH) ? await externalSteps.trainerOf({ model, pipelineRevision: dataset.pipelineRevision! }) : undefined;
  let trained: TrainedCandidate;
  if (trainer?.kind === 'python') {
    trained = await trainExternally(trainer, externalSteps, { ...request, pipelineRevision: dataset.pipelineRevision!, runKey });
  } else {
    trained = await trainCandidate({ ...request, runKey, options: input.training ?? {} });
    upsertMemo({ training: { epochs: trained.completedEpochs, bestEpoch: trained.bestEpoch, resumedFromEpoch: trained.resumedFromEpoch, backend: trained.backend } });
  }

  setStage('evaluating');
  const evaluation = await evaluateCandidate({
    ...request,
    artifactPath: trained.artifactPath,
    evaluation: {
      primaryMetric: gates.primaryMetric,
      minimumImprovement: gates.minImprovement,
      // A regression has no threshold, so no operating point to compare.
      ...(dataset.task === 'regression' ? {} : { operatingPointGate: operatingPointGate(input, gates) }),
    },
  });
  const metrics = registryMetricsOf(evaluation);
  const { candidate } = evaluation;

  const registered = await registerCandidate({
    model,
    artifactPath: trained.artifactPath,
    metrics,
    ...(candidate.task === 'regression' ? {} : { threshold: candidate.operatingPoint.threshold }),
    runKey,
    author,
    lineage: {
      offsetRanges: ranges,
      featureSchemaId: dataset.featureSchemaId,
      featureJobVersions: dataset.featureJobVersions,
      featureVectorVersion: trained.featureVectorVersion,
      hyperParameters: trained.hyperParameters,
      backend: trained.backend,
      splitBoundaries: { ...dataset.boundaries },
      trainedBy: triggeredBy,
    },
  });
  upsertSearchAttributes([{ key: TributaryModelVersion, value: String(registered.version) }]);
  upsertMemo({ version: registered.version, metrics, champion: championMemo(evaluation.champion) });

  const verdict = judgeCandidate(evaluation, gates, patched(OPERATING_POINT_GATE_PATCH) ? evaluation.operatingPoints : undefined, {
    testPositivesWithoutChampion: patched(OPERATING_POINT_GATE_FIRST_MODEL_PATCH),
  });
  const decision = { by: author.by, reason: verdict.reason };
  if (verdict.stage === 'champion') await promoteToChampion({ model, version: registered.version, author: decision });
  else await setVersionStage({ model, version: registered.version, stage: verdict.stage, author: decision });
  setStage(verdict.stage);
  upsertMemo({ verdict: `v${registered.version} ${verdict.stage === 'rejected' ? 'refused' : verdict.stage}: ${verdict.reason}` });
  const rollout =
    verdict.stage === 'challenger' && evaluation.champion !== undefined && patched(START_ROLLOUT_PATCH)
      ? await startRollout(input, registered.version, evaluation.champion.version, decision)
      : undefined;

  return {
    model,
    version: registered.version,
    stage: verdict.stage,
    reason: verdict.reason,
    nextStep: verdict.stage === 'challenger' ? 'rollout' : 'none',
    offsetRanges: ranges,
    metrics,
    championVersion: evaluation.champion?.version ?? null,
    ...(rollout === undefined ? {} : { rollout }),
  };
}

/** The rollout plan's guardrail margins and α, so the offline comparison is the test the rollout will apply live. */
function operatingPointGate(input: TrainingPipelineInput, gates: RunGates): OperatingPointGateOptions {
  const { maxWorse, alpha } = compileRolloutPlan(input.rollout?.plan ?? {}).guardrails;
  return { maxWorse, alpha, ...(gates.minTestPositives === undefined ? {} : { minPositives: gates.minTestPositives }) };
}


/**
 * Starts the challenger's rollout as an abandoned child: it outlives this run by hours or days. A
 * rollout of the model already running is left alone (one per model); the result says so.
 */
async function startRollout(input: TrainingPipelineInput, challengerVersion: number, championVersion: number, author: { by: string; reason: string }): Promise<NonNullable<TrainingPipelineResult['rollout']>> {
  const workflowId = rolloutWorkflowId(input.model);
  try {
    await startChild(abRollout, {
      workflowId,
      args: [{ model: input.model, challengerVersion, championVersion, plan: input.rollout?.plan ?? {}, requestedBy: author.by, reason: author.reason }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: TributaryModelName, value: input.model },
        { key: TributaryModelVersion, value: String(challengerVersion) },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const note = `v${challengerVersion} stays challenger without a rollout: ${workflowId} is already running; end it, then start one with \`tributary rollout start ${input.model} --challenger ${challengerVersion}\``;
    log.warn(note);
    upsertMemo({ rollout: note });
    return { workflowId, started: false, note };
  }
  upsertMemo({ rollout: workflowId });
  return { workflowId, started: true, note: `started ${workflowId}` };
}

/** Every partition from its log start to its last stable offset; refuses a topic with nothing in it. */
function toRanges(snapshot: readonly { topic: string; partition: number; startOffset: string; endOffset: string }[]): OffsetRange[] {
  const ranges = snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset }));
  if (ranges.every((range) => range.fromOffset === range.toOffset)) {
    throw ApplicationFailure.nonRetryable('the training-examples topic holds no records yet; nothing to train on', 'InsufficientExamplesError');
  }
  return ranges;
}
