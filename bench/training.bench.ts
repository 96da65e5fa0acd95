/**
 * Training and prediction throughput on the backend Tributary selects versus the plain JavaScript
 * cpu backend, measured in one process on the same synthetic data. Prints one JSON document.
 *
 *   npx tsx bench/training.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { selectTensorFlowBackend, type BackendName } from '../src/training/backend.js';
import { splitByEventTime } from '../src/training/dataset-split.js';
import type { FeatureMatrix } from '../src/training/feature-matrix.js';
import { predictScores } from '../src/training/model.js';
import { fraudExamples, fraudVectoriserInputs } from '../test/helpers/fraud-pipeline.js';
import { prepareTrainingData } from '../src/training/training-data.js';
import { trainModel, type TrainingData } from '../src/training/training-loop.js';
import type { TrainingOptions } from '../src/training/training-options.js';

const EXAMPLES = 20_000;
/** Fixed epochs (patience above them) so every backend does the same work. */
const TRAINING: TrainingOptions = { maxEpochs: 3, patience: 10, batchSize: 256 };
const PREDICT_BATCH_SIZES = [1, 64, 512] as const;
/** Each prediction measurement runs at least this long, after a warm-up. */
const MEASURE_MS = 1_000;

interface BackendResult {
  readonly backend: BackendName;
  readonly trainSamplesPerSecond: number;
  readonly predictRowsPerSecond: Record<string, number>;
}

/** The first `rows` rows of a matrix. */
function firstRows(matrix: FeatureMatrix, rows: number): FeatureMatrix {
  return { ...matrix, rowCount: rows, values: matrix.values.subarray(0, rows * matrix.columnCount) };
}

async function measureBackend(backend: BackendName, data: TrainingData): Promise<BackendResult> {
  const result = await trainModel(data, { ...TRAINING, backend });
  try {
    const predictRowsPerSecond: Record<string, number> = {};
    for (const batchSize of PREDICT_BATCH_SIZES) {
      const batch = firstRows(data.validation.features, batchSize);
      for (let warmUp = 0; warmUp < 5; warmUp += 1) await predictScores(result.model, batch, batchSize);
      let rows = 0;
      const start = performance.now();
      while (performance.now() - start < MEASURE_MS) {
        await predictScores(result.model, batch, batchSize);
        rows += batchSize;
      }
      predictRowsPerSecond[`batch${batchSize}`] = Math.round(rows / ((performance.now() - start) / 1000));
    }
    return { backend: result.backend, trainSamplesPerSecond: Math.round(result.trainSamplesPerSecond), predictRowsPerSecond };
  } finally {
    result.model.dispose();
  }
}

const quiet = { info: () => undefined, warn: () => undefined };
// Decide every selection quietly up front (each is made once per process), so stdout carries only the JSON.
const selected = await selectTensorFlowBackend({ logger: quiet });
const measured = [...new Set<BackendName>([selected.name, 'cpu'])];
for (const backend of measured) await selectTensorFlowBackend({ force: backend, logger: quiet });

const prepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: EXAMPLES, seed: 1 })), fraudVectoriserInputs);
const data: TrainingData = { train: prepared.train, validation: prepared.validation };
const results: BackendResult[] = [];
for (const backend of measured) results.push(await measureBackend(backend, data));

console.log(
  JSON.stringify(
    {
      benchmark: 'training',
      node: process.version,
      selectedBackend: selected.name,
      skippedBackends: selected.fallbacks.map((fallback) => fallback.backend),
      trainRows: data.train.labels.length,
      featureColumns: data.train.features.columnCount,
      training: { ...TRAINING, hiddenUnits: [32, 16] },
      results,
    },
    null,
    2,
  ),
);
