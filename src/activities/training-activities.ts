/**
 * The training pipeline's data and model steps: check the dataset, train (heartbeating a
 * resumable checkpoint every epoch), and evaluate the candidate against the champion on the
 * same test split. Each step reads the pinned offset ranges itself — they always hold the same
 * examples — so only offsets, paths and metrics cross workflow history. What the model reads
 * (its inputs, the label field) and how it is trained (architecture, training options, decision
 * policy, split, minimum examples) come from the pipeline's applied definition in the pipeline
 * store, under the options the run was started with; the vectoriser is fitted on the train split
 * and travels with the candidate. The evaluation also exports the candidate to ONNX and checks the
 * export on the test split (`model.serveAs`, src/models/onnx-export.ts), leaving the verdict beside
 * the candidate for registration.
 */
import { Context, log } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { GatesDefinition, ModelTask } from '../pipelines/pipeline-definition.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { PartitionRange, UndecodableRecord } from '../streaming/offset-range-reader.js';
import type { SplitBoundaries, SplitFractions, SplitName } from '../training/dataset-split.js';
import type { SplitCounts } from '../training/errors.js';
import { evaluateCandidate, type EvaluationOptions, type ModelComparison, type ModelMetrics, type ScorableModel } from '../training/evaluation.js';
import type { OperatingPointComparison } from '../training/operating-point-gate.js';
import { loadDataset, type ExampleSource, type LoadedDataset } from '../training/example-source.js';
import { openModelArtifact } from '../models/model-artifact-loader.js';
import { exportCheckedOnnx, type OnnxExportVerdict } from '../models/onnx-export.js';
import { openOnnxModel } from '../models/onnx-model.js';
import type { RuntimeModel } from '../models/runtime-model.js';
import { labelledMatrixOf } from '../training/feature-matrix.js';
import { decodeCandidateModel, encodeCandidateModel } from '../training/candidate-model-file.js';
import { pinnedTrainingInputs, pipelineTrainingInputs } from '../training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../training/training-data.js';
import { trainModel, type TrainingCheckpoint } from '../training/training-loop.js';
import type { TrainingOptions } from '../training/training-options.js';
import { lineageOfSettings } from '../training/training-settings.js';
import { reportingFailures } from './application-failure.js';
import type { CandidateArtifacts } from './candidate-artifacts.js';

/** Which examples a step works on. */
export interface DatasetRequest {
  /** The pipeline, and its model: what it reads and how it is trained come from a revision of its definition. */
  readonly model: string;
  readonly ranges: readonly PartitionRange[];
  /**
   * The revision to read; the first step of a run reads the current one and reports its number
   * (`DatasetSummary.pipelineRevision`), the later steps pin it. @default the current revision
   */
  readonly pipelineRevision?: number;
  /** Fewer decodable examples fail the step with a non-retryable `InsufficientExamplesError`. @default the definition's `model.training.minExamples` */
  readonly minExamples?: number;
  /** @default the definition's `model.split` */
  readonly splitFractions?: SplitFractions;
}

/** What the dataset holds, for the lineage and the run's memo. */
export interface DatasetSummary {
  /** The pipeline revision the step read; absent in results of workers older than the definition's model settings. */
  readonly pipelineRevision?: number;
  /** The revision's `model.task`; absent in results of workers older than regression models (all classifiers). */
  readonly task?: ModelTask;
  /** The revision's `gates` as written; absent when it has none, and in results of workers older than gates from the definition. */
  readonly gates?: GatesDefinition;
  readonly examples: number;
  readonly counts: Readonly<Record<SplitName, SplitCounts>>;
  readonly boundaries: SplitBoundaries;
  /** The newest writer schema id among the examples (all of them are decoded into the current reader schema). */
  readonly featureSchemaId: number;
  readonly featureJobVersions: readonly string[];
  readonly undecodable: number;
  /** The first undecodable records, with their offsets, for a person to look at. */
  readonly undecodableSample: readonly UndecodableRecord[];
}

export interface TrainRequest extends DatasetRequest {
  /** Names the candidate file: the workflow id and run id of the training run. */
  readonly runKey: string;
  /** The run's own options, over the definition's architecture and `model.training`. */
  readonly options: TrainingOptions;
}

