/**
 * JSON lines against an Avro schema, as `tributary produce` reads them: each kind of mistake
 * gives its exact sentence, and each JSON convenience (plain or Avro-encoded unions, ISO-8601
 * timestamps, bytes as text) encodes to the value a plain avsc reader decodes.
 */
import avro, { type Schema } from 'avsc';
import { describe, expect, it } from 'vitest';
import { jsonRecordType, keyFieldProblem, readJsonRecord } from '../../src/streaming/json-records.js';

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'test.shop',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'placed_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } }, default: [] },
    { name: 'courier', type: ['null', { type: 'record', name: 'Courier', fields: [{ name: 'id', type: 'long' }] }], default: null },
    { name: 'rank', type: ['null', 'int', 'long'], default: null },
    { name: 'tags', type: { type: 'map', values: 'long' }, default: {} },
    { name: 'signature', type: ['null', 'bytes'], default: null },
  ],
} as const;

const type = jsonRecordType(ORDER as unknown as Schema);
/** The registered schema read as any consumer reads it: no logical type classes, timestamps as plain longs. */
const plainReader = avro.Type.forSchema(ORDER as unknown as Schema);
const VALID = { order_id: 'o-1', amount: 12.5, placed_at: 1_736_931_600_000, status: 'NEW' };

const line = (fields: Record<string, unknown>): string => JSON.stringify({ ...VALID, ...fields });
const problemsOf = (text: string, keyField?: string): readonly string[] => {
  const result = readJsonRecord(type, text, keyField);
  return 'problems' in result ? result.problems : [];
};
/** Encodes a line as produce does and decodes it with the plain reader. */
const roundTrip = (text: string): unknown => {
  const result = readJsonRecord(type, text);
  if ('problems' in result) throw new Error(result.problems.join('; '));
  return plainReader.fromBuffer(type.toBuffer(result.record.value));
};
const DEFAULTS = { note: null, items: [], courier: null, rank: null, tags: {}, signature: null };

describe('the mistakes a JSON line can hold, one sentence each', () => {
  it('a value of the wrong type names the field, the Avro type and the value', () => {
    expect(problemsOf(line({ amount: '12,50' }))).toEqual(['field "amount": expected double, got "12,50"']);
  });

  it('a nested field is named by its path as JSON reads it', () => {
    expect(problemsOf(line({ items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 1.5 }] }))).toEqual(['field "items[1].qty": expected int, got 1.5']);
    expect(problemsOf(line({ courier: { id: 'c-7' } }))).toEqual(['field "courier.id": expected long, got "c-7"']);
    expect(problemsOf(line({ tags: { priority: 'high' } }))).toEqual(['field "tags["priority"]": expected long, got "high"']);
  });

  it('a missing field without a default says so; one with a default may be left out', () => {
    // JSON.stringify leaves out a field whose value is undefined.
    expect(problemsOf(line({ amount: undefined }))).toEqual(['field "amount" is missing: expected double, and the schema gives it no default']);
    expect(problemsOf(line({}))).toEqual([]);
  });

  it('a field the schema does not declare is named with the fields it does declare', () => {
    expect(problemsOf(line({ amout: 3 }))).toEqual([
      'field "amout" is not in the schema (test.shop.Order declares order_id, amount, note, placed_at, status, items, courier, rank, tags, signature)',
    ]);
    expect(problemsOf(line({ items: [{ sku: 'a', qty: 1, colour: 'red' }] }))).toEqual(['field "items[0].colour" is not in the schema (test.shop.Item declares sku, qty)']);
  });

  it('a union value no branch takes lists the branches', () => {
    expect(problemsOf(line({ note: 42 }))).toEqual(['field "note": expected null or string, got 42']);
    expect(problemsOf(line({ note: { int: 42 } }))).toEqual(['field "note": expected null or string, got {"int":42}']);
    expect(problemsOf(line({ rank: 'first' }))).toEqual(['field "rank": expected null or int or long, got "first"']);
  });

  it('an enum value outside the symbols lists them', () => {
    expect(problemsOf(line({ status: 'new' }))).toEqual(['field "status": expected one of "NEW", "PAID", got "new"']);
  });

  it('a timestamp that is neither epoch milliseconds nor ISO-8601 with a zone says which forms it takes', () => {
    const expected = (got: string): string[] => [`field "placed_at": expected timestamp-millis (epoch milliseconds, or ISO-8601 with a zone such as "2025-01-15T09:00:00Z"), got ${got}`];
    expect(problemsOf(line({ placed_at: 'yesterday' }))).toEqual(expected('"yesterday"'));
    // Without a zone the instant would depend on the machine's time zone.
    expect(problemsOf(line({ placed_at: '2025-01-15T09:00:00' }))).toEqual(expected('"2025-01-15T09:00:00"'));
    expect(problemsOf(line({ placed_at: true }))).toEqual(expected('true'));
  });

  it('every problem of a line is listed, in the order of the fields', () => {
    expect(problemsOf(line({ amount: null, status: 'LOST', extra: 1 }))).toEqual([
      'field "extra" is not in the schema (test.shop.Order declares order_id, amount, note, placed_at, status, items, courier, rank, tags, signature)',
      'field "amount": expected double, got null',
      'field "status": expected one of "NEW", "PAID", got "LOST"',
    ]);
  });

  it('invalid JSON gives the parser\'s reason', () => {
    const text = '{"order_id": "o-1", "amount": }';
    let reason = '';
    try {
      JSON.parse(text);
    } catch (error) {
      reason = (error as Error).message;
    }
    expect(reason).not.toBe('');
    expect(problemsOf(text)).toEqual([`invalid JSON: ${reason}`]);
  });

  it('a line that is not an object says what it is instead', () => {
    expect(problemsOf('42')).toEqual(['the line is 42, not an object (record test.shop.Order)']);
    expect(problemsOf('[1,2]')).toEqual(['the line is [1,2], not an object (record test.shop.Order)']);
    expect(problemsOf(line({ items: [[1]] }))).toEqual(['field "items[0]": expected an object (record test.shop.Item), got [1]']);
  });

  it('a field named like a method of Object is missing, not a function', () => {
    const withToString = jsonRecordType({ type: 'record', name: 'Odd', fields: [{ name: 'toString', type: 'string' }] });
    const result = readJsonRecord(withToString, '{}');
    expect('problems' in result && result.problems).toEqual(['field "toString" is missing: expected string, and the schema gives it no default']);
  });
});

