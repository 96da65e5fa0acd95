/**
 * The runtime interface against both engines on the same rows: a TensorFlow.js network and an
 * ONNX graph written with the same weights score alike within 1e-5; and every refusal of an ONNX
 * file, each one line naming the file and the shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxModelRefusedError } from '../../src/models/errors.js';
import { openOnnxModel } from '../../src/models/onnx-model.js';
import { checkProducedShape } from '../../src/models/onnx-signature.js';
import { tfjsRuntimeModel } from '../../src/models/tfjs-model.js';
import type { FeatureMatrix } from '../../src/training/feature-matrix.js';
import { createClassifierNetwork } from '../../src/training/model.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';
import { denseOnnxModel, type DenseLayer } from '../helpers/onnx-graph.js';
import { useCpuBackend } from '../helpers/scoring-models.js';

const WIDTH = 5;
const classifier = { pipeline: 'loans', width: WIDTH, task: 'binary-classification' } as const;
const regression = { pipeline: 'eta', width: WIDTH, task: 'regression' } as const;

beforeAll(useCpuBackend);

function randomMatrix(rowCount: number, seed: number): FeatureMatrix {
  const random = createSeededRandom(seed);
  return { rowCount, columnCount: WIDTH, values: Float32Array.from({ length: rowCount * WIDTH }, () => random() * 4 - 2) };
}

/** A layer with small seeded weights. */
function layer(inputs: number, units: number, activation: DenseLayer['activation'], seed: number): DenseLayer {
  const random = createSeededRandom(seed);
  return {
    kernel: Float32Array.from({ length: inputs * units }, () => random() - 0.5),
    bias: Float32Array.from({ length: units }, () => random() * 0.2 - 0.1),
    activation,
  };
}

/** Expects `attempt` to be refused with exactly `message`, on one line. */
async function expectRefusal(attempt: Promise<unknown>, message: string): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(OnnxModelRefusedError);
  expect((error as Error).message).toBe(message);
  expect((error as Error).message).not.toContain('\n');
}

describe('the runtime interface on both engines', () => {
  it('a TensorFlow.js network and an ONNX graph with the same weights give the same scores within 1e-5', async () => {
    const network = createClassifierNetwork({ inputWidth: WIDTH, hiddenUnits: [8, 4], seed: 11 });
    const layers: DenseLayer[] = network.layers.map((dense, index) => {
      const [kernel, bias] = dense.getWeights();
      return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === network.layers.length - 1 ? 'sigmoid' : 'relu' };
    });
    const tfjs = tfjsRuntimeModel(network);
    const onnx = await openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers }), 'same.onnx', classifier);
    try {
      const matrix = randomMatrix(257, 3);
      const [fromTfjs, fromOnnx] = await Promise.all([tfjs.score(matrix), onnx.score(matrix)]);
      expect(fromOnnx).toHaveLength(257);
      expect(fromTfjs).toHaveLength(257);
      const largest = Math.max(...fromOnnx.map((score, row) => Math.abs(score - fromTfjs[row]!)));
      expect(largest).toBeLessThan(1e-5);
      // Not a constant: the rows are told apart.
      expect(new Set(fromOnnx).size).toBeGreaterThan(100);
      expect(tfjs.runtime).toBe('tfjs');
      expect(onnx.runtime).toBe('onnx');
      expect(onnx.inputSignature).toEqual({ name: 'features', type: 'float32', shape: ['rows', WIDTH] });
      expect(tfjs.inputSignature.shape).toEqual(['rows', WIDTH]);
    } finally {
      tfjs.dispose();
      onnx.dispose();
    }
    await expect(onnx.score(randomMatrix(1, 1))).rejects.toThrow('this onnx model was disposed and cannot score');
    await expect(tfjs.score(randomMatrix(1, 1))).rejects.toThrow('this tfjs model was disposed and cannot score');
  });

  it('reads a [rows, 2] probability pair as the positive class, column 1, beside an int64 label output', async () => {
    const layers = [layer(WIDTH, 2, 'sigmoid', 5)];
    const onnx = await openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers, labelOutput: true }), 'pair.onnx', classifier);
    try {
      expect(onnx.output).toEqual({ name: 'score', kind: 'pair' });
      const matrix = randomMatrix(4, 9);
      const scores = await onnx.score(matrix);
      const { kernel, bias } = layers[0]!;
      const expected = [0, 1, 2, 3].map((row) => {
        let sum = bias[1]!;
        for (let column = 0; column < WIDTH; column += 1) sum += matrix.values[row * WIDTH + column]! * kernel[column * 2 + 1]!;
        return 1 / (1 + Math.exp(-sum));
      });
      scores.forEach((score, row) => expect(score).toBeCloseTo(expected[row]!, 5));
    } finally {
      onnx.dispose();
    }
  });

  it('serves a regression whose one output is [rows] and scores outside 0..1', async () => {
    const onnx = await openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 1, 'linear', 8)], outputShape: ['rows', 1] }), 'eta.onnx', regression);
    try {
      const matrix: FeatureMatrix = { rowCount: 2, columnCount: WIDTH, values: Float32Array.from([10, 10, 10, 10, 10, -10, -10, -10, -10, -10]) };
      const scores = await onnx.score(matrix);
      expect(scores).toHaveLength(2);
      expect(Math.abs(scores[0]! - scores[1]!)).toBeGreaterThan(1);
    } finally {
      onnx.dispose();
    }
  });
});