/** A trained candidate on the worker's disk and how it was trained. */
export interface TrainedCandidate {
  readonly artifactPath: string;
  readonly backend: string;
  /** Layout version of the vectoriser the candidate was trained with. */
  readonly featureVectorVersion: number;
  /**
   * The compiled options, every default filled in, the class weights, and the rest of the
   * settings with where they came from: `pipelineRevision`, `decision`, `splitFractions`,
   * `minExamples`, and `overridden` (the settings the run's options set instead of the definition).
   */
  readonly hyperParameters: Readonly<Record<string, unknown>>;
  readonly completedEpochs: number;
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  /** 0 for a fresh run; the epochs a retried attempt took over from the last heartbeat. */
  readonly resumedFromEpoch: number;
}

export interface EvaluateRequest extends DatasetRequest {
  readonly artifactPath: string;
  /** `operatingPoint`, when given, overrides the definition's `model.decision`; `task` is the definition's, whatever is given. */
  readonly evaluation: EvaluationOptions;
}

/** The candidate and the champion (when there is one) on the same test split; the metrics of the run's task. */
export interface EvaluationSummary {
  readonly candidate: ModelMetrics;
  readonly champion: { readonly version: number; readonly metrics: ModelMetrics } | undefined;
  readonly comparison: ModelComparison;
  /** Classifiers: each at its own threshold (the champion at the one it serves with); absent without a champion, for regression, and in results of workers older than the gate. */
  readonly operatingPoints?: OperatingPointComparison;
  /** Whether registration serves the candidate's ONNX export, and why in one line; absent in results of workers older than the export. */
  readonly onnxExport?: { readonly accepted: boolean; readonly note: string };
}

export interface TrainingActivityDependencies {
  readonly examples: ExampleSource;
  readonly registry: Pick<ModelRegistry, 'resolveAlias' | 'loadArtifact'>;
  readonly artifacts: CandidateArtifacts;
  /** Where the pipelines' applied definitions are read. */
  readonly pipelines: Pick<PipelineStore, 'current' | 'revision'>;
  /** Bound on one read of the ranges. @default 600_000 */
  readonly readTimeoutMs?: number;
}

const UNDECODABLE_SAMPLE_SIZE = 10;

