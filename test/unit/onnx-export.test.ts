/**
 * Exporting the networks Tributary trains to ONNX: a trained classifier and a trained regression
 * (its label scale folded into the output layer) score the same rows through both engines within
 * the stated tolerance; a layer or activation the export cannot write is refused naming the layer,
 * and the checked export then keeps TensorFlow.js instead of failing; the comparison's figures
 * are the hand-computed ones.
 */
import { layers, sequential, type LayersModel } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxExportRefusedError } from '../../src/models/errors.js';
import { compareExportScores, exportCheckedOnnx, exportNetworkToOnnx, PROBABILITY_TOLERANCE, REGRESSION_RELATIVE_TOLERANCE } from '../../src/models/onnx-export.js';
import { openOnnxModel } from '../../src/models/onnx-model.js';
import { tfjsRuntimeModel } from '../../src/models/tfjs-model.js';
import type { FeatureMatrix, LabelledMatrix } from '../../src/training/feature-matrix.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';
import { trainModel } from '../../src/training/training-loop.js';
import { useCpuBackend } from '../helpers/scoring-models.js';

const WIDTH = 6;

beforeAll(useCpuBackend);

function randomMatrix(rowCount: number, seed: number): FeatureMatrix {
  const random = createSeededRandom(seed);
  return { rowCount, columnCount: WIDTH, values: Float32Array.from({ length: rowCount * WIDTH }, () => random() * 4 - 2) };
}

/** Rows with a label from a fixed rule on their first columns: a class, or a delivery time in minutes around 40. */
function labelled(rowCount: number, seed: number, task: 'binary-classification' | 'regression'): LabelledMatrix {
  const features = randomMatrix(rowCount, seed);
  const labels = Float64Array.from({ length: rowCount }, (_, row) => {
    const [a, b] = [features.values[row * WIDTH]!, features.values[row * WIDTH + 1]!];
    return task === 'regression' ? 40 + 12 * a - 7 * b : a + b > 0.5 ? 1 : 0;
  });
  return { features, labels };
}

async function trained(task: 'binary-classification' | 'regression'): Promise<LayersModel> {
  const result = await trainModel({ task, train: labelled(600, 1, task), validation: labelled(150, 2, task) }, { hiddenUnits: [16, 8], maxEpochs: 8, seed: 5, backend: 'cpu' });
  return result.model;
}

/** Scores `rows` with the network and with its export opened by ONNX Runtime; disposes the network. */
async function bothEngines(network: LayersModel, task: 'binary-classification' | 'regression', rows: FeatureMatrix): Promise<{ tfjs: Float32Array; onnx: Float32Array }> {
  const onnx = await openOnnxModel(exportNetworkToOnnx(network), 'export.onnx', { pipeline: 'export', width: WIDTH, task });
  const tfjs = tfjsRuntimeModel(network);
  try {
    return { tfjs: await tfjs.score(rows), onnx: await onnx.score(rows) };
  } finally {
    onnx.dispose();
    tfjs.dispose();
  }
}

const largestDifference = (a: Float32Array, b: Float32Array): number => Math.max(...a.map((value, row) => Math.abs(value - b[row]!)));

