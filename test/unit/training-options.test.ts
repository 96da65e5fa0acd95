import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/training/errors.js';
import { compileTrainingOptions, type TrainingOptions } from '../../src/training/training-options.js';

describe('compileTrainingOptions', () => {
  it('fills in every default', () => {
    expect(compileTrainingOptions()).toEqual({
      hiddenUnits: [32, 16],
      dropout: 0.1,
      learningRate: 0.001,
      batchSize: 256,
      maxEpochs: 50,
      patience: 5,
      minDelta: 0.0001,
      classWeight: 'balanced',
      seed: 42,
      backend: undefined,
    });
  });

  it('keeps valid values, including logistic regression and explicit class weights', () => {
    const compiled = compileTrainingOptions({ hiddenUnits: [], dropout: 0, classWeight: { negative: 1, positive: 20 }, seed: 0, backend: 'cpu', batchSize: undefined });
    expect(compiled).toMatchObject({ hiddenUnits: [], dropout: 0, classWeight: { negative: 1, positive: 20 }, seed: 0, backend: 'cpu', batchSize: 256 });
  });

  it('reports every bad or unknown option on its own line', () => {
    const options = {
      hiddenUnits: [16, 0],
      dropout: 1,
      learningRate: -0.1,
      batchSize: 1.5,
      classWeight: { negative: 1 },
      backend: 'gpu',
      epochs: 3,
    } as unknown as TrainingOptions;
    const attempt = (): unknown => compileTrainingOptions(options);
    expect(attempt).toThrow(InvalidOptionsError);
    expect(attempt).toThrow(
      [
        'invalid training options (7 problems):',
        '  hiddenUnits=[16,0]: expected an array of integers >= 1',
        '  dropout=1: expected a number >= 0 and < 1',
        '  learningRate=-0.1: expected a number > 0',
        '  batchSize=1.5: expected an integer >= 1',
        "  classWeight={\"negative\":1}: expected 'balanced', 'none' or { negative, positive } with both > 0",
        "  backend=\"gpu\": expected 'tensorflow', 'wasm' or 'cpu'",
        '  epochs=3: expected a known option (hiddenUnits, dropout, learningRate, batchSize, maxEpochs, patience, minDelta, classWeight, seed, backend)',
      ].join('\n'),
    );
  });
});
