/**
 * One model version as the scorer uses it: the model, whichever runtime runs it (a TensorFlow.js
 * network or an ONNX graph, `src/models/`), with the vectoriser it was trained with (compiled once
 * here, off the hot path) and its decision threshold, loaded from the registry, checked and warmed
 * up before it serves.
 */
import { reasonOf, TributaryError } from '../errors/tributary-error.js';
import { openModelArtifact, type OpenedModelArtifact } from '../models/model-artifact-loader.js';
import type { RuntimeModel } from '../models/runtime-model.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { RecordIdentity } from '../registry/model-artifact.js';
import type { ModelRuntime } from '../registry/model-runtime.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';
import type { CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { ModelDisposedError, ModelLoadError } from './errors.js';
import type { ServedModel } from './model-deployment.js';

/** One loaded, warmed-up model version, ready to score; owns its engine's memory (tensors, an ONNX Runtime session) until dispose(). */
export interface ScoringModel {
  readonly model: string;
  readonly version: number;
  readonly sha256: string;
  readonly task: ModelTask;
  /** The engine that runs it; every score it makes says so. */
  readonly runtime: ModelRuntime;
  /** Classifiers: predictions at or above it are POSITIVE. Null for a regression model, which decides nothing. */
  readonly threshold: number | null;
  /** Which fields of a features record are its event id, entity key and event time (from the artifact). */
  readonly identity: RecordIdentity;
  /** The model's own vectoriser: a record becomes this model's input row through it and nothing else. */
  readonly vectoriser: CompiledVectoriser;
  /** Scores the rows of a matrix made by {@link vectoriser}, in row order. Leaves no tensor behind. */
  score(matrix: FeatureMatrix): Promise<Float32Array>;
  dispose(): void;
}

/**
 * Rows of the warm-up batch: the first predict of a model builds its kernels and buffers, so a
 * real batch that came first would pay for it on the hot path. A few dozen rows exercise the
 * batched code path the scorer uses without costing noticeable time.
 */
const WARM_UP_ROWS = 32;

/**
 * Loads `served` of `model` from the registry (artifact sha256 must equal served.sha256 AND the
 * registry's record), deserialises, warms up with one dummy batch; throws {@link ModelLoadError}
 * (naming model, version, the reason — for an artifact of another format, what to do) and leaks
 * nothing on failure.
 */
export async function loadScoringModel(
  registry: Pick<ModelRegistry, 'getVersion' | 'loadArtifact'>,
  model: string,
  served: ServedModel,
): Promise<ScoringModel> {
  const { version, sha256 } = served;
  const refuse = (error: unknown): ModelLoadError =>
    error instanceof ModelLoadError
      ? error
      : new ModelLoadError(model, version, reasonOf(error), { retriable: error instanceof TributaryError && error.retriable, cause: error });
  let loaded: OpenedModelArtifact;
  try {
    const record = await registry.getVersion(model, version);
    if (record.artifact.sha256 !== sha256) {
      throw new ModelLoadError(model, version, `the deployment names artifact sha256 ${sha256}, the registry recorded ${record.artifact.sha256}`);
    }
    // loadArtifact checks the bytes against the registry's record, deserialising against the deployment's.
    const bytes = await registry.loadArtifact(model, version);
    loaded = await openModelArtifact(bytes, { sha256, model, version });
  } catch (error) {
    throw refuse(error);
  }
  const { identity } = loaded;
  if (identity === undefined) {
    loaded.model.dispose();
    throw new ModelLoadError(
      model,
      version,
      `its artifact does not record which features fields are the event id, entity key and event time (it was trained before artifacts did); retrain it (\`tributary train ${model}\`) and promote the new version; the scorer keeps the model it serves until then`,
    );
  }
  const scoringModel = new LoadedScoringModel(model, version, sha256, loaded.task, loaded.threshold, identity, loaded.model, loaded.vectoriser);
  try {
    await warmUp(scoringModel);
  } catch (error) {
    scoringModel.dispose();
    throw refuse(error);
  }
  return scoringModel;
}

/**
 * Scores a batch of zero rows and insists on usable predictions: probabilities from 0 to 1 from a
 * classifier, finite numbers from a regression model. Zero is where a standardised column's
 * training mean lies and what an indicator column reads most often: a row the model has seen the
 * like of.
 */
async function warmUp(scoringModel: LoadedScoringModel): Promise<void> {
  const { width } = scoringModel.vectoriser;
  const scores = await scoringModel.score({ rowCount: WARM_UP_ROWS, columnCount: width, values: new Float32Array(WARM_UP_ROWS * width) });
  const classifier = scoringModel.task === 'binary-classification';
  const unusable = scores.find((score) => (classifier ? !(score >= 0 && score <= 1) : !Number.isFinite(score)));
  if (scores.length !== WARM_UP_ROWS || unusable !== undefined) {
    throw new ModelLoadError(
      scoringModel.model,
      scoringModel.version,
      `its warm-up batch of ${WARM_UP_ROWS} rows gave ${scores.length} scores${unusable === undefined ? '' : `, one of them ${unusable} (${classifier ? 'not a probability from 0 to 1' : 'not a finite number'})`}`,
    );
  }
}

class LoadedScoringModel implements ScoringModel {
  private disposed = false;

  constructor(
    readonly model: string,
    readonly version: number,
    readonly sha256: string,
    readonly task: ModelTask,
    readonly threshold: number | null,
    readonly identity: RecordIdentity,
    private readonly engine: RuntimeModel,
    readonly vectoriser: CompiledVectoriser,
  ) {}

  get runtime(): ModelRuntime {
    return this.engine.runtime;
  }

  score(matrix: FeatureMatrix): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new ModelDisposedError(this.model, this.version));
    // The whole batch in one call: the scorer already sized it, and splitting it would only add calls.
    return this.engine.score(matrix);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
  }
}
