/**
 * prepareTrainingData: the fraud example's vectoriser fitted on the train split alone, train and
 * validation vectorised with it, the test split left as examples for each model's own vectoriser;
 * and training examples read from decoded records through the definition's fields.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { FRAUD_SCHEMA_DIRECTORY } from '../helpers/fraud-topics.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { ExampleFieldError, ExampleVectorError } from '../../src/training/errors.js';
import type { FeatureMatrix } from '../../src/training/feature-matrix.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { toTrainingExample } from '../../src/training/training-example.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { VectoriserFitError } from '../../src/vectoriser/errors.js';
import type { StandardisedEntry, Log1pEntry } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_EXAMPLE_FIELDS, fraudExamples, fraudVectoriserInputs } from '../helpers/fraud-pipeline.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';

function column(matrix: FeatureMatrix, index: number): number[] {
  return Array.from({ length: matrix.rowCount }, (_, row) => matrix.values[row * matrix.columnCount + index]!);
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('prepareTrainingData', () => {
  const split = splitByEventTime(fraudExamples({ count: 600, seed: 3 }));

  it('fits the vectoriser on the train split only: validation and test statistics do not leak into it', () => {
    const prepared = prepareTrainingData(split, fraudVectoriserInputs);
    // Validation and test ten thousand times larger: a spec that saw them would change.
    const inflate = (example: (typeof split.test)[number]) => ({ ...example, record: { ...example.record, txn_count_10m: (example.record.txn_count_10m as number) * 10_000 } });
    const inflated = { ...split, validation: split.validation.map(inflate), test: split.test.map(inflate) };
    const preparedFromInflated = prepareTrainingData(inflated, fraudVectoriserInputs);

    // txn_count_10m is standardised: its mean is the train split's, computed here by hand.
    const entry = prepared.spec.inputs[1] as StandardisedEntry;
    expect(entry).toMatchObject({ field: 'txn_count_10m', encoding: 'standardised' });
    expect(entry.scale.mean).toBeCloseTo(mean(split.train.map((example) => example.record.txn_count_10m as number)), 12);
    expect(preparedFromInflated.spec).toEqual(prepared.spec);
    expect(preparedFromInflated.train.features.values).toEqual(prepared.train.features.values);
    // The inflated validation counts are scaled by the train statistics, so they sit far above train's mean of 0.
    expect(mean(column(preparedFromInflated.validation.features, 1))).toBeGreaterThan(5);
  });

  it('vectorises train and validation through the fitted spec and leaves the test split as examples', () => {
    const prepared = prepareTrainingData(split, fraudVectoriserInputs);
    const amount = prepared.spec.inputs[0] as Log1pEntry;
    // log1p then standardised: the train column has mean 0.
    expect(amount).toMatchObject({ field: 'amount', encoding: 'log1p' });
    expect(mean(column(prepared.train.features, 0))).toBeCloseTo(0, 5);
    const first = split.train[0]!.record.amount as number;
    expect(prepared.train.features.values[0]).toBeCloseTo((Math.log1p(first) - amount.scale!.mean) / amount.scale!.std, 5);
    expect(prepared.train.features.columnCount).toBe(24);
    expect(prepared.test).toBe(split.test);
    expect(Array.from(prepared.validation.labels)).toEqual(split.validation.map((example) => example.label));
  });

  it('refuses a training row its inputs cannot read, naming the row and the field', () => {
    const broken = { ...split, train: split.train.map((example, index) => (index === 4 ? { ...example, record: { ...example.record, amount: 'lots' } } : example)) };
    expect(() => prepareTrainingData(broken, fraudVectoriserInputs)).toThrow(VectoriserFitError);
    expect(() => prepareTrainingData(broken, fraudVectoriserInputs)).toThrow('training row 4: amount is "lots"; expected a finite number');
  });

  it('refuses a validation example the fitted spec cannot read, naming the example', () => {
    const broken = { ...split, validation: split.validation.map((example, index) => (index === 2 ? { ...example, record: { ...example.record, is_new_device: null } } : example)) };
    expect(() => prepareTrainingData(broken, fraudVectoriserInputs)).toThrow(ExampleVectorError);
    expect(() => prepareTrainingData(broken, fraudVectoriserInputs)).toThrow(`the validation example ${split.validation[2]!.id} cannot be vectorised: is_new_device is null`);
  });
});

describe('labelledMatrixOf', () => {
  it('stacks the vectors row-major with the examples’ labels', () => {
    const vectoriser = compileVectoriser(prepareTrainingData(splitByEventTime(fraudExamples({ count: 300, seed: 1 })), fraudVectoriserInputs).spec);
    const examples = fraudExamples({ count: 3, seed: 9 });
    const { features, labels } = labelledMatrixOf(vectoriser, examples, 'test');
    expect(features).toMatchObject({ rowCount: 3, columnCount: 24 });
    const second = vectoriser.vectorise(examples[1]!.record);
    expect(second.ok && Array.from(features.values.subarray(24, 48))).toEqual(second.ok && Array.from(second.vector));
    expect(Array.from(labels)).toEqual(examples.map((example) => example.label));
  });
});

describe('toTrainingExample', () => {
  const record = { ...generateSyntheticExamples({ count: 1, seed: 2 })[0]! };

  it('reads the id, event time and label the definition names', () => {
    expect(toTrainingExample({ ...record, is_fraud: true }, FRAUD_EXAMPLE_FIELDS, 'here')).toMatchObject({ id: record.transaction_id, eventTime: record.event_time, label: 1 });
    expect(toTrainingExample({ ...record, is_fraud: false }, FRAUD_EXAMPLE_FIELDS, 'here').label).toBe(0);
    expect(toTrainingExample({ ...record, is_fraud: 1 }, FRAUD_EXAMPLE_FIELDS, 'here').label).toBe(1);
  });

  it('refuses a record without a usable label or event time, naming where it was read', () => {
    expect(() => toTrainingExample({ ...record, is_fraud: 'yes' }, FRAUD_EXAMPLE_FIELDS, 't[0]@5')).toThrow(ExampleFieldError);
    expect(() => toTrainingExample({ ...record, is_fraud: 'yes' }, FRAUD_EXAMPLE_FIELDS, 't[0]@5')).toThrow('training example at t[0]@5: is_fraud="yes", expected true, false, 1 or 0 (the label)');
    expect(() => toTrainingExample({ ...record, event_time: 1.5 }, FRAUD_EXAMPLE_FIELDS, 't[0]@6')).toThrow('training example at t[0]@6: event_time=1.5, expected epoch milliseconds (the event time)');
  });

  it('reads the synthetic records as avsc decodes them from the examples topic, whose feature fields are those of feature.avsc', () => {
    const type = (file: string) => avro.Type.forSchema(JSON.parse(readFileSync(join(FRAUD_SCHEMA_DIRECTORY, file), 'utf8')) as avro.Schema);
    const examplesType = type('training-example.avsc');
    const decoded = examplesType.fromBuffer(examplesType.toBuffer(record)) as Record<string, unknown>;
    expect(decoded).toEqual(record);
    const labelFields = new Set(['is_fraud', 'label_source', 'label_time']);
    const features = type('feature.avsc') as avro.types.RecordType;
    expect(Object.keys(record).filter((key) => !labelFields.has(key)).sort()).toEqual(features.fields.map((field) => field.name).sort());
  });
});
