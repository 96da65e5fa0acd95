/** A TensorFlow.js network (the models Tributary trains) behind the {@link RuntimeModel} interface. */
import type { LayersModel } from '@tensorflow/tfjs';
import type { InputSignature } from '../registry/model-runtime.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';
import { predictScores } from '../training/model.js';
import { RuntimeModelDisposedError } from './errors.js';
import type { RuntimeModel } from './runtime-model.js';

/** The input of a dense network as an ONNX-style signature: float32 [rows, width]. */
export function tfjsInputSignature(network: LayersModel): InputSignature {
  const input = network.inputs[0];
  return { name: input?.name ?? 'input', type: 'float32', shape: ['rows', input?.shape[1] ?? -1] };
}

/** Wraps `network`; the wrapper owns it from now on and disposes it. */
export function tfjsRuntimeModel(network: LayersModel): RuntimeModel {
  let disposed = false;
  return {
    runtime: 'tfjs',
    inputSignature: tfjsInputSignature(network),
    score(matrix: FeatureMatrix): Promise<Float32Array> {
      if (disposed) return Promise.reject(new RuntimeModelDisposedError('tfjs'));
      // The whole matrix in one predict: callers size their batches, and splitting would only add calls.
      return predictScores(network, matrix, Math.max(1, matrix.rowCount));
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      network.dispose();
    },
  };
}
