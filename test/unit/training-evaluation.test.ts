import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectTensorFlowBackend, type BackendName } from '../../src/training/backend.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { ExampleVectorError, InvalidOptionsError } from '../../src/training/errors.js';
import { evaluateCandidate, type ClassifierMetrics, type EvaluationOptions, type ModelMetrics, type ScorableModel } from '../../src/training/evaluation.js';
import { averagePrecision, brierScore, chooseThreshold, metricsAtThreshold, rocAuc } from '../../src/training/metrics.js';
import { compareOperatingPoints } from '../../src/training/operating-point-gate.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { predictScores } from '../../src/training/model.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { trainModel } from '../../src/training/training-loop.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { fraudExamples, fraudVectoriserInputs } from '../helpers/fraud-pipeline.js';

const prepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: 2000, seed: 11 })), fraudVectoriserInputs);
const data = { train: prepared.train, validation: prepared.validation };
/** The champion's own training data, from other examples: its vectoriser is fitted on other rows than the candidate's. */
const championPrepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: 2000, seed: 12 })), fraudVectoriserInputs);
const test = prepared.test;

/** A classifier's metrics, which these models' evaluations give. */
function classifier(metrics: ModelMetrics | undefined): ClassifierMetrics {
  if (metrics === undefined || metrics.task === 'regression') throw new Error(`expected a classifier's metrics, got ${JSON.stringify(metrics)}`);
  return metrics;
}

/** A model's scores of the test split through its own vectoriser, with the labels. */
async function scoresOf({ model, vectoriser }: ScorableModel): Promise<{ scores: Float32Array; labels: Float64Array }> {
  const matrix = labelledMatrixOf(vectoriser, test, 'test');
  return { scores: await predictScores(model, matrix.features), labels: matrix.labels };
}
let candidate: ScorableModel;
let champion: ScorableModel;
/** The first backend of the chain that loads on this machine: the one the evaluation must report. */
let selected: BackendName;

beforeAll(async () => {
  selected = (await selectTensorFlowBackend({ logger: { info: () => undefined, warn: () => undefined } })).name;
  const strong = await trainModel(data, { hiddenUnits: [16], learningRate: 0.01, batchSize: 128, maxEpochs: 20, patience: 3 });
  // One epoch of a two-unit network at a tiny learning rate: barely trained.
  const weak = await trainModel({ train: championPrepared.train, validation: championPrepared.validation }, { hiddenUnits: [2], learningRate: 0.0002, batchSize: 512, maxEpochs: 1, seed: 5 });
  candidate = { model: strong.model, vectoriser: prepared.vectoriser };
  champion = { model: weak.model, vectoriser: championPrepared.vectoriser };
});

afterAll(() => {
  candidate.model.dispose();
  champion.model.dispose();
});

