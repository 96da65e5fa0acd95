/**
 * pipeline.schema.json and the TypeScript types of src/pipelines/pipeline-definition.ts are
 * written separately; these tests keep them in step. Two definitions typed as
 * PipelineDefinition (so the compiler refuses a field the types lack) set every field the schema
 * declares between them, and the schema must accept both (it refuses a field it lacks). The
 * schema's defaults are checked against the code that applies them today.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_HORIZON_MS } from '../../src/flink/jar-feature-job.js';
import { DEFAULT_SERVE_AS, type PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { checkAgainstSchema, PIPELINE_SCHEMA } from '../../src/pipelines/schema-check.js';
import { DEFAULT_SPLIT_FRACTIONS } from '../../src/training/dataset-split.js';
import { compileTrainingOptions } from '../../src/training/training-options.js';
import { DEFAULT_GUARDRAILS, ROLLOUT_PRESETS } from '../../src/workflows/ab-rollout-plan.js';

/** A classifier with a jar feature job, every optional field set. */
const EVERYTHING_CLASSIFIER: PipelineDefinition = {
  name: 'churn',
  description: 'Which subscribers leave within 30 days.',
  owner: 'growth-ml',
  sources: [{ topic: 'sessions', schema: 'sessions.avsc', entityKey: 'subscriber_id', eventTime: 'event_time', pii: ['email'], maxOutOfOrderness: '5s' }],
  features: {
    topic: 'churn-features',
    schema: 'features.avsc',
    entityKey: 'subscriber_hash',
    eventId: 'session_id',
    eventTime: 'event_time',
    job: { kind: 'jar', name: 'churn-features', jar: 'job/target/job.jar', mainClass: 'com.example.ChurnFeatures', args: ['--window', '30d'], build: { maven: 'job', inputs: ['schemas'] } },
    parallelism: 2,
    checkpointing: { interval: '10s', mode: 'exactly-once' },
  },
  labels: { topic: 'cancellations', schema: 'labels.avsc', joinKey: 'session_id', field: 'cancelled', eventTime: 'label_time', horizon: '30d' },
  model: {
    task: 'binary-classification',
    inputs: [
      { field: 'sessions_7d', encoding: 'raw', fillNull: 0, missingIndicator: true },
      { field: 'minutes_7d', encoding: 'standardised' },
      { field: 'spend_30d', encoding: 'log1p', standardise: false },
      { field: 'age', encoding: 'clipped', min: 18, max: 90, standardise: true },
      { field: 'has_discount', encoding: 'flag', fillNull: false },
      { field: 'plan', encoding: 'one-hot', maxCategories: 20, minCount: 5 },
      { field: 'region', encoding: 'hashed', buckets: 32 },
      { field: 'weekday', encoding: 'cyclic', period: 'day-of-week' },
      { field: 'last_complaint', encoding: 'missing-indicator' },
    ],
    architecture: { kind: 'mlp', hiddenUnits: [16], dropout: 0.2 },
    training: { learningRate: 0.01, batchSize: 128, maxEpochs: 20, patience: 3, minDelta: 0.001, classWeight: { negative: 1, positive: 10 }, seed: 7, minExamples: 500 },
    decision: { maxFalsePositiveRate: 0.05 },
    split: { train: 0.6, validation: 0.2, test: 0.2 },
    serveAs: 'tfjs',
  },
  gates: { minRocAuc: 0.75, minPrAuc: 0.2, minRecall: 0.5, maxFalsePositiveRate: 0.1, primaryMetric: 'rocAuc', minImprovement: 0.01 },
  trigger: { threshold: 5000, minPositives: 50, cooldown: '1h', pollInterval: '1m' },
  schedule: { cron: '0 3 * * 1', overlap: 'buffer-one' },
  rollout: {
    plan: {
      steps: [
        { mode: 'SHADOW', percent: 0, minSamples: 500, minDuration: '1h' },
        { mode: 'SPLIT', percent: 25, minSamples: 1000, minDuration: '2h' },
      ],
      guardrails: {
        maxWorse: { recall: 0.05, falsePositiveRate: 0.01, precision: 0.05 },
        alpha: 0.05,
        minTrials: 30,
        maxLatencyP99OverChampionMs: 250,
        maxLatencyP99Ms: null,
        minScoresForLatency: 100,
        maxDlqRate: 0.02,
        minRecordsForDlqRate: 100,
      },
      promotion: { metric: 'precision', alpha: 0.01, lastStepOnly: false },
      autoPromote: false,
      decisionTimeout: '12h',
      defaultAction: 'promote',
      pollInterval: '30s',
    },
  },
  drift: { interval: '10m', featurePsiThreshold: 0.2, scorePsiThreshold: 0.3, liveRecords: 1000, referenceRecords: 4000, minLiveRecords: 200, cooldown: '2h' },
  serving: { delivery: 'at-least-once', batchSize: 1000, partitionsConsumedConcurrently: 6, maxRetryDelay: '5s' },
  topics: { trainingExamples: 'churn.examples', scores: 'churn.scores', dlq: 'churn.dead-letters' },
};

