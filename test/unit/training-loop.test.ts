import { getBackend, memory, type LayersModel } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTensorFlowBackend, type BackendName } from '../../src/training/backend.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { IncompatibleArtifactError, InvalidOptionsError, TrainingError } from '../../src/training/errors.js';
import { evaluateCandidate, type ClassifierMetrics } from '../../src/training/evaluation.js';
import { predictScores } from '../../src/training/model.js';
import { fraudExamples, fraudVectoriserInputs } from '../helpers/fraud-pipeline.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { trainModel, type EpochReport, type TrainingCheckpoint, type TrainingData } from '../../src/training/training-loop.js';
import type { TrainingOptions } from '../../src/training/training-options.js';

const quietLogger = { info: () => undefined, warn: () => undefined };

/** 3000 synthetic examples, about 5 % planted fraud: 2100 train, 450 validation, 450 test. */
const prepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: 3000, seed: 7 })), fraudVectoriserInputs);
const data: TrainingData = { train: prepared.train, validation: prepared.validation };

/** Small and quick: a few epochs of 128-example batches. */
const FAST: TrainingOptions = { hiddenUnits: [16, 8], learningRate: 0.01, batchSize: 128, maxEpochs: 30, patience: 4 };

function weightsOf(model: LayersModel): number[][] {
  return model.getWeights().map((weight) => Array.from(weight.dataSync()));
}

/** The first backend of the chain that loads on this machine: the one training must report. */
let selected: BackendName;

beforeAll(async () => {
  selected = (await selectTensorFlowBackend({ logger: quietLogger })).name;
});

