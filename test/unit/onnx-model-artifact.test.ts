/**
 * ONNX models in the registry's artifact: the file kept byte for byte beside the vectoriser spec,
 * task, threshold and identity; the runtime read from the header (tfjs when an older artifact
 * records none); one loader opening either runtime into a model that scores the same rows alike.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openModelArtifact } from '../../src/models/model-artifact-loader.js';
import { ArtifactFormatError } from '../../src/registry/errors.js';
import { artifactRuntime, deserialiseModelArtifact, readArtifactSpec, readOnnxArtifact, serialiseModelArtifact, serialiseOnnxArtifact } from '../../src/registry/model-artifact.js';
import { sha256Hex } from '../../src/registry/artifact-digest.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { FRAUD_IDENTITY, fraudExamples } from '../helpers/fraud-pipeline.js';
import { denseOnnxModel, type DenseLayer } from '../helpers/onnx-graph.js';
import { testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';

const metadata = { model: 'fraud', trainedAt: '2025-01-01T00:00:00.000Z', backend: 'onnx', codeVersion: 'test' };
const matrix = labelledMatrixOf(compileVectoriser(testSpec), fraudExamples({ count: 40, seed: 5 }), 'test').features;

beforeAll(useCpuBackend);

/** The ONNX twin of test network `seed`: the same dense layers and weights. */
function onnxTwin(seed: number): Uint8Array {
  const network = testNetwork(seed);
  const layers: DenseLayer[] = network.layers.map((dense, index) => {
    const [kernel, bias] = dense.getWeights();
    return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === network.layers.length - 1 ? 'sigmoid' : 'relu' };
  });
  network.dispose();
  return denseOnnxModel({ inputWidth: testSpec.columns.length, layers });
}

const onnxInput = (onnx: Uint8Array) => ({
  onnx,
  inputSignature: { name: 'features', type: 'float32', shape: ['rows', testSpec.columns.length] },
  output: { name: 'score', kind: 'score' as const },
  vectoriser: testSpec,
  task: 'binary-classification' as const,
  threshold: 0.42,
  identity: FRAUD_IDENTITY,
  metadata,
});

describe('ONNX model artifacts', () => {
  it('keep the ONNX file byte for byte with its description, and record the onnx runtime', () => {
    const onnx = onnxTwin(1);
    const { bytes, sha256 } = serialiseOnnxArtifact(onnxInput(onnx));
    expect(sha256).toBe(sha256Hex(bytes));
    expect(artifactRuntime(bytes, { sha256 })).toBe('onnx');
    const read = readOnnxArtifact(bytes, { sha256 });
    expect(Buffer.from(read.onnx).equals(Buffer.from(onnx))).toBe(true);
    expect(read).toMatchObject({ threshold: 0.42, task: 'binary-classification', identity: FRAUD_IDENTITY, output: { name: 'score', kind: 'score' }, spec: testSpec });
    // The registry's input check reads the spec of either runtime.
    expect(readArtifactSpec(bytes, { sha256 })).toEqual(testSpec);
  });

  it('are refused by the TensorFlow.js reader with one line saying what they hold', async () => {
    const { bytes, sha256 } = serialiseOnnxArtifact(onnxInput(onnxTwin(1)));
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 3 })).rejects.toThrow(
      'model artifact cannot be used: it holds a model of the onnx runtime, not a TensorFlow.js network with its topology and weights',
    );
  });

  it('open through the one loader into a model scoring as the TensorFlow.js artifact of the same weights does', async () => {
    const network = testNetwork(2);
    const tfjsArtifact = await serialiseModelArtifact({ model: network, vectoriser: testSpec, task: 'binary-classification', threshold: 0.5, identity: FRAUD_IDENTITY, metadata });
    network.dispose();
    const onnxArtifact = serialiseOnnxArtifact(onnxInput(onnxTwin(2)));
    expect(artifactRuntime(tfjsArtifact.bytes, tfjsArtifact)).toBe('tfjs');
    const fromTfjs = await openModelArtifact(tfjsArtifact.bytes, { sha256: tfjsArtifact.sha256, model: 'fraud', version: 1 });
    const fromOnnx = await openModelArtifact(onnxArtifact.bytes, { sha256: onnxArtifact.sha256, model: 'fraud', version: 2 });
    try {
      expect(fromTfjs.runtime).toBe('tfjs');
      expect(fromOnnx.runtime).toBe('onnx');
      expect(fromOnnx.model.runtime).toBe('onnx');
      expect(fromOnnx).toMatchObject({ threshold: 0.42, identity: FRAUD_IDENTITY, sha256: onnxArtifact.sha256 });
      const [a, b] = await Promise.all([fromTfjs.model.score(matrix), fromOnnx.model.score(matrix)]);
      expect(b).toHaveLength(matrix.rowCount);
      b.forEach((score, row) => expect(Math.abs(score - a[row]!)).toBeLessThan(1e-5));
    } finally {
      fromTfjs.model.dispose();
      fromOnnx.model.dispose();
    }
  });

  it('name the version when the stored ONNX file no longer fits its vectoriser', async () => {
    const narrow = denseOnnxModel({ inputWidth: 3, layers: [{ kernel: new Float32Array(3), bias: new Float32Array(1), activation: 'sigmoid' }] });
    const { bytes, sha256 } = serialiseOnnxArtifact(onnxInput(narrow));
    const refused = await openModelArtifact(bytes, { sha256, model: 'fraud', version: 4 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ArtifactFormatError);
    expect(refused).toMatchObject({ model: 'fraud', version: 4 });
    expect((refused as Error).message).toBe(`model artifact cannot be used: input "features" is float32 [rows, 3]; pipeline fraud's vectorised inputs are float32 [rows, ${testSpec.columns.length}]`);
  });
});
