/**
 * inputMismatch: whether a fitted spec can read a features schema's records — each entry's field
 * present, of a type its encoding reads, and not nullable where the entry was fitted without nulls.
 * The fraud example's spec against its own schema has none; hand-made schemas each break one rule.
 */
import { describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import { inputMismatch } from '../../src/vectoriser/schema-compatibility.js';
import { columnsOf, VECTORISER_LAYOUT_VERSION, type SpecEntry, type VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_FEATURE_FIELDS, fraudSpec } from '../helpers/fraud-pipeline.js';

const field = (name: string, kind: string, nullable = false, logicalType?: string): [string, AvroField] => [name, { name, kind, nullable, logicalType }];
const specOf = (...inputs: SpecEntry[]): VectoriserSpec => ({ layoutVersion: VECTORISER_LAYOUT_VERSION, inputs, columns: inputs.flatMap(columnsOf) });

const amount: SpecEntry = { field: 'amount', encoding: 'log1p', scale: { mean: 3, std: 1 }, nulls: null };
const device: SpecEntry = { field: 'is_new_device', encoding: 'flag', nulls: null };
const category: SpecEntry = { field: 'category', encoding: 'one-hot', values: 'string', nullable: false, vocabulary: ['grocery'] };
const hour: SpecEntry = { field: 'event_time', encoding: 'cyclic', period: 'hour-of-day', source: 'epoch-millis', nulls: null };
const gap: SpecEntry = { field: 'gap', encoding: 'missing-indicator' };

describe('inputMismatch', () => {
  it('finds nothing wrong with the fraud example’s spec against schemas/feature.avsc', () => {
    expect(inputMismatch(fraudSpec(), FRAUD_FEATURE_FIELDS)).toBeUndefined();
  });

  it('accepts every encoding on a schema that has its field as it reads it, a nullable field under a missing indicator included', () => {
    const fields = new Map([field('amount', 'double'), field('is_new_device', 'boolean'), field('category', 'enum'), field('event_time', 'long', false, 'timestamp-millis'), field('gap', 'double', true)]);
    expect(inputMismatch(specOf(amount, device, category, hour, gap), fields)).toBeUndefined();
  });

  it('names the first input whose field the schema does not have', () => {
    expect(inputMismatch(specOf(device, amount), new Map([field('is_new_device', 'boolean')]))).toEqual({ field: 'amount', problem: 'reads "amount" (log1p), which is not a field of the schema' });
  });

  it('names a field of a type the encoding does not read', () => {
    expect(inputMismatch(specOf(amount), new Map([field('amount', 'string')]))).toEqual({ field: 'amount', problem: 'reads "amount" (log1p) as int, long, float or double; the schema has it as string' });
    expect(inputMismatch(specOf(device), new Map([field('is_new_device', 'int')]))).toEqual({ field: 'is_new_device', problem: 'reads "is_new_device" (flag) as boolean; the schema has it as int' });
    expect(inputMismatch(specOf(category), new Map([field('category', 'long')]))).toEqual({ field: 'category', problem: 'reads "category" (one-hot) as string or enum; the schema has it as long' });
  });

  it('names a cycle read from a timestamp where the schema now holds a plain number', () => {
    expect(inputMismatch(specOf(hour), new Map([field('event_time', 'long')]))).toEqual({
      field: 'event_time',
      problem: 'reads "event_time" (cyclic) from an epoch-millis timestamp; the schema has it as a plain number',
    });
  });

  it('names a field the schema made nullable that the model was fitted on as never null', () => {
    expect(inputMismatch(specOf(amount), new Map([field('amount', 'double', true)]))).toEqual({
      field: 'amount',
      problem: 'reads "amount" (log1p) as never null, as it was in training; the schema makes it nullable, and every null would be dead-lettered',
    });
    const filled: SpecEntry = { ...amount, nulls: { fill: 0, indicator: true } } as SpecEntry;
    expect(inputMismatch(specOf(filled), new Map([field('amount', 'double', true)]))).toBeUndefined();
  });
});
