/**
 * countTrainingExamples reads the examples through the fields the pipeline's definition names, and
 * with split fractions counts the test split exactly as the training pipeline cuts it (by event
 * time), also when that split would be refused for a missing class; and reports the split the
 * applied definition asks for.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createExampleActivities, type ExampleCount } from '../../src/activities/example-activities.js';
import type { ExampleSource } from '../../src/training/example-source.js';
import { toTrainingExample, type ExampleFields } from '../../src/training/training-example.js';
import { revisionDraftAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import { FRAUD_PIPELINE_FILE, fraudPipelineStore } from '../helpers/fraud-pipeline.js';

const pipelines = await fraudPipelineStore('fraud');

const RANGE = { topic: 'tributary.training-examples', partition: 0, fromOffset: '0', toOffset: '20' };

/** 20 examples at event times 1..20, in reverse order (the split sorts), fraud at the given times. */
function source(fraudAt: readonly number[], asked: ExampleFields[] = []): ExampleSource {
  const records = Array.from({ length: 20 }, (_, index) => 20 - index).map((time) => ({ transaction_id: `t${String(time).padStart(2, '0')}`, event_time: time, is_fraud: fraudAt.includes(time) }));
  return {
    topic: RANGE.topic,
    snapshot: async () => [],
    read: async (_ranges, fields) => {
      asked.push(fields);
      return { examples: records.map((record) => toTrainingExample(record, fields, 'here')), undecodable: [], schemaIds: [], featureJobVersions: [] };
    },
  };
}

const FRACTIONS = { train: 0.7, validation: 0.15, test: 0.15 };

describe('countTrainingExamples', () => {
  it('counts the newest 15 % as the test split: of 20 examples, event times 18-20', async () => {
    // Cuts at round(20 · 0.7) = 14 and round(20 · 0.85) = 17: the test split is the examples at 18, 19 and 20.
    const asked: ExampleFields[] = [];
    const activities = createExampleActivities({ examples: source([3, 5, 17, 19, 20], asked), pipelines, topicPrefix: 'tributary.' });
    const count = await new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], FRACTIONS, 'fraud');
    expect(count).toEqual({ examples: 20, positives: 5, undecodable: 0, testSplit: { examples: 3, positives: 2 }, definitionSplit: FRACTIONS, task: 'binary-classification' });
    expect(asked).toEqual([{ eventId: 'transaction_id', eventTime: 'event_time', label: 'is_fraud', task: 'binary-classification' }]);
  });

  it('counts a test split the pipeline would refuse (no legitimate example in it) instead of failing', async () => {
    const activities = createExampleActivities({ examples: source([3, 18, 19, 20]), pipelines, topicPrefix: 'tributary.' });
    const count: ExampleCount = await new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], FRACTIONS, 'fraud');
    expect(count.testSplit).toEqual({ examples: 3, positives: 3 });
  });

  it('counts no split when asked for none', async () => {
    const activities = createExampleActivities({ examples: source([3]), pipelines, topicPrefix: 'tributary.' });
    expect(await new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], undefined, 'fraud')).toEqual({ examples: 20, positives: 1, undecodable: 0, definitionSplit: FRACTIONS, task: 'binary-classification' });
  });

  it('reports the split the applied definition asks for, which the trigger judges a window by', async () => {
    const store = new InMemoryPipelineStore();
    const draft = revisionDraftAs(FRAUD_PIPELINE_FILE, 'fraud');
    const split = { train: 0.6, validation: 0.2, test: 0.2 };
    await store.record({ ...draft, definition: { ...draft.definition, model: { ...draft.definition.model, split } } });
    const activities = createExampleActivities({ examples: source([3]), pipelines: store, topicPrefix: 'tributary.' });
    const count: ExampleCount = await new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], undefined, 'fraud');
    expect(count.definitionSplit).toEqual(split);
  });

  it('reports a regression pipeline\'s task and no positives: its labels are values, and a label of 1 is not a positive', async () => {
    const store = new InMemoryPipelineStore();
    const draft = revisionDraftAs(FRAUD_PIPELINE_FILE, 'fraud');
    await store.record({ ...draft, definition: { ...draft.definition, model: { ...draft.definition.model, task: 'regression' } } });
    const values = [1, 2.5, 1, 7];
    const regressionSource: ExampleSource = {
      topic: RANGE.topic,
      snapshot: async () => [],
      read: async (_ranges, fields) => ({
        examples: values.map((value, index) => toTrainingExample({ transaction_id: `t${index}`, event_time: index, is_fraud: value }, fields, 'here')),
        undecodable: [],
        schemaIds: [],
        featureJobVersions: [],
      }),
    };
    const activities = createExampleActivities({ examples: regressionSource, pipelines: store, topicPrefix: 'tributary.' });
    const count: ExampleCount = await new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], undefined, 'fraud');
    expect(count).toMatchObject({ examples: 4, positives: 0, task: 'regression' });
  });

  it('refuses to count for a pipeline that was never applied, naming the command that applies it', async () => {
    const activities = createExampleActivities({ examples: source([3]), pipelines, topicPrefix: 'tributary.' });
    await expect(new MockActivityEnvironment().run(activities.countTrainingExamples, [RANGE], undefined, 'churn')).rejects.toMatchObject({
      type: 'PipelineNotAppliedError',
      nonRetryable: true,
      message: 'pipeline churn has no applied definition, so nothing says what its model reads; apply it first: `tributary pipeline apply <file>`',
    });
  });
});