/** A regression model with a Flink SQL job: the fields the classifier cannot set. */
const EVERYTHING_REGRESSION: PipelineDefinition = {
  ...EVERYTHING_CLASSIFIER,
  $schema: '../../src/pipelines/pipeline.schema.json',
  features: { ...EVERYTHING_CLASSIFIER.features, job: { kind: 'sql', file: 'features.sql' } },
  model: {
    task: 'regression',
    inputs: [{ field: 'minutes_7d', encoding: 'standardised' }],
    trainer: { kind: 'python', taskQueue: 'churn-python', timeout: '10m', heartbeatTimeout: '30s', attempts: 2, options: { maxDepth: 3 } },
  },
  gates: { maxMae: 5, maxRmse: 8, minR2: 0.3, primaryMetric: 'mae', minImprovement: 0.1 },
  rollout: { plan: { guardrails: { maxWorse: { mae: 1, rmse: 2 } }, promotion: { metric: 'rmse' } } },
};

type SchemaNode = Record<string, unknown>;

/**
 * Every property the schema declares (`name@n`, as a name may be declared in several places), with
 * its schema. Conditions (`if`/`then`/`else`) only narrow properties declared elsewhere.
 */
function declaredProperties(node: unknown, into = new Map<string, SchemaNode>()): Map<string, SchemaNode> {
  if (Array.isArray(node)) node.forEach((item) => declaredProperties(item, into));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as SchemaNode)) {
      if (key === 'if' || key === 'then' || key === 'else') continue;
      if (key === 'properties') for (const [name, property] of Object.entries(value as SchemaNode)) into.set(`${name}@${into.size}`, property as SchemaNode);
      declaredProperties(value, into);
    }
  }
  return into;
}

/** Every key used anywhere in a value. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => keysOf(item, into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      keysOf(inner, into);
    }
  }
  return into;
}

const definitions = PIPELINE_SCHEMA.definitions as Record<string, SchemaNode>;
const propertiesOf = (definition: string): Record<string, SchemaNode> => definitions[definition]!.properties as Record<string, SchemaNode>;

/** The other decision policy. */
const TARGET_RECALL: PipelineDefinition = { ...EVERYTHING_CLASSIFIER, model: { ...EVERYTHING_CLASSIFIER.model, decision: { targetRecall: 0.9 } } };

describe('pipeline.schema.json and the PipelineDefinition types', () => {
  it.each([
    ['classifier', EVERYTHING_CLASSIFIER],
    ['regression', EVERYTHING_REGRESSION],
    ['target-recall', TARGET_RECALL],
  ])('the schema accepts a %s definition with every field set', (_, definition) => {
    expect(checkAgainstSchema(definition)).toEqual([]);
  });

  it('every field the schema declares is set by one of the typed definitions', () => {
    const used = new Set([EVERYTHING_CLASSIFIER, EVERYTHING_REGRESSION, TARGET_RECALL].flatMap((definition) => [...keysOf(definition)]));
    const declared = [...declaredProperties(PIPELINE_SCHEMA).keys()].map((key) => key.slice(0, key.lastIndexOf('@')));
    expect(declared.filter((name) => !used.has(name))).toEqual([]);
  });

  it('describes every field for editors, except the tags that pick a branch', () => {
    // A reference is described where it points to, which is what editors show.
    const undescribed = [...declaredProperties(PIPELINE_SCHEMA).entries()].filter(
      ([, property]) => property.description === undefined && property.const === undefined && property.$ref === undefined,
    );
    expect(undescribed.map(([key]) => key.slice(0, key.lastIndexOf('@')))).toEqual([]);
  });
});

describe('the schema\'s defaults are the code\'s', () => {
  it('training options and architecture', () => {
    const compiled = compileTrainingOptions({});
    const training = propertiesOf('model').training as SchemaNode;
    const trainingDefaults = Object.fromEntries(Object.entries(training.properties as Record<string, SchemaNode>).map(([name, property]) => [name, property.default]));
    expect(trainingDefaults).toEqual({
      learningRate: compiled.learningRate,
      batchSize: compiled.batchSize,
      maxEpochs: compiled.maxEpochs,
      patience: compiled.patience,
      minDelta: compiled.minDelta,
      classWeight: compiled.classWeight,
      seed: compiled.seed,
      // The training pipeline's DEFAULT_MIN_EXAMPLES, not a training-loop option.
      minExamples: 1000,
    });
    expect((propertiesOf('model').architecture as SchemaNode).default).toEqual({ kind: 'mlp', hiddenUnits: compiled.hiddenUnits, dropout: compiled.dropout });
  });

  it('the split', () => {
    expect((propertiesOf('model').split as SchemaNode).default).toEqual(DEFAULT_SPLIT_FRACTIONS);
  });

  it('the runtime a trained network is served with', () => {
    expect((propertiesOf('model').serveAs as SchemaNode).default).toBe(DEFAULT_SERVE_AS);
  });

  it('the label horizon', () => {
    expect((propertiesOf('labels').horizon as SchemaNode).default).toBe('7d');
    expect(7 * 24 * 60 * 60 * 1000).toBe(DEFAULT_LABEL_HORIZON_MS);
  });

  it('the rollout guardrails', () => {
    const guardrails = propertiesOf('rolloutPlan').guardrails as SchemaNode;
    // maxWorse's default depends on the task; the schema describes it in words.
    const schemaDefaults = Object.fromEntries(Object.entries(guardrails.properties as Record<string, SchemaNode>).filter(([name]) => name !== 'maxWorse').map(([name, property]) => [name, property.default]));
    const codeDefaults = Object.fromEntries(Object.entries(DEFAULT_GUARDRAILS).filter(([name]) => name !== 'maxWorse'));
    expect(schemaDefaults).toEqual(codeDefaults);
  });

  it('the rollout presets', () => {
    const plan = (propertiesOf('rollout').plan as { then: { enum: string[] } }).then.enum;
    expect(plan).toEqual(Object.keys(ROLLOUT_PRESETS));
  });
});
