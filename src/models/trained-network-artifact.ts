/**
 * The registry artifact of a network Tributary trained: its ONNX export when the evaluation's
 * check accepted it (served by ONNX Runtime), else the TensorFlow.js network as before; either way
 * with tags that say which and why, so `tributary models show` tells a person why a version runs
 * where it does. A refused or missing export never fails the registration.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { serialiseModelArtifact, serialiseOnnxArtifact, type ModelArtifactInput } from '../registry/model-artifact.js';
import type { ModelRuntime } from '../registry/model-runtime.js';
import { exportedSignature, type OnnxExportVerdict } from './onnx-export.js';

/** Tag with the export's verdict in one line (`served by onnx: ...` or `kept tfjs: ...`). */
export const ONNX_EXPORT_TAG = 'onnxExport';
/** Tag of an ONNX version exported from a network: the sha256 of the TensorFlow.js weights it was exported from. */
export const EXPORTED_FROM_TAG = 'exportedFromTfjsWeights';

/** What is registered: the artifact, the runtime its header records, and the tags describing the choice. */
export interface TrainedNetworkArtifact {
  readonly bytes: Uint8Array;
  readonly runtime: ModelRuntime;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The artifact of `network` and what describes it, given the verdict the evaluation left
 * (undefined when it left none: a worker older than the export evaluated the candidate).
 */
export async function trainedNetworkArtifact(
  described: Omit<ModelArtifactInput, 'model'>,
  network: LayersModel,
  verdict: OnnxExportVerdict | undefined,
): Promise<TrainedNetworkArtifact> {
  if (verdict?.accepted === true) {
    const width = network.inputs[0]?.shape[1] ?? 0;
    const { bytes } = serialiseOnnxArtifact({ ...described, onnx: verdict.onnx, ...exportedSignature(width) });
    return { bytes, runtime: 'onnx', tags: { [ONNX_EXPORT_TAG]: verdict.note, [EXPORTED_FROM_TAG]: verdict.tfjsWeightsSha256 } };
  }
  const { bytes } = await serialiseModelArtifact({ ...described, model: network });
  const note = verdict?.note ?? 'kept tfjs: the evaluation checked no ONNX export of this candidate (evaluated by a worker older than the export)';
  return { bytes, runtime: 'tfjs', tags: { [ONNX_EXPORT_TAG]: note } };
}