describe('trainModel', () => {
  it('learns the planted fraud pattern on the selected backend: ROC-AUC above 0.9 on the test split', async () => {
    const reports: EpochReport[] = [];
    const result = await trainModel(data, FAST, { onEpochEnd: (report) => void reports.push(report) });
    try {
      const evaluation = await evaluateCandidate(prepared.test, { model: result.model, vectoriser: prepared.vectoriser });

      expect(evaluation.candidate).toMatchObject({ task: 'binary-classification', rocAuc: expect.any(Number) as number });
      expect((evaluation.candidate as ClassifierMetrics).rocAuc).toBeGreaterThan(0.9);
      expect(result.backend).toBe(selected);
      expect(getBackend()).toBe(selected);
      expect(result.trainSamplesPerSecond).toBeGreaterThan(0);
      // Balanced: 2100 examples, 97 of them fraud → 2100/(2·2003) and 2100/(2·97).
      expect(result.classWeights?.negative).toBeCloseTo(2100 / (2 * 2003), 12);
      expect(result.classWeights?.positive).toBeCloseTo(2100 / (2 * 97), 12);
      expect(reports.map((report) => report.epoch)).toEqual(Array.from({ length: result.completedEpochs }, (_, index) => index + 1));
      expect(result.history.map((summary) => summary.epoch)).toEqual(reports.map((report) => report.epoch));
      expect(reports.at(-1)).toMatchObject({ finalEpoch: true, maxEpochs: 30, bestEpoch: result.bestEpoch, bestValidationLoss: result.bestValidationLoss });
      expect(reports.slice(0, -1).every((report) => !report.finalEpoch)).toBe(true);
    } finally {
      result.model.dispose();
    }
  });

  it('stops early on a validation-loss plateau and restores the best weights', async () => {
    // Labels independent of the features: nothing to learn, so the validation loss stops improving.
    const shuffledLabels = (labels: Float64Array, seed: number): Float64Array => labels.map((_, index) => ((index * 7919 + seed) % 23 === 0 ? 1 : 0));
    const noise: TrainingData = {
      train: { features: data.train.features, labels: shuffledLabels(data.train.labels, 1) },
      validation: { features: data.validation.features, labels: shuffledLabels(data.validation.labels, 5) },
    };
    const result = await trainModel(noise, { ...FAST, maxEpochs: 50, patience: 2, learningRate: 0.03 });
    try {
      expect(result.stoppedEarly).toBe(true);
      expect(result.completedEpochs).toBeLessThan(50);
      expect(result.completedEpochs).toBe(result.bestEpoch + 2);
      // The returned model scores the validation split with the best epoch's loss, not the last one's.
      const scores = await predictScores(result.model, noise.validation.features);
      const labels = noise.validation.labels;
      const loss = -labels.reduce((sum, label, index) => {
        const probability = Math.min(Math.max(scores[index]!, 1e-7), 1 - 1e-7);
        return sum + (label === 1 ? Math.log(probability) : Math.log(1 - probability));
      }, 0) / labels.length;
      expect(loss).toBeCloseTo(result.bestValidationLoss, 4);
      expect(result.history.at(-1)!.validationLoss).not.toBeCloseTo(result.bestValidationLoss, 4);
    } finally {
      result.model.dispose();
    }
  });

  it('resumes from the checkpoint of epoch 2 and continues with epochs 3 and 4 as the uninterrupted run did', async () => {
    const options: TrainingOptions = { ...FAST, maxEpochs: 4, patience: 10 };
    let checkpoint: TrainingCheckpoint | undefined;
    const uninterrupted = await trainModel(data, options, {
      onEpochEnd: async (report) => {
        if (report.epoch === 2) checkpoint = JSON.parse(JSON.stringify(await report.checkpoint())) as TrainingCheckpoint;
      },
    });
    const resumed = await trainModel(data, options, { resumeFrom: checkpoint });
    try {
      expect(checkpoint?.completedEpochs).toBe(2);
      expect(resumed.history.map((summary) => summary.epoch)).toEqual([3, 4]);
      expect(resumed.completedEpochs).toBe(4);
      resumed.history.forEach((summary, index) => {
        expect(summary.validationLoss).toBeCloseTo(uninterrupted.history[index + 2]!.validationLoss, 5);
      });
      expect(resumed.bestEpoch).toBe(uninterrupted.bestEpoch);
      const expected = weightsOf(uninterrupted.model).flat();
      weightsOf(resumed.model).flat().forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 4));
    } finally {
      uninterrupted.model.dispose();
      resumed.model.dispose();
    }
  });

  it('produces identical weights from the same seed, and different ones from another seed', async () => {
    const options: TrainingOptions = { ...FAST, maxEpochs: 2 };
    const first = await trainModel(data, options);
    const second = await trainModel(data, options);
    const otherSeed = await trainModel(data, { ...options, seed: 43 });
    try {
      expect(weightsOf(second.model)).toEqual(weightsOf(first.model));
      expect(weightsOf(otherSeed.model)).not.toEqual(weightsOf(first.model));
    } finally {
      [first, second, otherSeed].forEach((result) => result.model.dispose());
    }
  });

  it('leaves no tensor behind after training, resuming, predicting, evaluating and a failed run', async () => {
    const baseline = memory().numTensors;
    let checkpoint: TrainingCheckpoint | undefined;
    const trained = await trainModel(data, { ...FAST, maxEpochs: 2 }, { onEpochEnd: async (report) => void (checkpoint = await report.checkpoint()) });
    trained.model.dispose();
    const resumed = await trainModel(data, { ...FAST, maxEpochs: 3 }, { resumeFrom: checkpoint });
    await predictScores(resumed.model, data.validation.features, 64);
    await evaluateCandidate(prepared.test, { model: resumed.model, vectoriser: prepared.vectoriser }, { model: resumed.model, vectoriser: prepared.vectoriser });
    resumed.model.dispose();
    const stopped = trainModel(data, FAST, {
      onEpochEnd: () => {
        throw new Error('cancelled by the activity');
      },
    });
    await expect(stopped).rejects.toThrow('cancelled by the activity');

    expect(memory().numTensors).toBe(baseline);
  });

  it('refuses a checkpoint taken after its epoch has moved on', async () => {
    let late: EpochReport | undefined;
    const result = await trainModel(data, { ...FAST, maxEpochs: 1 }, { onEpochEnd: (report) => void (late = report) });
    result.model.dispose();
    await expect(late!.checkpoint()).rejects.toThrow(TrainingError);
    await expect(late!.checkpoint()).rejects.toThrow('the checkpoint of epoch 1 was asked for after training moved on; take it inside onEpochEnd');
  });

  it('refuses a checkpoint of another architecture', async () => {
    let checkpoint: TrainingCheckpoint | undefined;
    const result = await trainModel(data, { ...FAST, maxEpochs: 1 }, { onEpochEnd: async (report) => void (checkpoint = await report.checkpoint()) });
    result.model.dispose();
    const attempt = trainModel(data, { ...FAST, hiddenUnits: [4] }, { resumeFrom: checkpoint });
    await expect(attempt).rejects.toThrow(IncompatibleArtifactError);
    await expect(trainModel(data, { ...FAST, hiddenUnits: [4] }, { resumeFrom: checkpoint })).rejects.toThrow(
      "the checkpoint's weights cannot be used: its shapes are [24x16, 16, 16x8, 8, 8x1, 1], the model's are [24x4, 4, 4x1, 1]",
    );
  });

  it('refuses bad options before touching any tensor', async () => {
    const baseline = memory().numTensors;
    await expect(trainModel(data, { batchSize: 0 })).rejects.toThrow(InvalidOptionsError);
    expect(memory().numTensors).toBe(baseline);
  });

  it('refuses data with a non-finite value, naming the split, row and column', async () => {
    const values = Float32Array.from(data.validation.features.values);
    values[2 * 24 + 5] = Number.NaN;
    const broken: TrainingData = { ...data, validation: { ...data.validation, features: { ...data.validation.features, values } } };
    await expect(trainModel(broken, FAST)).rejects.toThrow('the validation data holds NaN at row 2, column 5; vectorised features must be finite');
  });
});
