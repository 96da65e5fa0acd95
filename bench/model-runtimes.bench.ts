/**
 * Inference throughput of the two model runtimes on the same network: a TensorFlow.js network on
 * the backend Tributary selects and its ONNX export run by ONNX Runtime (one thread, as the scorer
 * opens it), both through the RuntimeModel interface the scorer uses, on the same vectorised rows
 * of the fraud example. Prints one JSON document.
 *
 *   npx tsx bench/model-runtimes.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { openOnnxModel } from '../src/models/onnx-model.js';
import type { RuntimeModel } from '../src/models/runtime-model.js';
import { tfjsRuntimeModel } from '../src/models/tfjs-model.js';
import { selectTensorFlowBackend } from '../src/training/backend.js';
import { labelledMatrixOf, type FeatureMatrix } from '../src/training/feature-matrix.js';
import { createClassifierNetwork } from '../src/training/model.js';
import { compileVectoriser } from '../src/vectoriser/compile-vectoriser.js';
import { fraudExamples, fraudSpec } from '../test/helpers/fraud-pipeline.js';
import { denseOnnxModel, type DenseLayer } from '../test/helpers/onnx-graph.js';

const HIDDEN_UNITS = [64, 32];
const BATCH_SIZES = [1, 64, 512] as const;
/** Each measurement runs at least this long, after a warm-up. */
const MEASURE_MS = 2_000;

const quiet = { info: () => undefined, warn: () => undefined };
const backend = await selectTensorFlowBackend({ logger: quiet });
const spec = fraudSpec();
const rows = labelledMatrixOf(compileVectoriser(spec), fraudExamples({ count: 1_024, seed: 9 }), 'bench').features;
const network = createClassifierNetwork({ inputWidth: spec.columns.length, hiddenUnits: HIDDEN_UNITS, seed: 1 });
const layers: DenseLayer[] = network.layers.map((dense, index) => {
  const [kernel, bias] = dense.getWeights();
  return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === network.layers.length - 1 ? 'sigmoid' : 'relu' };
});
const onnx = await openOnnxModel(denseOnnxModel({ inputWidth: spec.columns.length, layers }), 'bench.onnx', { pipeline: 'fraud', width: spec.columns.length, task: 'binary-classification' });
const tfjs = tfjsRuntimeModel(network);

const firstRows = (count: number): FeatureMatrix => ({ ...rows, rowCount: count, values: rows.values.subarray(0, count * rows.columnCount) });

async function rowsPerSecond(model: RuntimeModel, batchSize: number): Promise<number> {
  const batch = firstRows(batchSize);
  for (let warmUp = 0; warmUp < 20; warmUp += 1) await model.score(batch);
  let scored = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    await model.score(batch);
    scored += batchSize;
  }
  return Math.round(scored / ((performance.now() - start) / 1000));
}

const results: Record<string, Record<string, number>> = { tfjs: {}, onnx: {} };
for (const batchSize of BATCH_SIZES) {
  results.tfjs![`batch${batchSize}`] = await rowsPerSecond(tfjs, batchSize);
  results.onnx![`batch${batchSize}`] = await rowsPerSecond(onnx, batchSize);
}
const [fromTfjs, fromOnnx] = [await tfjs.score(rows), await onnx.score(rows)];
const largestDifference = Math.max(...fromOnnx.map((score, row) => Math.abs(score - fromTfjs[row]!)));
tfjs.dispose();
onnx.dispose();
console.log(
  JSON.stringify(
    { benchmark: 'model-runtimes', node: process.version, tfjsBackend: backend.name, network: [spec.columns.length, ...HIDDEN_UNITS, 1], rowsPerSecond: results, largestDifference },
    null,
    2,
  ),
);
