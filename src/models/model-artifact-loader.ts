/**
 * Opens a registry artifact of either runtime into a {@link RuntimeModel} with everything that
 * describes it: the one way the scorer, the evaluation and the demo load a version, so none of
 * them needs to know which engine runs it.
 */
import { ArtifactFormatError } from '../registry/errors.js';
import { artifactRuntime, deserialiseModelArtifact, readOnnxArtifact, type ArtifactExpectation, type LoadedModelArtifact } from '../registry/model-artifact.js';
import type { ModelRuntime } from '../registry/model-runtime.js';
import { OnnxModelRefusedError } from './errors.js';
import { openOnnxModel } from './onnx-model.js';
import type { RuntimeModel } from './runtime-model.js';
import { tfjsRuntimeModel } from './tfjs-model.js';

/** An artifact opened: the caller disposes `model`. */
export interface OpenedModelArtifact extends Omit<LoadedModelArtifact, 'model' | 'tfjsVersion'> {
  readonly runtime: ModelRuntime;
  readonly model: RuntimeModel;
}

/**
 * Checks the bytes against `expected.sha256`, reads the runtime from the header and opens the
 * model with its engine (an ONNX model is also checked against its vectoriser and run once).
 * Throws the registry's artifact errors, and {@link ArtifactFormatError} for an ONNX model
 * ONNX Runtime refuses.
 */
export async function openModelArtifact(bytes: Uint8Array, expected: ArtifactExpectation): Promise<OpenedModelArtifact> {
  const runtime = artifactRuntime(bytes, expected);
  if (runtime === 'tfjs') {
    const loaded = await deserialiseModelArtifact(bytes, expected);
    return { ...describedBy(loaded), runtime, model: tfjsRuntimeModel(loaded.model) };
  }
  const artifact = readOnnxArtifact(bytes, expected);
  const described = describedBy(artifact);
  const subject = expected.model === undefined ? 'the ONNX model' : `the ONNX model of ${expected.model}${expected.version === undefined ? '' : ` version ${expected.version}`}`;
  try {
    const model = await openOnnxModel(artifact.onnx, subject, { pipeline: expected.model ?? 'its pipeline', width: described.vectoriser.width, task: described.task });
    return { ...described, runtime, model };
  } catch (error) {
    if (error instanceof OnnxModelRefusedError) throw new ArtifactFormatError(error.reason, { model: expected.model, version: expected.version, cause: error });
    throw error;
  }
}

/** What describes an artifact, whichever runtime holds it. */
function describedBy(artifact: Omit<LoadedModelArtifact, 'model' | 'tfjsVersion'>): Omit<OpenedModelArtifact, 'runtime' | 'model'> {
  const { spec, vectoriser, task, threshold, identity, metadata, sha256 } = artifact;
  return { spec, vectoriser, task, threshold, identity, metadata, sha256 };
}
