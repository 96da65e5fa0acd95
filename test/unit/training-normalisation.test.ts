import { describe, expect, it } from 'vitest';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { IncompatibleArtifactError } from '../../src/training/errors.js';
import { FEATURE_COLUMNS, FEATURE_VECTOR_WIDTH, toLabelledMatrix, type FeatureMatrix } from '../../src/training/feature-vector.js';
import { fitNormaliser, normalise, parseNormaliserStats } from '../../src/training/normalisation.js';
import { generateSyntheticExamples } from '../../src/training/synthetic-examples.js';
import { prepareTrainingData } from '../../src/training/training-data.js';

/** A matrix of the current layout whose rows start with the given values; the remaining columns are 0. */
function matrixOf(rows: readonly (readonly number[])[]): FeatureMatrix {
  const values = new Float32Array(rows.length * FEATURE_VECTOR_WIDTH);
  rows.forEach((row, index) => values.set(row, index * FEATURE_VECTOR_WIDTH));
  return { featureVectorVersion: 1, rowCount: rows.length, columnCount: FEATURE_VECTOR_WIDTH, values };
}

const column = (matrix: FeatureMatrix, index: number): number[] =>
  Array.from({ length: matrix.rowCount }, (_, row) => matrix.values[row * matrix.columnCount + index]!);

describe('z-score normaliser', () => {
  const train = matrixOf([
    [1, 5],
    [2, 5],
    [3, 5],
  ]);

  it('fits the population mean and std of each column', () => {
    const stats = fitNormaliser(train);
    expect(stats.featureVectorVersion).toBe(1);
    expect(stats.columns).toEqual(FEATURE_COLUMNS);
    expect(stats.mean[0]).toBeCloseTo(2, 12);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 7);
    expect(stats.mean[1]).toBeCloseTo(5, 12);
  });

  it('gives a constant column std 1: training values become 0, a new value shows its raw offset', () => {
    const stats = fitNormaliser(train);
    expect(stats.std[1]).toBe(1);
    expect(stats.std[2]).toBe(1);
    expect(column(normalise(train, stats), 1)).toEqual([0, 0, 0]);
    expect(column(normalise(matrixOf([[2, 7]]), stats), 1)).toEqual([2]);
  });

  it('maps training rows to mean 0 and std 1, and other rows by the training statistics', () => {
    const stats = fitNormaliser(train);
    const scaled = column(normalise(train, stats), 0);
    expect(scaled[0]).toBeCloseTo(-Math.sqrt(3 / 2), 5);
    expect(scaled[1]).toBeCloseTo(0, 6);
    expect(scaled[2]).toBeCloseTo(Math.sqrt(3 / 2), 5);
    expect(column(normalise(matrixOf([[10, 5]]), stats), 0)[0]).toBeCloseTo(8 / Math.sqrt(2 / 3), 4);
  });

  it('survives a JSON round trip unchanged', () => {
    const stats = fitNormaliser(train);
    const restored = parseNormaliserStats(JSON.parse(JSON.stringify(stats)));
    expect(restored).toEqual(stats);
    expect(normalise(train, restored).values).toEqual(normalise(train, stats).values);
  });

  it('refuses statistics of another layout or with unusable values, saying what is wrong', () => {
    const stats = fitNormaliser(train);
    const parse = (changes: object) => (): unknown => parseNormaliserStats({ ...stats, ...changes });
    expect(parse({ featureVectorVersion: 2 })).toThrow(IncompatibleArtifactError);
    expect(parse({ featureVectorVersion: 2 })).toThrow('the normaliser JSON cannot be used: it is for feature vector version 2, this build vectorises version 1');
    expect(parse({ std: [0, ...stats.std.slice(1)] })).toThrow('the normaliser JSON cannot be used: std holds a value that is not above 0');
    expect(parse({ mean: [1, 2] })).toThrow('the normaliser JSON cannot be used: mean must be an array of 24 numbers');
    expect(() => parseNormaliserStats('{}')).toThrow('the normaliser JSON cannot be used: it is not an object');
  });

  it('refuses a matrix of another width', () => {
    const narrow: FeatureMatrix = { featureVectorVersion: 1, rowCount: 1, columnCount: 3, values: new Float32Array(3) };
    expect(() => normalise(narrow, fitNormaliser(train))).toThrow(
      'the feature matrix cannot be used: it has feature vector version 1 with 3 columns, this build expects version 1 with 24',
    );
  });
});

describe('prepareTrainingData', () => {
  const split = splitByEventTime(generateSyntheticExamples({ count: 600, seed: 3 }));

  it('fits the normaliser on the train split only: validation and test statistics do not leak into it', () => {
    const prepared = prepareTrainingData(split);
    // Validation and test ten thousand times larger: a normaliser that saw them would change.
    const inflated = {
      ...split,
      validation: split.validation.map((example) => ({ ...example, amount: example.amount * 10_000 })),
      test: split.test.map((example) => ({ ...example, amount: example.amount * 10_000 })),
    };
    const preparedFromInflated = prepareTrainingData(inflated);

    expect(prepared.normaliser).toEqual(fitNormaliser(toLabelledMatrix(split.train).features));
    expect(preparedFromInflated.normaliser).toEqual(prepared.normaliser);
    expect(preparedFromInflated.train.features.values).toEqual(prepared.train.features.values);
    // The inflated validation amounts are scaled by the train statistics, so they sit far above train's mean of 0.
    const amounts = column(preparedFromInflated.validation.features, 0);
    expect(amounts.reduce((sum, value) => sum + value, 0) / amounts.length).toBeGreaterThan(5);
  });

  it('normalises train and validation and leaves the test split raw for each model to normalise', () => {
    const prepared = prepareTrainingData(split);
    const trainAmounts = column(prepared.train.features, 0);
    expect(trainAmounts.reduce((sum, value) => sum + value, 0) / trainAmounts.length).toBeCloseTo(0, 5);
    expect(prepared.rawTest).toEqual(toLabelledMatrix(split.test));
    expect(Array.from(prepared.validation.labels)).toEqual(split.validation.map((example) => (example.is_fraud ? 1 : 0)));
  });
});
