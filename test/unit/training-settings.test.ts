/**
 * A run's settings come from the definition's model section, with the run's own options over them:
 * the fraud example states exactly the code's defaults (so the demo trains as before), a
 * definition's values are used and a run's options win, and both decision policies set the
 * threshold where hand-computed examples say they should.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDefinition } from '../../src/pipelines/pipeline-definition.js';
import { DEFAULT_SPLIT_FRACTIONS } from '../../src/training/dataset-split.js';
import { chooseThreshold } from '../../src/training/metrics.js';
import { compileTrainingOptions } from '../../src/training/training-options.js';
import { lineageOfSettings, resolveTrainingSettings, thresholdTargetOf } from '../../src/training/training-settings.js';
import { fraudDefinition } from '../helpers/fraud-pipeline.js';

const INPUTS: ModelDefinition['inputs'] = [{ field: 'amount', encoding: 'raw' }];

describe('resolveTrainingSettings', () => {
  it('reads the fraud example as the code defaults it replaces', () => {
    expect(resolveTrainingSettings(fraudDefinition.model, 3)).toEqual({
      task: 'binary-classification',
      pipelineRevision: 3,
      training: compileTrainingOptions({}),
      splitFractions: DEFAULT_SPLIT_FRACTIONS,
      minExamples: 1000,
      decision: { targetRecall: 0.8 },
      overridden: [],
    });
  });

  it('fills what a definition leaves out with the same defaults', () => {
    const bare: ModelDefinition = { task: 'binary-classification', inputs: INPUTS };
    expect(resolveTrainingSettings(bare, 1)).toEqual(resolveTrainingSettings(fraudDefinition.model, 1));
  });

  it("takes the definition's architecture, training options, decision and split, and the run's options over them", () => {
    const model: ModelDefinition = {
      task: 'binary-classification',
      inputs: INPUTS,
      architecture: { kind: 'mlp', hiddenUnits: [8], dropout: 0 },
      training: { learningRate: 0.01, batchSize: 64, maxEpochs: 20, patience: 2, minDelta: 0.001, classWeight: 'none', seed: 7, minExamples: 500 },
      decision: { maxFalsePositiveRate: 0.02 },
      split: { train: 0.6, validation: 0.2, test: 0.2 },
    };
    const fromDefinition = resolveTrainingSettings(model, 2);
    expect(fromDefinition).toEqual({
      pipelineRevision: 2,
      task: 'binary-classification',
      training: { hiddenUnits: [8], dropout: 0, learningRate: 0.01, batchSize: 64, maxEpochs: 20, patience: 2, minDelta: 0.001, classWeight: 'none', seed: 7, backend: undefined },
      splitFractions: { train: 0.6, validation: 0.2, test: 0.2 },
      minExamples: 500,
      decision: { targetFalsePositiveRate: 0.02 },
      overridden: [],
    });

    const run = resolveTrainingSettings(model, 2, { training: { maxEpochs: 12, patience: 3, seed: undefined }, minExamples: 100, splitFractions: DEFAULT_SPLIT_FRACTIONS });
    expect(run.training).toEqual({ ...fromDefinition.training, maxEpochs: 12, patience: 3 });
    expect(run).toMatchObject({ minExamples: 100, splitFractions: DEFAULT_SPLIT_FRACTIONS, decision: { targetFalsePositiveRate: 0.02 } });
    expect(run.overridden).toEqual(['minExamples', 'splitFractions', 'training.maxEpochs', 'training.patience']);
    expect(lineageOfSettings(run, { classWeights: { negative: 1, positive: 1 } })).toMatchObject({
      maxEpochs: 12,
      hiddenUnits: [8],
      classWeights: { negative: 1, positive: 1 },
      pipelineRevision: 2,
      decision: { targetFalsePositiveRate: 0.02 },
      minExamples: 100,
      overridden: ['minExamples', 'splitFractions', 'training.maxEpochs', 'training.patience'],
    });
  });

  it('refuses a merged option that is not valid, naming it', () => {
    expect(() => resolveTrainingSettings(fraudDefinition.model, 1, { training: { batchSize: 0 } })).toThrow('batchSize=0: expected an integer >= 1');
  });
});

describe('the decision policy sets the threshold', () => {
  // Three positives (0.9, 0.7, 0.5) among ten scores, seven negatives (0.8, 0.6, 0.4 … 0.05).
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
  const labels = [1, 0, 1, 0, 1, 0, 0, 0, 0, 0];

  it('targetRecall: the highest threshold flagging at least that share of positives', () => {
    // Recall 0.6 needs 2 of 3 positives: at 0.7 the flagged are 0.9 (+), 0.8 (−), 0.7 (+).
    const point = chooseThreshold(thresholdTargetOf({ targetRecall: 0.6 }), labels, scores);
    expect(point).toMatchObject({ threshold: 0.7, recall: 2 / 3, falsePositiveRate: 1 / 7, precision: 2 / 3 });
  });

  it('maxFalsePositiveRate: the lowest threshold whose false-positive rate stays within it', () => {
    // 0.3 of 7 negatives allows 2 false positives: 0.5 flags 0.8 and 0.6 among the negatives, 0.4 would add a third.
    const point = chooseThreshold(thresholdTargetOf({ maxFalsePositiveRate: 0.3 }), labels, scores);
    expect(point).toMatchObject({ threshold: 0.5, recall: 1, falsePositiveRate: 2 / 7, precision: 3 / 5 });
    // No false positive at all: only the top score, one positive of three.
    expect(chooseThreshold(thresholdTargetOf({ maxFalsePositiveRate: 0 }), labels, scores)).toMatchObject({ threshold: 0.9, recall: 1 / 3, falsePositiveRate: 0 });
  });

  it('is recall 0.8 when the definition has none', () => {
    expect(thresholdTargetOf(undefined)).toEqual({ targetRecall: 0.8 });
  });
});
