/**
 * The training run's side of a trainer outside Tributary (docs/python-trainer.md): which trainer
 * the pinned revision names, the request the trainer gets (the split and the vectoriser fitted on
 * the train split, exactly as Tributary's own training fits them), and the acceptance of what it
 * returns: the file must be where it says, have the SHA-256 it says, load in ONNX Runtime and read
 * the spec's columns with one score per row (or a probability pair), or the run fails with why.
 * An accepted model becomes a candidate file, which evaluation and registration read like a
 * trained network's.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { reasonOf } from '../errors/tributary-error.js';
import { openOnnxModel } from '../models/onnx-model.js';
import { OnnxModelRefusedError } from '../models/errors.js';
import type { TrainerDefinition } from '../pipelines/pipeline-definition.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import type { RecordIdentity } from '../registry/model-artifact.js';
import { loadDataset, type ExampleSource } from '../training/example-source.js';
import { EXTERNAL_TRAINER_CONTRACT_VERSION, type ExternalTrainRequest, type ExternalTrainResult } from '../training/external-trainer.js';
import { pinnedTrainingInputs } from '../training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../training/training-data.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import { encodeOnnxCandidateModel } from '../training/candidate-model-file.js';
import { reportingFailures } from './application-failure.js';
import type { CandidateArtifacts } from './candidate-artifacts.js';
import type { DatasetRequest } from './training-activities.js';

/** The failure type of a model the trainer returned that Tributary cannot use. */
export const EXTERNAL_MODEL_REFUSED = 'ExternalModelRefused';

/** The revision whose trainer is asked for. */
export interface TrainerRequest {
  readonly model: string;
  readonly pipelineRevision: number;
}

/** What the trainer is sent, besides the dataset: the run that names its folder. */
export interface PrepareExternalRequest extends DatasetRequest {
  readonly pipelineRevision: number;
  readonly runKey: string;
}

/** A trainer's result to accept, with what the request told it. */
export interface AcceptExternalRequest {
  readonly model: string;
  readonly runKey: string;
  readonly task: ModelTask;
  readonly vectoriser: VectoriserSpec;
  readonly identity: RecordIdentity;
  readonly result: ExternalTrainResult;
}

/** The request for the trainer, and the features record's identity fields the artifact records. */
export interface PreparedExternalTraining {
  readonly request: ExternalTrainRequest;
  readonly identity: RecordIdentity;
}

export interface ExternalTrainerActivityDependencies {
  readonly examples: ExampleSource;
  readonly pipelines: Pick<PipelineStore, 'revision'>;
  readonly artifacts: CandidateArtifacts;
  /** The directory the trainer writes into, shared with it: this worker reads the ONNX file from there. */
  readonly artifactDirectory: string;
  /** Bound on one read of the ranges. @default 600_000 */
  readonly readTimeoutMs?: number;
}

const BUILT_IN: TrainerDefinition = { kind: 'built-in' };

/** Creates the activities; the worker passes Kafka and the shared directory, tests fakes. */
export function createExternalTrainerActivities({ examples, pipelines, artifacts, artifactDirectory, readTimeoutMs = 600_000 }: ExternalTrainerActivityDependencies) {
  const refuse = (message: string): ApplicationFailure => ApplicationFailure.nonRetryable(message, EXTERNAL_MODEL_REFUSED);
  return {
    /** The trainer of revision `pipelineRevision`: its `model.trainer`, built-in when it names none. */
    trainerOf: reportingFailures(async ({ model, pipelineRevision }: TrainerRequest): Promise<TrainerDefinition> => {
      const revision = await pipelines.revision(model, pipelineRevision);
      return revision?.definition.model.trainer ?? BUILT_IN;
    }),

    /** Reads the pinned ranges, splits them and fits the vectoriser on the train split, as training does, and words the trainer's request. */
    prepareExternalTraining: reportingFailures(async (request: PrepareExternalRequest): Promise<PreparedExternalTraining> => {
      const context = Context.current();
      const overrides = {
        ...(request.splitFractions === undefined ? {} : { splitFractions: request.splitFractions }),
        ...(request.minExamples === undefined ? {} : { minExamples: request.minExamples }),
      };
      const inputs = await pinnedTrainingInputs(pipelines, request.model, request.pipelineRevision, overrides);
      const { settings } = inputs;
      const { split } = await loadDataset(examples, request.ranges, {
        fields: inputs.examples,
        minExamples: settings.minExamples,
        fractions: settings.splitFractions,
        read: { timeoutMs: readTimeoutMs, signal: context.cancellationSignal, onProgress: () => context.heartbeat() },
      });
      const { spec } = prepareTrainingData(split, inputs.vectoriser);
      const revision = await pipelines.revision(request.model, request.pipelineRevision);
      const trainer = revision?.definition.model.trainer;
      return {
        identity: inputs.identity,
        request: {
          contractVersion: EXTERNAL_TRAINER_CONTRACT_VERSION,
          pipeline: request.model,
          pipelineRevision: request.pipelineRevision,
          runKey: request.runKey,
          task: settings.task,
          ranges: request.ranges,
          fields: { eventId: inputs.examples.eventId, eventTime: inputs.examples.eventTime, label: inputs.examples.label },
          split: {
            fractions: settings.splitFractions,
            boundaries: split.boundaries,
            counts: { train: split.counts.train.examples, validation: split.counts.validation.examples, test: split.counts.test.examples },
          },
          vectoriser: spec,
          options: trainer?.kind === 'python' ? (trainer.options ?? {}) : {},
          artifactDirectory,
        },
      };
    }),

    /**
     * Checks the trainer's ONNX file and writes it as the run's candidate; returns the candidate's
     * path. Fails non-retryably (`ExternalModelRefused`) when the file is missing, its SHA-256 is
     * not the one returned, or ONNX Runtime cannot load it or it does not fit the spec and task.
     */
    acceptExternalModel: reportingFailures(async ({ model, runKey, task, vectoriser, identity, result }: AcceptExternalRequest): Promise<string> => {
      const { artifact } = result;
      if (artifact?.format !== 'onnx' || typeof artifact.path !== 'string') {
        throw refuse(`the trainer of ${model} returned no ONNX artifact (got ${JSON.stringify(artifact)}); it must return {"format":"onnx","path","sha256","bytes"} (docs/python-trainer.md)`);
      }
      let onnx: Uint8Array;
      try {
        onnx = new Uint8Array(await readFile(artifact.path));
      } catch (error) {
        throw refuse(`the trainer's model ${artifact.path} cannot be read on this worker: ${reasonOf(error)}; the trainer and Tributary's training workers must share the artifact directory`);
      }
      const sha256 = createHash('sha256').update(onnx).digest('hex');
      if (sha256 !== artifact.sha256) {
        throw refuse(`the trainer's model ${artifact.path} has SHA-256 ${sha256} (${onnx.length} bytes); the trainer returned ${artifact.sha256} (${artifact.bytes} bytes): the file changed or was cut after the trainer wrote it`);
      }
      try {
        const opened = await openOnnxModel(onnx, `the model the trainer of ${model} returned (${artifact.path})`, { pipeline: model, width: vectoriser.columns.length, task });
        opened.dispose();
      } catch (error) {
        if (error instanceof OnnxModelRefusedError) throw refuse(error.message);
        throw error;
      }
      return artifacts.write(runKey, encodeOnnxCandidateModel({ onnx, spec: vectoriser, identity, task }));
    }),
  };
}

/** The activities as the workflows see them (import this type only). */
export type ExternalTrainerActivities = ReturnType<typeof createExternalTrainerActivities>;
