/**
 * Fakes of every activity the workflows call, with switches that shape what they return or make
 * them fail, and records of how they were called. State is per model, so tests sharing one
 * worker do not see each other.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure } from '../../src/activities/application-failure.js';
import type { ExampleActivities, ExampleCount } from '../../src/activities/example-activities.js';
import { EXTERNAL_MODEL_REFUSED, type ExternalTrainerActivities } from '../../src/activities/external-trainer-activities.js';
import { EXTERNAL_TRAINER_CONTRACT_VERSION } from '../../src/training/external-trainer.js';
import type { RegistryActivities, StageRequest } from '../../src/activities/registry-activities.js';
import type { EvaluationSummary, TrainingActivities } from '../../src/activities/training-activities.js';
import type { EvaluationOptions } from '../../src/training/evaluation.js';
import type { OffsetRange } from '../../src/registry/model-registry.js';
import type { PartitionEndOffset } from '../../src/streaming/offset-range-reader.js';
import { DEFAULT_SPLIT_FRACTIONS, type SplitFractions } from '../../src/training/dataset-split.js';
import { InsufficientExamplesError } from '../../src/training/example-source.js';
import type { GatesDefinition, PythonTrainerDefinition } from '../../src/pipelines/pipeline-definition.js';
import type { ClassifierMetrics, ModelComparison, RegressionMetrics } from '../../src/training/evaluation.js';
import { compareOperatingPoints } from '../../src/training/operating-point-gate.js';

/** The training-examples topic as the fakes show it: partition → end offset, and how many of the offsets are positive. */
export interface FakeTopic {
  endOffsets: number[];
  /** Positive labels among the offsets of any range: this share of them, rounded down. */
  positiveShare: number;
  /** Log start offset per partition (retention has removed what is before it); 0 when left out. */
  startOffsets?: number[];
  /** Positives in the test split of a range counted with split fractions; the test fraction's share of its positives, rounded down, when left out. */
  testPositives?: number;
  /** The split the pipeline's definition asks for, as counts report it; the default split when left out. */
  definitionSplit?: SplitFractions;
}

/** What the fakes do for one model. */
export interface FakeModelSwitches {
  /** PR-AUC of the next candidates, in order; ROC-AUC is PR-AUC + 0.2. */
  candidatePrAucs: number[];
  /** False positives of the next candidates at their threshold (of 270 legitimate test examples), in order; 10 when the list runs out. */
  candidateFalsePositives?: number[];
  /** Examples buildDataset finds; below `minExamples` it refuses. */
  datasetExamples: number;
  /** Epoch after which the first attempt of trainCandidate fails (a crashed worker). */
  crashAfterEpoch?: number;
  /** Epochs trainCandidate runs. */
  epochs: number;
  /** Resolves when trainCandidate may finish; lets a test keep a training run open. */
  trainingGate?: Promise<void>;
  /** Resolves when countTrainingExamples may answer; lets a test signal while a poll is in flight. */
  countGate?: Promise<void>;
  /** Makes the model a regression: its definition's gates, and the test-split figures of the next candidates, in order. */
  regression?: { definitionGates?: GatesDefinition; candidates: Omit<RegressionMetrics, 'task' | 'examples'>[] };
  /** The definition's `model.trainer: { kind: python }`, and why acceptExternalModel refuses what the trainer returned (accepted when left out). */
  external?: { trainer: PythonTrainerDefinition; refusal?: string };
}

/** What the fakes saw for one model. */
export interface FakeModelRecord {
  buildDatasetCalls: number;
  /** Per attempt of trainCandidate: the attempt number and the first epoch it ran. */
  trainAttempts: { attempt: number; firstEpoch: number }[];
  countCalls: OffsetRange[][];
  versions: { version: number; stage: string; prAuc: number; reason?: string; mae?: number }[];
  /** The pipelines whose own training-examples topic a snapshot was asked of. */
  snapshotModels: string[];
  /** The threshold each registration carried, in order; undefined for a regression's. */
  registeredThresholds: (number | undefined)[];
  champion: number | undefined;
  /** Per call of a training activity: which one, and the minimum and pipeline revision it was asked for. */
  trainingRequests: { step: 'buildDataset' | 'trainCandidate' | 'evaluateCandidate'; minExamples: number | undefined; pipelineRevision: number | undefined }[];
}

