/**
 * A regression model end to end through the training layer, on a problem whose answer is known:
 * y = 3x + 5 plus seeded noise uniform in [−1, 1] (so the best possible MAE is 0.5), x uniform in
 * [0, 10). Labels are read and split as the definition's `model.task: regression` says, the label
 * is standardised for training and the scale folded back, and the evaluation measures MAE, RMSE
 * and R² against a champion on the same test split.
 */
import { tensor1d, tensor2d, type LayersModel } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import { decodeCandidateModel, encodeCandidateModel } from '../../src/training/candidate-model-file.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { ExampleFieldError, IncompatibleArtifactError, TrainingError } from '../../src/training/errors.js';
import { evaluateCandidate, type RegressionMetrics, type ScorableModel } from '../../src/training/evaluation.js';
import { createNetwork, predictScores } from '../../src/training/model.js';
import { meanAbsoluteError, rootMeanSquaredError, rSquared } from '../../src/training/regression-metrics.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';
import { prepareTrainingData, type PreparedTrainingData } from '../../src/training/training-data.js';
import { toTrainingExample, type ExampleFields, type TrainingExample } from '../../src/training/training-example.js';
import { trainModel, type TrainingResult } from '../../src/training/training-loop.js';

const FIELDS: ExampleFields = { eventId: 'event_id', eventTime: 'event_time', label: 'y', task: 'regression' };
const X_FIELD: AvroField = { name: 'x', kind: 'double', logicalType: undefined, nullable: false };
const INPUTS = { inputs: [{ field: 'x', encoding: 'standardised' as const }], fields: new Map([['x', X_FIELD]]) };
const IDENTITY = { eventId: 'event_id', entityKey: 'event_id', eventTime: 'event_time' };

/** 600 examples one second apart, so the split by event time is a split by index. */
function linearExamples(count = 600, seed = 13): TrainingExample[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const x = random() * 10;
    const y = 3 * x + 5 + (random() * 2 - 1);
    return toTrainingExample({ event_id: `e${index}`, event_time: 1_700_000_000_000 + index * 1000, x, y }, FIELDS, `example ${index}`);
  });
}

const split = splitByEventTime(linearExamples(), undefined, 'regression');
const prepared: PreparedTrainingData = prepareTrainingData(split, INPUTS);
let trained: TrainingResult;

/** The constant model that predicts the train labels' mean for every row: what R² = 0 means on the train split. */
function constantModel(value: number): LayersModel {
  const network = createNetwork({ inputWidth: 1, hiddenUnits: [], seed: 1, task: 'regression' });
  network.setWeights([tensor2d([[0]]), tensor1d([value])]);
  return network;
}

const trainMean = split.train.reduce((sum, example) => sum + example.label, 0) / split.train.length;

beforeAll(async () => {
  trained = await trainModel({ ...prepared, task: 'regression' }, { hiddenUnits: [8], dropout: 0, learningRate: 0.01, batchSize: 32, maxEpochs: 120, patience: 10, seed: 3 });
});
afterAll(() => trained?.model.dispose());