describe('ONNX refusals, one line each', () => {
  const good = denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 1, 'sigmoid', 1)] });

  it('a file that is not ONNX', async () => {
    await expectRefusal(openOnnxModel(new TextEncoder().encode('{"not": "onnx"}'), 'model.json', classifier), 'model.json: not an ONNX model: it does not start like an ONNX model (first bytes 7b 22 6e 6f)');
    await expectRefusal(openOnnxModel(new Uint8Array(0), 'empty.onnx', classifier), 'empty.onnx: not an ONNX model: the file is empty');
  });

  it('a truncated file', async () => {
    // The file: ir_version (2 bytes), producer_name (16), the graph's tag (1) and length (2), the graph, opset_import (6).
    const graphBytes = good.length - 2 - 16 - 1 - 2 - 6;
    const cut = good.subarray(0, good.length - 40);
    await expectRefusal(openOnnxModel(cut, 'cut.onnx', classifier), `cut.onnx: the ONNX file is truncated: its graph claims ${graphBytes} bytes, the file ends 34 bytes short (${cut.length} bytes)`);
    await expectRefusal(openOnnxModel(good.subarray(0, 19), 'head.onnx', classifier), 'head.onnx: the ONNX file is truncated: it ends inside the length of graph at byte 19 of 19');
  });

  it('a graph ONNX Runtime cannot load', async () => {
    const text = new TextDecoder('latin1').decode(good).replace('Sigmoid', 'Sigmoyd');
    const unknownOperator = Uint8Array.from(text, (character) => character.charCodeAt(0));
    const error = await openOnnxModel(unknownOperator, 'odd.onnx', classifier).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OnnxModelRefusedError);
    expect((error as Error).message).toMatch(/^odd\.onnx: ONNX Runtime cannot load the graph: .*Sigmoyd/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('an input of another element type or width, naming the input and both types and shapes', async () => {
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 1, 'sigmoid', 1)], inputType: 'float64', inputName: 'X' }), 'f64.onnx', classifier),
      "f64.onnx: input \"X\" is float64 [rows, 5]; pipeline loans's vectorised inputs are float32 [rows, 5]",
    );
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: 7, layers: [layer(7, 1, 'sigmoid', 1)] }), 'wide.onnx', classifier),
      "wide.onnx: input \"features\" is float32 [rows, 7]; pipeline loans's vectorised inputs are float32 [rows, 5]",
    );
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 1, 'sigmoid', 1)], inputShape: [1, WIDTH] }), 'one.onnx', classifier),
      "one.onnx: input \"features\" is float32 [1, 5]; pipeline loans's vectorised inputs are float32 [rows, 5] (it takes a fixed batch of 1; export it with a dynamic first dimension)",
    );
  });

  it('outputs that are not one score per row, naming the shapes', async () => {
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 3, 'sigmoid', 1)] }), 'three.onnx', classifier),
      'three.onnx: output "score" is float32 [rows, 3]; Tributary reads one score per row ([rows] or [rows, 1]) or a probability pair ([rows, 2])',
    );
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 2, 'linear', 1)] }), 'pair.onnx', regression),
      'pair.onnx: output "score" is float32 [rows, 2]; Tributary reads one score per row ([rows] or [rows, 1]) for a regression',
    );
    await expectRefusal(
      openOnnxModel(denseOnnxModel({ inputWidth: WIDTH, layers: [layer(WIDTH, 2, 'sigmoid', 1)], labelOutput: true, outputName: 'probabilities' }), 'labels.onnx', regression),
      'labels.onnx: output "probabilities" is float32 [rows, 2]; Tributary reads one score per row ([rows] or [rows, 1]) for a regression',
    );
  });

  it('a shape the graph leaves open is judged on the trial batch it produces', () => {
    expect(checkProducedShape('y', [3], 3, 'regression')).toBe('score');
    expect(checkProducedShape('y', [3, 1], 3, 'binary-classification')).toBe('score');
    expect(checkProducedShape('y', [3, 2], 3, 'binary-classification')).toBe('pair');
    expect(checkProducedShape('y', [3, 3], 3, 'binary-classification')).toEqual({
      problem: 'output "y" gives [3, 3] for a batch of 3 rows; Tributary reads one score per row ([3] or [3, 1]) or a probability pair ([3, 2])',
    });
    expect(checkProducedShape('y', [1], 3, 'regression')).toEqual({ problem: 'output "y" gives [1] for a batch of 3 rows; Tributary reads one score per row ([3] or [3, 1]) for a regression' });
  });
});