/** The revision the fakes report reading, and the minimum its definition states. */
export const FAKE_PIPELINE_REVISION = 4;
const DEFINITION_MIN_EXAMPLES = 1000;

export const TOPIC = 'tributary.training-examples';

/** 300 test examples, 30 of them fraud; at its threshold a model catches 24 and flags `falsePositives` of the 270 others. */
const metricsOf = (prAuc: number, falsePositives = 10): ClassifierMetrics => ({
  examples: 300,
  positives: 30,
  rocAuc: prAuc + 0.2,
  prAuc,
  brierScore: 0.1,
  operatingPoint: {
    threshold: 0.5,
    confusion: { truePositives: 24, falsePositives, trueNegatives: 270 - falsePositives, falseNegatives: 6 },
    precision: 24 / (24 + falsePositives),
    recall: 0.8,
    f1: 0.75,
    falsePositiveRate: falsePositives / 270,
  },
});

/** Fakes plus their switches and records; `topic` is shared (one training-examples topic), models are not. */
export function createFakeActivities() {
  const topic: FakeTopic = { endOffsets: [0, 0], positiveShare: 0.1 };
  const switches = new Map<string, FakeModelSwitches>();
  const records = new Map<string, FakeModelRecord>();
  const switchesOf = (model: string): FakeModelSwitches => {
    let found = switches.get(model);
    if (found === undefined) switches.set(model, (found = { candidatePrAucs: [0.6], datasetExamples: 5000, epochs: 3 }));
    return found;
  };
  const recordOf = (model: string): FakeModelRecord => {
    let found = records.get(model);
    if (found === undefined) records.set(model, (found = { buildDatasetCalls: 0, trainAttempts: [], countCalls: [], versions: [], snapshotModels: [], registeredThresholds: [], champion: undefined, trainingRequests: [] }));
    return found;
  };
  /** The fakes for the trigger know the model only through the workflow id. */
  const modelOfRun = (): string => (Context.current().info.workflowExecution?.workflowId ?? '').replace(/^(threshold-trigger|training):/, '').replace(/:\d+$/, '');

  const exampleActivities: ExampleActivities = {
    snapshotTrainingExampleOffsets: async (model?: string): Promise<PartitionEndOffset[]> => {
      if (model !== undefined) recordOf(model).snapshotModels.push(model);
      return topic.endOffsets.map((end, partition) => ({ topic: TOPIC, partition, startOffset: String(topic.startOffsets?.[partition] ?? 0), endOffset: String(end) }));
    },
    countTrainingExamples: async (ranges, split): Promise<ExampleCount> => {
      const model = modelOfRun();
      recordOf(model).countCalls.push([...ranges]);
      await switchesOf(model).countGate;
      const examples = ranges.reduce((sum, range) => sum + Number(range.toOffset) - Number(range.fromOffset), 0);
      // As the real count: a regression's labels are values, none of them a positive.
      const task = switchesOf(model).regression === undefined ? ('binary-classification' as const) : ('regression' as const);
      const positives = task === 'regression' ? 0 : Math.floor(examples * topic.positiveShare);
      const definitionSplit = topic.definitionSplit ?? DEFAULT_SPLIT_FRACTIONS;
      if (split === undefined) return { examples, positives, undecodable: 0, definitionSplit, task };
      const testSplit = { examples: Math.floor(examples * split.test), positives: topic.testPositives ?? Math.floor(positives * split.test) };
      return { examples, positives, undecodable: 0, testSplit, definitionSplit, task };
    },
  };

  const externalTrainerActivities: ExternalTrainerActivities = {
    trainerOf: async ({ model }) => switchesOf(model).external?.trainer ?? { kind: 'built-in' },
    prepareExternalTraining: async (request) => ({
      identity: { eventId: 'event_id', entityKey: 'entity', eventTime: 'event_time' },
      request: {
        contractVersion: EXTERNAL_TRAINER_CONTRACT_VERSION,
        pipeline: request.model,
        pipelineRevision: request.pipelineRevision,
        runKey: request.runKey,
        task: switchesOf(request.model).regression === undefined ? 'binary-classification' : 'regression',
        ranges: request.ranges,
        fields: { eventId: 'event_id', eventTime: 'event_time', label: 'label' },
        split: { fractions: DEFAULT_SPLIT_FRACTIONS, boundaries: { start: 0, validationStart: 70, testStart: 85, end: 100 }, counts: { train: 3500, validation: 750, test: 750 } },
        vectoriser: { layoutVersion: 1, inputs: [], columns: [] },
        options: switchesOf(request.model).external?.trainer.options ?? {},
        artifactDirectory: '/tmp/fake',
      },
    }),
    acceptExternalModel: async ({ model, runKey, result }) => {
      const refusal = switchesOf(model).external?.refusal;
      if (refusal !== undefined) throw ApplicationFailure.nonRetryable(`${result.artifact.path}: ${refusal}`, EXTERNAL_MODEL_REFUSED);
      return `/tmp/fake/${runKey}/candidate.json`;
    },
  };

  const trainingActivities: TrainingActivities = {
    buildDataset: async (request) => {
      const model = modelOfRun();
      recordOf(model).buildDatasetCalls += 1;
      recordOf(model).trainingRequests.push({ step: 'buildDataset', minExamples: request.minExamples, pipelineRevision: request.pipelineRevision });
      const { datasetExamples: examples, regression } = switchesOf(model);
      const minExamples = request.minExamples ?? DEFINITION_MIN_EXAMPLES;
      if (examples < minExamples) throw toApplicationFailure(new InsufficientExamplesError(examples, minExamples, 0));
      return {
        pipelineRevision: FAKE_PIPELINE_REVISION,
        ...(regression === undefined ? {} : { task: 'regression' as const, ...(regression.definitionGates === undefined ? {} : { gates: regression.definitionGates }) }),
        examples,
        counts: { train: { examples: 3500, positives: 350 }, validation: { examples: 750, positives: 75 }, test: { examples: 750, positives: 75 } },
        boundaries: { start: 1_000, validationStart: 2_000, testStart: 3_000, end: 4_000 },
        featureSchemaId: 7,
        featureJobVersions: ['v1'],
        undecodable: 0,
        undecodableSample: [],
      };
    },
    trainCandidate: async (request) => {
      const context = Context.current();
      const model = modelOfRun();
      const { epochs, crashAfterEpoch, trainingGate } = switchesOf(model);
      const resumed = (context.info.heartbeatDetails as { completedEpochs: number } | undefined)?.completedEpochs ?? 0;
      recordOf(model).trainAttempts.push({ attempt: context.info.attempt, firstEpoch: resumed + 1 });
      recordOf(model).trainingRequests.push({ step: 'trainCandidate', minExamples: request.minExamples, pipelineRevision: request.pipelineRevision });
      for (let epoch = resumed + 1; epoch <= epochs; epoch += 1) {
        context.heartbeat({ completedEpochs: epoch });
        if (context.info.attempt === 1 && epoch === crashAfterEpoch) throw ApplicationFailure.retryable(`worker lost after epoch ${epoch}`, 'SimulatedCrash');
      }
      await trainingGate;
      return {
        artifactPath: `/tmp/fake/${request.runKey}/candidate.json`,
        backend: 'cpu',
        featureVectorVersion: 1,
        hyperParameters: { maxEpochs: epochs, seed: 42 },
        completedEpochs: epochs,
        bestEpoch: epochs,
        stoppedEarly: false,
        resumedFromEpoch: resumed,
      };
    },
    evaluateCandidate: async (request): Promise<EvaluationSummary> => {
      const model = request.model;
      recordOf(model).trainingRequests.push({ step: 'evaluateCandidate', minExamples: request.minExamples, pipelineRevision: request.pipelineRevision });
      if (switchesOf(model).regression !== undefined) return regressionEvaluation(model, request.evaluation);
      const prAuc = switchesOf(model).candidatePrAucs.shift() ?? 0.5;
      const candidate = metricsOf(prAuc, switchesOf(model).candidateFalsePositives?.shift());
      const record = recordOf(model);
      const champion = record.versions.find((version) => version.version === record.champion);
      const minimumImprovement = request.evaluation.minimumImprovement ?? 0.005;
      const improvement = champion === undefined ? undefined : prAuc - champion.prAuc;
      // The champion serves at the operating point it had: 24 of 30 fraud, 10 of 270 legitimate.
      const servingPoint = metricsOf(0).operatingPoint;
      return {
        candidate,
        champion: champion === undefined ? undefined : { version: champion.version, metrics: { ...metricsOf(champion.prAuc), servingPoint } },
        ...(champion === undefined ? {} : { operatingPoints: compareOperatingPoints({ targetRecall: 0.8 }, candidate.operatingPoint, servingPoint, request.evaluation.operatingPointGate) }),
        comparison: {
          primaryMetric: 'prAuc',
          candidate: prAuc,
          champion: champion?.prAuc,
          improvement,
          minimumImprovement,
          candidateBetter: improvement === undefined || improvement >= minimumImprovement,
        },
      };
    },
  };

  /** 200 test examples; the gain on an error metric is the champion's value minus the candidate's, as evaluateCandidate computes it. */
  const regressionEvaluation = (model: string, evaluation: EvaluationOptions): EvaluationSummary => {
    const record = recordOf(model);
    const next = switchesOf(model).regression!.candidates.shift() ?? { mae: 10, rmse: 12, r2: 0 };
    const candidate: RegressionMetrics = { task: 'regression', examples: 200, ...next };
    const championVersion = record.versions.find((version) => version.version === record.champion);
    const champion: RegressionMetrics | undefined = championVersion === undefined ? undefined : { task: 'regression', examples: 200, mae: championVersion.mae!, rmse: championVersion.mae! * 1.25, r2: 0.5 };
    const primaryMetric = evaluation.primaryMetric === 'rmse' || evaluation.primaryMetric === 'r2' ? evaluation.primaryMetric : 'mae';
    const minimumImprovement = evaluation.minimumImprovement ?? 0.005;
    const improvement = champion === undefined ? undefined : primaryMetric === 'r2' ? candidate.r2 - champion.r2 : champion[primaryMetric] - candidate[primaryMetric];
    const comparison: ModelComparison = {
      primaryMetric,
      candidate: candidate[primaryMetric],
      champion: champion?.[primaryMetric],
      improvement,
      minimumImprovement,
      candidateBetter: improvement === undefined || improvement >= minimumImprovement,
    };
    return { candidate, champion: champion === undefined ? undefined : { version: championVersion!.version, metrics: champion }, comparison };
  };

  const registryActivities: RegistryActivities = {
    registerCandidate: async (request) => {
      const record = recordOf(request.model);
      const version = record.versions.length + 1;
      record.versions.push({
        version,
        stage: 'candidate',
        prAuc: request.metrics.prAuc ?? 0,
        ...(request.metrics.mae === undefined ? {} : { mae: request.metrics.mae }),
      });
      record.registeredThresholds.push(request.threshold);
      return { version, stage: 'candidate', codeVersion: 'test' };
    },
    promoteToChampion: async ({ model, version, author }) => {
      const record = recordOf(model);
      Object.assign(record.versions[version - 1]!, { stage: 'champion', reason: author.reason });
      record.champion = version;
    },
    setVersionStage: async ({ model, version, stage, author }: StageRequest) => {
      Object.assign(recordOf(model).versions[version - 1]!, { stage, reason: author.reason });
    },
  };

  return { activities: { ...exampleActivities, ...trainingActivities, ...externalTrainerActivities, ...registryActivities }, topic, switchesOf, recordOf };
}