/** Creates the activities; the worker passes Kafka, the registry and a local artifact directory, tests fakes. */
export function createTrainingActivities({ examples, registry, artifacts, pipelines, readTimeoutMs = 600_000 }: TrainingActivityDependencies) {
  /**
   * Reads the pipeline's revision and the dataset, heartbeating `details` while it reads so a
   * retried attempt keeps them; with `fit`, also fits the vectoriser and vectorises.
   */
  const load = async (request: DatasetRequest, options: { training?: TrainingOptions; evaluation?: EvaluationOptions; details?: unknown } = {}) => {
    const context = Context.current();
    const overrides = {
      ...(options.training === undefined ? {} : { training: options.training }),
      ...(request.splitFractions === undefined ? {} : { splitFractions: request.splitFractions }),
      ...(request.minExamples === undefined ? {} : { minExamples: request.minExamples }),
      ...(options.evaluation?.operatingPoint === undefined ? {} : { decision: options.evaluation.operatingPoint }),
    };
    const inputs =
      request.pipelineRevision === undefined
        ? await pipelineTrainingInputs(pipelines, request.model, overrides)
        : await pinnedTrainingInputs(pipelines, request.model, request.pipelineRevision, overrides);
    const { settings } = inputs;
    const loaded: LoadedDataset = await loadDataset(examples, request.ranges, {
      fields: inputs.examples,
      minExamples: settings.minExamples,
      fractions: settings.splitFractions,
      read: { timeoutMs: readTimeoutMs, signal: context.cancellationSignal, onProgress: () => context.heartbeat(options.details) },
    });
    return { ...loaded, inputs };
  };

  return {
    /**
     * Reads the ranges and checks they make a usable dataset: refuses too few examples, a
     * one-class split, or inputs the vectoriser cannot fit or read (non-retryable), before
     * training spends any time.
     */
    buildDataset: reportingFailures(async (request: DatasetRequest): Promise<DatasetSummary> => {
      const { set, split, inputs } = await load(request);
      prepareTrainingData(split, inputs.vectoriser);
      return {
        pipelineRevision: inputs.revision,
        task: inputs.settings.task,
        ...(inputs.gates === undefined ? {} : { gates: inputs.gates }),
        examples: set.examples.length,
        counts: split.counts,
        boundaries: split.boundaries,
        featureSchemaId: set.schemaIds[set.schemaIds.length - 1] ?? 0,
        featureJobVersions: set.featureJobVersions,
        undecodable: set.undecodable.length,
        undecodableSample: set.undecodable.slice(0, UNDECODABLE_SAMPLE_SIZE),
      };
    }),

    /**
     * Trains a candidate and writes it to the artifact directory. Heartbeats the checkpoint after
     * every epoch; a retried attempt resumes from the last one it finds in `heartbeatDetails`.
     */
    trainCandidate: reportingFailures(async (request: TrainRequest): Promise<TrainedCandidate> => {
      const context = Context.current();
      const resumeFrom = context.info.heartbeatDetails as TrainingCheckpoint | undefined;
      const { split, inputs } = await load(request, { training: request.options, details: resumeFrom });
      // Fitting is deterministic on the pinned ranges: a resumed attempt fits the same spec again.
      const prepared = prepareTrainingData(split, inputs.vectoriser);
      const result = await trainModel({ ...prepared, task: inputs.settings.task }, inputs.settings.training, {
        ...(resumeFrom === undefined ? {} : { resumeFrom }),
        onEpochEnd: async (report) => {
          context.heartbeat(await report.checkpoint());
          if (context.cancellationSignal.aborted) throw new CancelledFailure(`training was cancelled after epoch ${report.epoch}`);
        },
      });
      try {
        const artifactPath = await artifacts.write(request.runKey, await encodeCandidateModel({ model: result.model, spec: prepared.spec, identity: inputs.identity, task: result.task }));
        return {
          artifactPath,
          backend: result.backend,
          featureVectorVersion: prepared.spec.layoutVersion,
          hyperParameters: lineageOfSettings(inputs.settings, result),
          completedEpochs: result.completedEpochs,
          bestEpoch: result.bestEpoch,
          stoppedEarly: result.stoppedEarly,
          resumedFromEpoch: resumeFrom?.completedEpochs ?? 0,
        };
      } finally {
        result.model.dispose();
      }
    }),

    /** Scores the candidate and the current champion on the same test split and compares them. */
    evaluateCandidate: reportingFailures(async (request: EvaluateRequest): Promise<EvaluationSummary> => {
      const { split, inputs } = await load(request, { evaluation: request.evaluation });
      // A candidate from a trainer outside Tributary is an ONNX model (docs/python-trainer.md).
      const candidate = await decodeCandidateModel(await artifacts.read(request.artifactPath), openOnnxModel);
      let champion: (ScorableModel<RuntimeModel> & { readonly version: number }) | undefined;
      try {
        const championVersion = await registry.resolveAlias(request.model, 'champion');
        if (championVersion !== undefined) {
          // The champion may be of any runtime: an imported ONNX version is compared like a trained one.
          const loaded = await openModelArtifact(await registry.loadArtifact(request.model, championVersion.version), {
            sha256: championVersion.artifact.sha256,
            model: request.model,
            version: championVersion.version,
          });
          // The artifact's threshold is the one the scorer applies: the champion is measured at it.
          champion = { ...loaded, version: championVersion.version };
        }
        const { task, decision } = inputs.settings;
        const result = await evaluateCandidate(split.test, candidate, champion, { ...request.evaluation, task, ...(task === 'regression' ? {} : { operatingPoint: decision }) });
        // Only a network Tributary trained is exported; a trainer that returns ONNX has nothing to export.
        const network = candidate.runtime === 'tfjs' ? candidate.model : undefined;
        let verdict: OnnxExportVerdict | undefined;
        if (network !== undefined) {
          verdict =
            inputs.serveAs === 'tfjs'
              ? { accepted: false, note: "kept tfjs: the pipeline's model.serveAs is tfjs" }
              : await exportCheckedOnnx(network, labelledMatrixOf(candidate.vectoriser, split.test, 'test').features, task, `the ONNX export of ${request.model}`);
          await artifacts.writeOnnxExport(request.artifactPath, verdict);
          (verdict.accepted || inputs.serveAs === 'tfjs' ? log.info : log.warn)(`ONNX export of ${request.model}'s candidate: ${verdict.note}`);
        }
        return {
          candidate: result.candidate,
          champion: champion === undefined || result.champion === undefined ? undefined : { version: champion.version, metrics: result.champion },
          comparison: result.comparison,
          ...(result.operatingPoints === undefined ? {} : { operatingPoints: result.operatingPoints }),
          ...(verdict === undefined ? {} : { onnxExport: { accepted: verdict.accepted, note: verdict.note } }),
        };
      } finally {
        candidate.model.dispose();
        champion?.model.dispose();
      }
    }),
  };
}

/** The activities as the workflows see them (import this type only). */
export type TrainingActivities = ReturnType<typeof createTrainingActivities>;