describe('JSON conveniences encode to the values a plain reader decodes', () => {
  it('a plain line with defaults left out', () => {
    expect(roundTrip(line({}))).toEqual({ ...VALID, ...DEFAULTS });
  });

  it('unions as plain values and in Avro\'s JSON encoding', () => {
    expect(roundTrip(line({ note: 'leave at the door' }))).toMatchObject({ note: 'leave at the door' });
    expect(roundTrip(line({ note: { string: 'leave at the door' } }))).toMatchObject({ note: 'leave at the door' });
    expect(roundTrip(line({ note: null }))).toMatchObject({ note: null });
    expect(roundTrip(line({ courier: { id: 7 } }))).toMatchObject({ courier: { id: 7 } });
    expect(roundTrip(line({ courier: { 'test.shop.Courier': { id: 7 } } }))).toMatchObject({ courier: { id: 7 } });
  });

  it('a union avsc keeps wrapped (int and long) takes a plain number as its first branch that fits, or the branch named', () => {
    expect(roundTrip(line({ rank: 3 }))).toMatchObject({ rank: { int: 3 } });
    expect(roundTrip(line({ rank: 2 ** 40 }))).toMatchObject({ rank: { long: 2 ** 40 } });
    expect(roundTrip(line({ rank: { long: 3 } }))).toMatchObject({ rank: { long: 3 } });
  });

  it('timestamp-millis from epoch milliseconds or ISO-8601 with a zone', () => {
    // 2025-01-15T09:00:00Z is 1,736,931,600 s after the epoch; +01:00 is an hour earlier in UTC; .250 adds 250 ms.
    expect(roundTrip(line({ placed_at: '2025-01-15T09:00:00Z' }))).toMatchObject({ placed_at: 1_736_931_600_000 });
    expect(roundTrip(line({ placed_at: '2025-01-15T09:00:00.250+01:00' }))).toMatchObject({ placed_at: 1_736_931_600_000 - 3_600_000 + 250 });
    expect(roundTrip(line({ placed_at: 0 }))).toMatchObject({ placed_at: 0 });
  });

  it('bytes as Avro\'s JSON encoding: one code point 0-255 per byte', () => {
    const decoded = roundTrip(line({ signature: { bytes: '\u00ff\u0001A' } })) as { signature: Buffer };
    expect([...decoded.signature]).toEqual([0xff, 0x01, 0x41]);
    expect(problemsOf(line({ signature: 'é€' }))).toEqual(['field "signature": expected null or bytes (a string of code points 0-255), got "é€"']);
  });
});

describe('the record key', () => {
  it('is the --key field\'s value as text, or none', () => {
    expect(readJsonRecord(type, line({}), 'order_id')).toMatchObject({ record: { key: 'o-1' } });
    expect(readJsonRecord(type, line({}))).toMatchObject({ record: { key: null } });
  });

  it('a line whose key field is null or missing is a problem of that line', () => {
    const keyed = jsonRecordType({ type: 'record', name: 'Event', fields: [{ name: 'user', type: ['null', 'string'], default: null }] });
    expect(readJsonRecord(keyed, '{"user": null}', 'user')).toEqual({ problems: ['field "user" (the --key) is null: every record needs a key'] });
    expect(readJsonRecord(keyed, '{}', 'user')).toEqual({ problems: ['field "user" (the --key) is missing: every record needs a key'] });
  });

  it('a key field must be a top-level string, enum, int or long', () => {
    expect(keyFieldProblem(type, 'order_id')).toBeUndefined();
    expect(keyFieldProblem(type, 'status')).toBeUndefined();
    expect(keyFieldProblem(type, 'order')).toBe(
      '--key order: test.shop.Order has no such field; it declares order_id, amount, note, placed_at, status, items, courier, rank, tags, signature',
    );
    expect(keyFieldProblem(type, 'amount')).toBe('--key amount: the field is double; a key field holds a string, an enum, an int or a long');
    expect(keyFieldProblem(type, 'rank')).toBe('--key rank: the field is null or int or long; a key field holds a string, an enum, an int or a long');
  });
});
