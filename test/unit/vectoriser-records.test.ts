/**
 * Bad records: the compiled vectoriser never throws on one; it returns the problem (field, value,
 * why) for the scorer's dead-letter topic. And the batch form: one buffer of the good records'
 * rows, each row the same as the single vector, with the rejected records by index.
 */
import { describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import type { ModelInput } from '../../src/pipelines/pipeline-definition.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import type { VectorProblem } from '../../src/vectoriser/field-values.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';

function field(name: string, kind: string, nullable = false): [string, AvroField] {
  return [name, { name, kind, logicalType: undefined, nullable }];
}

const FIELDS = new Map([
  field('country', 'string'),
  field('amount', 'double'),
  field('gap', 'double', true),
  field('new_device', 'boolean'),
  field('level', 'int'),
  field('hour', 'int'),
]);
const INPUTS: ModelInput[] = [
  { field: 'country', encoding: 'one-hot' },
  { field: 'amount', encoding: 'raw' },
  { field: 'gap', encoding: 'raw', fillNull: 0 },
  { field: 'new_device', encoding: 'flag' },
  { field: 'level', encoding: 'hashed', buckets: 4 },
  { field: 'hour', encoding: 'cyclic', period: 'hour-of-day' },
];
const vectoriser = compileVectoriser(fitVectoriser(INPUTS, [{ country: 'DE' }, { country: 'FR' }], FIELDS));
const GOOD = { country: 'DE', amount: 12.5, gap: null, new_device: false, level: 3, hour: 6 };

function problemOf(record: unknown): VectorProblem {
  const outcome = vectoriser.vectorise(record);
  if (outcome.ok) throw new Error('the record was vectorised');
  return outcome.problem;
}

describe('a bad record is a problem, not an exception', () => {
  const cases: [string, unknown, Omit<VectorProblem, 'message'>][] = [
    ['a missing non-nullable field', { ...GOOD, amount: undefined }, { field: 'amount', value: undefined, why: 'is missing; expected a finite number' }],
    ['null in a non-nullable field', { ...GOOD, amount: null }, { field: 'amount', value: null, why: 'is null, but the field is not nullable; expected a finite number' }],
    ['NaN', { ...GOOD, amount: Number.NaN }, { field: 'amount', value: Number.NaN, why: 'is NaN; expected a finite number' }],
    ['Infinity in a nullable field', { ...GOOD, gap: Number.NEGATIVE_INFINITY }, { field: 'gap', value: Number.NEGATIVE_INFINITY, why: 'is -Infinity; expected a finite number' }],
    ['text for a number', { ...GOOD, amount: '12.5' }, { field: 'amount', value: '12.5', why: 'is "12.5"; expected a finite number' }],
    ['a number for a flag', { ...GOOD, new_device: 1 }, { field: 'new_device', value: 1, why: 'is 1; expected true or false' }],
    ['a number for a text category', { ...GOOD, country: 49 }, { field: 'country', value: 49, why: 'is 49; expected text' }],
    ['a fraction for an integer category', { ...GOOD, level: 2.5 }, { field: 'level', value: 2.5, why: 'is 2.5; expected a whole number' }],
    ['an hour out of range', { ...GOOD, hour: 24 }, { field: 'hour', value: 24, why: 'is 24; expected an hour, a whole number from 0 to 23' }],
    ['a bigint', { ...GOOD, amount: 12n }, { field: 'amount', value: 12n, why: 'is 12; expected a finite number' }],
    ['not an object', 42, { field: '(record)', value: 42, why: 'is 42; expected an object of fields' }],
    ['null for the record', null, { field: '(record)', value: null, why: 'is null; expected an object of fields' }],
    ['a list for the record', [GOOD], { field: '(record)', value: [GOOD], why: expect.stringMatching(/^is \[\{"country":"DE",.*\.\.\.; expected an object of fields$/) as unknown as string }],
  ];

  it.each(cases)('%s', (_, record, expected) => {
    const problem = problemOf(record);
    expect(problem).toEqual({ ...expected, message: `${expected.field} ${problem.why}` });
    expect(problem.message).not.toContain('\n');
  });

  it('names the first bad field of a record with several', () => {
    expect(problemOf({ ...GOOD, amount: null, hour: -1 }).field).toBe('amount');
  });

  it('shows a value that JSON cannot as String does', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(problemOf({ ...GOOD, country: cyclic }).why).toBe('is [object Object]; expected text');
  });

  it('takes an unknown category and extra fields without a problem', () => {
    const outcome = vectoriser.vectorise({ ...GOOD, country: 'ZZ', unrelated: 'anything' });
    expect(outcome.ok).toBe(true);
  });
});

describe('the batch form', () => {
  it('fills one buffer with the good records\' rows and lists the rejected ones by index', () => {
    const records = [
      GOOD,
      // Fails on amount, after its one-hot columns were written: the next record's row overwrites them.
      { ...GOOD, country: 'FR', amount: Number.NaN },
      { ...GOOD, country: 'XX', gap: 7, new_device: true, level: 8, hour: 0 },
      'not a record',
      { ...GOOD, country: 'FR', hour: 12 },
    ];
    const batch = vectoriser.vectoriseBatch(records);
    expect(batch.rowCount).toBe(3);
    expect(batch.recordIndexes).toEqual([0, 2, 4]);
    expect(batch.rejected.map(({ index, problem }) => [index, problem.field])).toEqual([
      [1, 'amount'],
      [3, '(record)'],
    ]);
    expect(batch.values).toHaveLength(3 * vectoriser.width);
    batch.recordIndexes.forEach((recordIndex, row) => {
      const single = vectoriser.vectorise(records[recordIndex]);
      if (!single.ok) throw new Error('a good record');
      expect(Array.from(batch.values.subarray(row * vectoriser.width, (row + 1) * vectoriser.width))).toEqual(Array.from(single.vector));
    });
  });

  it('returns an empty buffer for no records', () => {
    const batch = vectoriser.vectoriseBatch([]);
    expect([batch.rowCount, batch.values.length, batch.rejected]).toEqual([0, 0, []]);
  });
});
