/**
 * The contract between a training run and a trainer outside Tributary (docs/python-trainer.md has
 * the JSON): the activity `trainExternalModel`, scheduled on the task queue of the pipeline's
 * `model.trainer`. Tributary reads the pinned ranges, splits them and fits the vectoriser first,
 * and sends the fitted spec, so the model the trainer returns reads the columns Tributary's scorer
 * makes (the scorer needs no change). The trainer reads the same ranges from Kafka itself, trains
 * on the train split, writes an ONNX file into the shared artifact directory and returns its path
 * and SHA-256; Tributary then checks, evaluates and registers it like any candidate.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { PartitionRange } from '../streaming/offset-range-reader.js';
import type { SplitBoundaries, SplitFractions } from './dataset-split.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';

/** The activity's name, the same in every language. */
export const EXTERNAL_TRAIN_ACTIVITY = 'trainExternalModel';

/** Bumped when a field changes meaning; a trainer refuses a request of another version. */
export const EXTERNAL_TRAINER_CONTRACT_VERSION = 1;

/** What a trainer is asked to train. */
export interface ExternalTrainRequest {
  readonly contractVersion: typeof EXTERNAL_TRAINER_CONTRACT_VERSION;
  /** The pipeline, and its model. */
  readonly pipeline: string;
  /** The applied revision the run reads. */
  readonly pipelineRevision: number;
  /** The run's `workflowId/runId`: names the artifact's folder. */
  readonly runKey: string;
  readonly task: ModelTask;
  /** Half-open ranges [fromOffset, toOffset) of the training-examples topic, offsets as decimal strings; read read_committed. */
  readonly ranges: readonly PartitionRange[];
  /** The example record's fields: its id, its event time (epoch ms, the split's order) and its label. */
  readonly fields: { readonly eventId: string; readonly eventTime: string; readonly label: string };
  /**
   * By event time: train is `eventTime < boundaries.validationStart`, validation up to
   * `boundaries.testStart` (excluded), test from it; `counts` are the examples Tributary found in
   * each, for the trainer to check its read against. The trainer never sees the test split's labels
   * used: Tributary measures the model on it.
   */
  readonly split: {
    readonly fractions: SplitFractions;
    readonly boundaries: SplitBoundaries;
    readonly counts: { readonly train: number; readonly validation: number; readonly test: number };
  };
  /** The vectoriser fitted on the train split (`src/vectoriser/vectoriser-spec.schema.json`): the model's input is its columns, float32 [rows, columns.length]. */
  readonly vectoriser: VectoriserSpec;
  /** The definition's `model.trainer.options`, as written. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where to write the ONNX file: a directory Tributary's training workers read too. */
  readonly artifactDirectory: string;
}

/** What a trainer returns. */
export interface ExternalTrainResult {
  /** The ONNX file in `artifactDirectory`, with the lowercase hex SHA-256 of its bytes and their count. */
  readonly artifact: { readonly format: 'onnx'; readonly path: string; readonly sha256: string; readonly bytes: number };
  /** Names the trainer and its library, for the version's lineage (`backend`). */
  readonly backend: string;
  /** The estimator and its settings, recorded in the lineage's hyper-parameters. */
  readonly hyperParameters: Readonly<Record<string, unknown>>;
  /** Training figures (examples, seconds, a validation metric), recorded in the run's memo. */
  readonly figures: Readonly<Record<string, number>>;
}