describe('exporting trained networks to ONNX', () => {
  it('a trained classifier scores the same rows through both engines within the probability tolerance', async () => {
    const network = await trained('binary-classification');
    const rows = randomMatrix(500, 9);
    const verdict = await exportCheckedOnnx(network, rows, 'binary-classification', 'classifier');
    expect(verdict).toMatchObject({ accepted: true, check: { rows: 500, tolerance: PROBABILITY_TOLERANCE } });
    const { tfjs, onnx } = await bothEngines(network, 'binary-classification', rows);
    // Scores that vary: the check compares real probabilities, not a constant.
    expect(Math.max(...tfjs) - Math.min(...tfjs)).toBeGreaterThan(0.5);
    expect(largestDifference(tfjs, onnx)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
  }, 60_000);

  it('a trained regression, its label scale folded into the output, scores in the label\'s units within the relative tolerance', async () => {
    const network = await trained('regression');
    const rows = randomMatrix(500, 10);
    const verdict = await exportCheckedOnnx(network, rows, 'regression', 'eta');
    const { tfjs, onnx } = await bothEngines(network, 'regression', rows);
    // Predictions in minutes around 40, as the labels: the scale is in the exported weights.
    const mean = tfjs.reduce((total, value) => total + value, 0) / tfjs.length;
    expect(mean).toBeGreaterThan(25);
    expect(mean).toBeLessThan(55);
    const largest = Math.max(1, ...tfjs.map(Math.abs));
    expect(largestDifference(tfjs, onnx)).toBeLessThanOrEqual(REGRESSION_RELATIVE_TOLERANCE * largest);
    expect(verdict.accepted).toBe(true);
    if (verdict.accepted) expect(verdict.check.tolerance).toBeCloseTo(REGRESSION_RELATIVE_TOLERANCE * largest, 12);
  }, 60_000);

  it('leaves a Dropout layer out, as inference does', async () => {
    const network = sequential({ layers: [layers.dense({ units: 4, activation: 'relu', inputShape: [WIDTH] }), layers.dropout({ rate: 0.5 }), layers.dense({ units: 1, activation: 'sigmoid' })] });
    const { tfjs, onnx } = await bothEngines(network, 'binary-classification', randomMatrix(64, 4));
    expect(largestDifference(tfjs, onnx)).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
  });
});

describe('refusals of the export', () => {
  it('an activation it does not write is refused naming the layer, and the checked export keeps tfjs', async () => {
    const network = sequential({ layers: [layers.dense({ units: 4, activation: 'tanh', inputShape: [WIDTH], name: 'hidden' }), layers.dense({ units: 1, activation: 'sigmoid', name: 'out' })] });
    expect(() => exportNetworkToOnnx(network)).toThrow(OnnxExportRefusedError);
    expect(() => exportNetworkToOnnx(network)).toThrow('the network cannot be exported to ONNX: layer "hidden" (Dense) has activation tanh; the export writes relu, sigmoid and linear');
    const verdict = await exportCheckedOnnx(network, randomMatrix(8, 1), 'binary-classification', 'tanh');
    expect(verdict).toEqual({ accepted: false, note: 'kept tfjs: the network cannot be exported to ONNX: layer "hidden" (Dense) has activation tanh; the export writes relu, sigmoid and linear' });
    network.dispose();
  });

  it('a layer that is not Dense is refused naming it', () => {
    const network = sequential({ layers: [layers.dense({ units: 4, activation: 'relu', inputShape: [WIDTH] }), layers.batchNormalization({ name: 'norm' }), layers.dense({ units: 1, activation: 'sigmoid' })] });
    expect(() => exportNetworkToOnnx(network)).toThrow('the network cannot be exported to ONNX: layer "norm" (BatchNormalization) is not a layer the export writes (Dense, and Dropout left out)');
    network.dispose();
  });

  it('an output of more than one unit is refused naming the layer', () => {
    const network = sequential({ layers: [layers.dense({ units: 2, activation: 'sigmoid', inputShape: [WIDTH], name: 'pair' })] });
    expect(() => exportNetworkToOnnx(network)).toThrow('the network cannot be exported to ONNX: layer "pair" has 2 units; the scorer reads one score per row');
    network.dispose();
  });
});

describe('the comparison of the two runtimes\' scores', () => {
  it('measures the largest absolute difference against the task\'s tolerance', () => {
    const classifier = compareExportScores(Float32Array.of(0.5, 0.25, 0.75), Float32Array.of(0.5, 0.25, 0.75 + 2 ** -12), 'binary-classification');
    expect(classifier).toEqual({ rows: 3, maxDifference: 2 ** -12, tolerance: 1e-5 });
    // A regression's tolerance is relative to its largest prediction: 1e-5 × 256.
    const regression = compareExportScores(Float32Array.of(64, -256, 3), Float32Array.of(64, -256, 3.001953125), 'regression');
    expect(regression).toEqual({ rows: 3, maxDifference: 0.001953125, tolerance: 0.00256 });
    // Below 1 in magnitude, the floor of 1 keeps the tolerance absolute.
    expect(compareExportScores(Float32Array.of(0.5), Float32Array.of(0.5), 'regression').tolerance).toBe(1e-5);
    expect(compareExportScores(Float32Array.of(0.5), Float32Array.of(Number.NaN), 'binary-classification').maxDifference).toBeNaN();
  });
});