describe('evaluateCandidate', () => {
  it('scores both models on the same test split through their own vectorisers and prefers the better one', async () => {
    const result = await evaluateCandidate(test, candidate, champion);

    const { scores: championScores, labels } = await scoresOf(champion);
    // Through the candidate's vectoriser the champion would score otherwise: the specs differ.
    const { scores: misread } = await scoresOf({ model: champion.model, vectoriser: candidate.vectoriser });
    expect(Array.from(misread)).not.toEqual(Array.from(championScores));
    expect(result.champion).toMatchObject({
      examples: labels.length,
      positives: labels.reduce((sum, label) => sum + label, 0),
      rocAuc: rocAuc(labels, championScores),
      prAuc: averagePrecision(labels, championScores),
      brierScore: brierScore(labels, championScores),
    });
    expect(classifier(result.candidate).operatingPoint.recall).toBeGreaterThanOrEqual(0.8);
    expect(result.comparison).toEqual({
      primaryMetric: 'prAuc',
      candidate: classifier(result.candidate).prAuc,
      champion: classifier(result.champion).prAuc,
      improvement: classifier(result.candidate).prAuc - classifier(result.champion).prAuc,
      minimumImprovement: 0.005,
      candidateBetter: true,
    });
    expect(result.comparison.improvement).toBeGreaterThan(0.005);
    expect(result.backend).toBe(selected);
  });

  it('does not prefer a candidate that gains less than the minimum improvement', async () => {
    const tie = await evaluateCandidate(test, candidate, candidate, { primaryMetric: 'rocAuc' });
    expect(tie.comparison).toMatchObject({ primaryMetric: 'rocAuc', improvement: 0, candidateBetter: false });
    const anyGain = await evaluateCandidate(test, candidate, candidate, { primaryMetric: 'rocAuc', minimumImprovement: 0 });
    expect(anyGain.comparison.candidateBetter).toBe(true);
  });

  it('counts a lower Brier score as the improvement', async () => {
    const result = await evaluateCandidate(test, candidate, champion, { primaryMetric: 'brierScore', minimumImprovement: 0 });
    expect(result.comparison.improvement).toBe(classifier(result.champion).brierScore - classifier(result.candidate).brierScore);
    expect(result.comparison.candidateBetter).toBe(classifier(result.candidate).brierScore <= classifier(result.champion).brierScore);
  });

  it('prefers any candidate when there is no champion', async () => {
    const result = await evaluateCandidate(test, champion);
    expect(result.champion).toBeUndefined();
    expect(result.comparison).toMatchObject({ champion: undefined, improvement: undefined, candidateBetter: true });
  });

  it('reports the operating point asked for', async () => {
    const result = await evaluateCandidate(test, candidate, undefined, { operatingPoint: { targetFalsePositiveRate: 0.05 } });
    expect(classifier(result.candidate).operatingPoint.falsePositiveRate).toBeLessThanOrEqual(0.05);
  });

  it('measures a champion at the threshold it serves with and compares the operating points on the same examples', async () => {
    const { scores: candidateScores, labels } = await scoresOf(candidate);
    const { scores: championScores } = await scoresOf(champion);
    const serving = { ...champion, threshold: championScores[0]! };
    const gate = { maxWorse: { falsePositiveRate: 0.02 }, alpha: 0.1, minPositives: 1 };
    const result = await evaluateCandidate(test, candidate, serving, { operatingPointGate: gate });

    const servingPoint = metricsAtThreshold(labels, championScores, serving.threshold);
    expect(classifier(result.champion).servingPoint).toEqual(servingPoint);
    expect(classifier(result.candidate).servingPoint).toBeUndefined();
    expect(result.operatingPoints).toEqual(compareOperatingPoints({ targetRecall: 0.8 }, chooseThreshold({ targetRecall: 0.8 }, labels, candidateScores), servingPoint, gate));
    // Without a serving threshold there is nothing to compare at.
    expect((await evaluateCandidate(test, candidate, champion)).operatingPoints).toBeUndefined();
  });

  it('refuses a champion whose vectoriser cannot read a test example, naming the example and the field', async () => {
    // The champion's spec reads a field the test records do not have.
    const spec = championPrepared.spec;
    const rename = (name: string): string => (name === 'is_new_device' ? 'is_known_device' : name);
    const renamed = { ...spec, inputs: spec.inputs.map((entry) => ({ ...entry, field: rename(entry.field) })), columns: spec.columns.map(rename) };
    const stale: ScorableModel = { model: champion.model, vectoriser: compileVectoriser(renamed) };
    await expect(evaluateCandidate(test, candidate, stale)).rejects.toThrow(ExampleVectorError);
    await expect(evaluateCandidate(test, candidate, stale)).rejects.toThrow(`the test example ${test[0]!.id} cannot be vectorised: is_known_device is missing; expected true or false`);
  });

  it('lists every bad option', async () => {
    const options = {
      primaryMetric: 'accuracy',
      minimumImprovement: -1,
      operatingPoint: { targetRecall: 2 },
      batchSize: 0,
      threshold: 0.5,
      operatingPointGate: { maxWorse: { recall: 1 }, minPositives: 0 },
    } as unknown as EvaluationOptions;
    const attempt = evaluateCandidate(test, candidate, undefined, options);
    await expect(attempt).rejects.toThrow(InvalidOptionsError);
    await expect(evaluateCandidate(test, candidate, undefined, options)).rejects.toThrow(
      [
        'invalid evaluation options (7 problems):',
        '  threshold=0.5: expected a known option (task, primaryMetric, minimumImprovement, operatingPoint, batchSize, operatingPointGate)',
        "  primaryMetric=\"accuracy\": expected a binary-classification metric: 'rocAuc', 'prAuc', 'brierScore'",
        '  minimumImprovement=-1: expected a number >= 0',
        '  operatingPoint={"targetRecall":2}: expected { targetRecall } above 0 and at most 1, or { targetFalsePositiveRate } at least 0 and below 1',
        '  batchSize=0: expected an integer >= 1',
        '  operatingPointGate.maxWorse.recall=1: expected a rate difference from 0 to below 1',
        '  operatingPointGate.minPositives=0: expected an integer >= 1',
      ].join('\n'),
    );
  });
});
