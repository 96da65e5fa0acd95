/**
 * Inference throughput of the two model runtimes on a network Tributary trained: the fraud
 * example's network trained as a training run trains it (synthetic examples split by event time,
 * the vectoriser fitted on the train split, the definition's architecture), then exported to ONNX
 * as registration exports it (src/models/onnx-export.ts) and checked on the held-out test split.
 * Reports the export's time and largest difference on the held-out rows, and rows per second of
 * the TensorFlow.js network (on the backend Tributary selects) and of its export run by ONNX
 * Runtime (one thread, as the scorer opens it), both through the RuntimeModel interface the scorer
 * uses, on the same vectorised rows. Prints one JSON document.
 *
 *   npx tsx bench/model-runtimes.bench.ts      (also npm run bench -- model-runtimes)
 */
import { performance } from 'node:perf_hooks';
import { exportCheckedOnnx } from '../src/models/onnx-export.js';
import { openOnnxModel } from '../src/models/onnx-model.js';
import type { RuntimeModel } from '../src/models/runtime-model.js';
import { tfjsRuntimeModel } from '../src/models/tfjs-model.js';
import { selectTensorFlowBackend } from '../src/training/backend.js';
import { splitByEventTime } from '../src/training/dataset-split.js';
import { labelledMatrixOf, type FeatureMatrix } from '../src/training/feature-matrix.js';
import { prepareTrainingData } from '../src/training/training-data.js';
import { trainModel } from '../src/training/training-loop.js';
import { fraudDefinition, fraudExamples, fraudVectoriserInputs } from '../test/helpers/fraud-pipeline.js';

const EXAMPLES = 20_000;
const BATCH_SIZES = [1, 64, 512] as const;
/** Each measurement runs at least this long, after a warm-up. */
const MEASURE_MS = 2_000;

const quiet = { info: () => undefined, warn: () => undefined };
const backend = await selectTensorFlowBackend({ logger: quiet });
const hiddenUnits = fraudDefinition.model.architecture?.hiddenUnits ?? [32, 16];

const split = splitByEventTime(fraudExamples({ count: EXAMPLES, fraudRate: 0.05, seed: 9 }));
const prepared = prepareTrainingData(split, fraudVectoriserInputs);
const trainStart = performance.now();
const trained = await trainModel({ ...prepared, task: 'binary-classification' }, { hiddenUnits, maxEpochs: 10, seed: 1 });
const trainSeconds = (performance.now() - trainStart) / 1000;
const heldOut = labelledMatrixOf(prepared.vectoriser, prepared.test, 'test').features;

const verdict = await exportCheckedOnnx(trained.model, heldOut, 'binary-classification', 'bench');
if (!verdict.accepted) throw new Error(`the export of the trained network was refused: ${verdict.note}`);
const onnx = await openOnnxModel(verdict.onnx, 'bench.onnx', { pipeline: 'fraud', width: prepared.vectoriser.width, task: 'binary-classification' });
const tfjs = tfjsRuntimeModel(trained.model);

const firstRows = (rows: FeatureMatrix, count: number): FeatureMatrix => ({ ...rows, rowCount: count, values: rows.values.subarray(0, count * rows.columnCount) });

async function rowsPerSecond(model: RuntimeModel, batchSize: number): Promise<number> {
  const batch = firstRows(heldOut, batchSize);
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
tfjs.dispose();
onnx.dispose();
console.log(
  JSON.stringify(
    {
      benchmark: 'model-runtimes',
      node: process.version,
      tfjsBackend: backend.name,
      network: [prepared.vectoriser.width, ...hiddenUnits, 1],
      trained: { examples: EXAMPLES, epochs: trained.completedEpochs, seconds: Math.round(trainSeconds * 10) / 10 },
      export: { ms: Math.round(verdict.exportMs * 10) / 10, onnxBytes: verdict.onnx.length, heldOutRows: verdict.check.rows, maxDifference: verdict.check.maxDifference, tolerance: verdict.check.tolerance },
      rowsPerSecond: results,
    },
    null,
    2,
  ),
);