describe('regression training', () => {
  it('reads the label as the observed number and splits without classes', () => {
    expect(split.test[0]!.label).toBe(split.test[0]!.record.y);
    expect(split.counts).toEqual({ train: { examples: 420 }, validation: { examples: 90 }, test: { examples: 90 } });
    expect(prepared.train.labels[7]).toBe(split.train[7]!.label);
    expect(() => toTrainingExample({ event_id: 'x', event_time: 1, x: 1, y: 'late' }, FIELDS, 'here')).toThrow(ExampleFieldError);
    expect(() => toTrainingExample({ event_id: 'x', event_time: 1, x: 1, y: null }, FIELDS, 'here')).toThrow('training example at here: y=null, expected a finite number (the label of a regression)');
  });

  it('standardises the label for training and folds the scale into the output layer: predictions are in the label units', async () => {
    const labels = Array.from(prepared.train.labels);
    const mean = labels.reduce((sum, label) => sum + label, 0) / labels.length;
    const standardDeviation = Math.sqrt(labels.reduce((sum, label) => sum + (label - mean) ** 2, 0) / labels.length);
    expect(trained.task).toBe('regression');
    expect(trained.labelScale?.mean).toBeCloseTo(mean, 10);
    expect(trained.labelScale?.standardDeviation).toBeCloseTo(standardDeviation, 10);
    expect(trained.classWeights).toBeUndefined();
    // y = 3·5 + 5 = 20 at x = 5, and 35 at x = 10: raw label units, not standardised ones.
    const batch = prepared.vectoriser.vectoriseBatch([{ x: 5 }, { x: 10 }]);
    const [atFive, atTen] = await predictScores(trained.model, { rowCount: batch.rowCount, columnCount: prepared.vectoriser.width, values: batch.values });
    expect(Math.abs(atFive! - 20)).toBeLessThan(1);
    expect(Math.abs(atTen! - 35)).toBeLessThan(1.5);
  });

  it('trains to a low MAE and beats a constant model on the same test split by the primary metric', async () => {
    const constantNetwork = constantModel(trainMean);
    const champion: ScorableModel = { model: constantNetwork, vectoriser: prepared.vectoriser, task: 'regression' };
    try {
      const result = await evaluateCandidate(split.test, { model: trained.model, vectoriser: prepared.vectoriser, task: 'regression' }, champion, { task: 'regression', primaryMetric: 'mae', minimumImprovement: 1 });
      const candidate = result.candidate as RegressionMetrics;
      const constant = result.champion as RegressionMetrics;
      // Uniform noise in [−1, 1] has mean absolute value 0.5: the best a model can reach.
      expect(candidate.mae).toBeLessThan(0.7);
      expect(candidate.r2).toBeGreaterThan(0.98);
      // The constant model's figures, computed here from the test labels alone.
      const testLabels = split.test.map((example) => example.label);
      const constantPredictions = testLabels.map(() => Math.fround(trainMean));
      expect(constant).toEqual({
        task: 'regression',
        examples: 90,
        mae: expect.closeTo(meanAbsoluteError(testLabels, constantPredictions), 9) as number,
        rmse: expect.closeTo(rootMeanSquaredError(testLabels, constantPredictions), 9) as number,
        r2: expect.closeTo(rSquared(testLabels, constantPredictions), 9) as number,
      });
      expect(constant.mae).toBeGreaterThan(5);
      // MAE is an error: the gain is the champion's minus the candidate's.
      expect(result.comparison).toEqual({
        primaryMetric: 'mae',
        candidate: candidate.mae,
        champion: constant.mae,
        improvement: constant.mae - candidate.mae,
        minimumImprovement: 1,
        candidateBetter: true,
      });
      expect(result.operatingPoints).toBeUndefined();
      // R² is higher-better; a margin larger than the whole gap keeps the champion.
      const r2 = await evaluateCandidate(split.test, { model: trained.model, vectoriser: prepared.vectoriser }, champion, { task: 'regression', primaryMetric: 'r2', minimumImprovement: 2 });
      expect(r2.comparison).toMatchObject({ primaryMetric: 'r2', improvement: candidate.r2 - constant.r2, candidateBetter: false });
      // RMSE is the regression default.
      expect((await evaluateCandidate(split.test, { model: trained.model, vectoriser: prepared.vectoriser }, undefined, { task: 'regression' })).comparison.primaryMetric).toBe('rmse');
    } finally {
      constantNetwork.dispose();
    }
  });

  it('keeps the task through the candidate file', async () => {
    const candidate = await decodeCandidateModel(await encodeCandidateModel({ model: trained.model, spec: prepared.spec, identity: IDENTITY, task: 'regression' }));
    try {
      expect(candidate.task).toBe('regression');
      if (candidate.runtime !== 'tfjs') throw new Error(`expected the network back, got a ${candidate.runtime} candidate`);
      const rows = prepared.validation.features;
      expect(Array.from(await predictScores(candidate.model, rows))).toEqual(Array.from(await predictScores(trained.model, rows)));
    } finally {
      candidate.model.dispose();
    }
  });

  it('refuses a classifier metric, a champion of the other task and labels that do not vary', async () => {
    const candidate = { model: trained.model, vectoriser: prepared.vectoriser, task: 'regression' as const };
    await expect(evaluateCandidate(split.test, candidate, undefined, { task: 'regression', primaryMetric: 'prAuc' })).rejects.toThrow(
      "primaryMetric=\"prAuc\": expected a regression metric: 'mae', 'rmse', 'r2'",
    );
    const classifier = { ...candidate, task: 'binary-classification' as const };
    await expect(evaluateCandidate(split.test, candidate, classifier, { task: 'regression' })).rejects.toThrow(IncompatibleArtifactError);
    await expect(evaluateCandidate(split.test, candidate, classifier, { task: 'regression' })).rejects.toThrow('the champion cannot be used: it is a binary-classification model and this evaluation is of a regression');
    const flat = { ...prepared.train, labels: prepared.train.labels.map(() => 4) };
    await expect(trainModel({ train: flat, validation: prepared.validation, task: 'regression' }, { maxEpochs: 1 })).rejects.toThrow(TrainingError);
    await expect(trainModel({ train: flat, validation: prepared.validation, task: 'regression' }, { maxEpochs: 1 })).rejects.toThrow('every one of the 420 train labels is 4; a regression needs labels that vary');
  });
});
