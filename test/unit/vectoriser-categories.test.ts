/**
 * Categories: one-hot vocabularies learned from training rows (order, ties, maxCategories,
 * minCount, the out-of-vocabulary column, null) and hashed buckets. The expected FNV-1a values
 * were computed independently, once, with this Python one-liner (no Tributary code involved):
 *
 *   python3 -c "
 *   def f(b):
 *     h=0x811c9dc5
 *     for x in b: h=((h^x)*0x01000193)&0xffffffff
 *     return h
 *   for s in ['', 'a', 'foobar', 'DE', 'FR', 'café', '17', '-5', 'LONDON', 'PARIS']: print(repr(s), hex(f(s.encode())), f(s.encode())%64, f(s.encode())%8)
 *   print('null', hex(f(b'\xff')), f(b'\xff')%64)"
 *
 * '', 'a' and 'foobar' are also the published FNV-1a 32 test vectors (0x811c9dc5, 0xe40c292c, 0xbf9cf968).
 */
import { describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import type { ModelInput } from '../../src/pipelines/pipeline-definition.js';
import { compileVectoriser, type CompiledVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { fnv1a32, hashBucket } from '../../src/vectoriser/field-hash.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';

function field(name: string, kind: string, nullable = false): [string, AvroField] {
  return [name, { name, kind, logicalType: undefined, nullable }];
}

const country = field('country', 'string');
const rows = ['DE', 'FR', 'DE', 'US', 'FR', 'DE', 'IT'].map((value) => ({ country: value }));

function oneHot(options: Partial<{ maxCategories: number; minCount: number }> = {}, trainingRows: readonly Record<string, unknown>[] = rows, avro = country): CompiledVectoriser {
  const input: ModelInput = { field: avro[0], encoding: 'one-hot', ...options };
  return compileVectoriser(fitVectoriser([input], trainingRows, new Map([avro])));
}

/** The index of the one column set to 1; the others must be 0. */
function hotColumn(vectoriser: CompiledVectoriser, record: Record<string, unknown>): number {
  const outcome = vectoriser.vectorise(record);
  if (!outcome.ok) throw new Error(outcome.problem.message);
  const vector = Array.from(outcome.vector);
  expect(vector.filter((value) => value !== 0)).toEqual([1]);
  return vector.indexOf(1);
}

describe('one-hot vocabulary', () => {
  it('is the training values, most frequent first, ties in ascending order, then the out-of-vocabulary column', () => {
    // Counts: DE 3, FR 2, IT 1, US 1; IT before US on the tie.
    const vectoriser = oneHot();
    expect(vectoriser.columnNames).toEqual(['country=DE', 'country=FR', 'country=IT', 'country=US', 'country:oov']);
    expect(hotColumn(vectoriser, { country: 'DE' })).toBe(0);
    expect(hotColumn(vectoriser, { country: 'US' })).toBe(3);
  });

  it('sends a value not seen in training to the out-of-vocabulary column, not to an error', () => {
    expect(hotColumn(oneHot(), { country: 'ES' })).toBe(4);
    expect(hotColumn(oneHot(), { country: '' })).toBe(4);
  });

  it('does not depend on the order of the training rows', () => {
    expect(oneHot({}, [...rows].reverse()).columnNames).toEqual(oneHot().columnNames);
  });

  it('keeps at most maxCategories values, the most frequent', () => {
    const vectoriser = oneHot({ maxCategories: 2 });
    expect(vectoriser.columnNames).toEqual(['country=DE', 'country=FR', 'country:oov']);
    expect(hotColumn(vectoriser, { country: 'IT' })).toBe(2);
  });

  it('leaves values seen fewer than minCount times out', () => {
    expect(oneHot({ minCount: 2 }).columnNames).toEqual(['country=DE', 'country=FR', 'country:oov']);
    expect(oneHot({ minCount: 4 }).columnNames).toEqual(['country:oov']);
  });

  it('orders integer categories by number, not by text, on a tie', () => {
    // 3 seen twice; 2 and 10 once each: 2 before 10 (as text, "10" would come first).
    const vectoriser = oneHot({}, [{ level: 3 }, { level: 10 }, { level: 3 }, { level: 2 }], field('level', 'long'));
    expect(vectoriser.columnNames).toEqual(['level=3', 'level=2', 'level=10', 'level:oov']);
    expect(hotColumn(vectoriser, { level: 10 })).toBe(2);
    expect(hotColumn(vectoriser, { level: 11 })).toBe(3);
  });

  it('puts null in the out-of-vocabulary column of a nullable field, and never in the vocabulary', () => {
    const nullable = field('country', 'string', true);
    const vectoriser = oneHot({}, [{ country: null }, { country: null }, { country: 'DE' }], nullable);
    expect(vectoriser.columnNames).toEqual(['country=DE', 'country:oov']);
    expect(hotColumn(vectoriser, { country: null })).toBe(1);
  });

  it('names the out-of-vocabulary column apart from a category spelled <oov>', () => {
    expect(oneHot({}, [{ country: '<oov>' }]).columnNames).toEqual(['country=<oov>', 'country:oov']);
  });
});

describe('the fnv1a-32 hash', () => {
  it('gives the published FNV-1a 32 test vectors and the Python values', () => {
    const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
    expect(fnv1a32(utf8(''))).toBe(0x811c9dc5);
    expect(fnv1a32(utf8('a'))).toBe(0xe40c292c);
    expect(fnv1a32(utf8('foobar'))).toBe(0xbf9cf968);
    // UTF-8, not UTF-16: é is the two bytes 0xc3 0xa9.
    expect(fnv1a32(utf8('café'))).toBe(0xa82b5049);
  });

  it('puts values in fixed buckets: hash modulo the bucket count; integers as decimal text; null as the byte 0xFF', () => {
    expect(hashBucket('DE', 64)).toBe(34);
    expect(hashBucket('FR', 64)).toBe(49);
    expect(hashBucket(17, 64)).toBe(49);
    expect(hashBucket(-5, 64)).toBe(55);
    expect(hashBucket(null, 64)).toBe(14);
    expect(hashBucket('LONDON', 8)).toBe(7);
    expect(hashBucket('PARIS', 8)).toBe(0);
  });
});

describe('hashed', () => {
  const hashed = (avro: [string, AvroField], buckets: number): CompiledVectoriser =>
    compileVectoriser(fitVectoriser([{ field: avro[0], encoding: 'hashed', buckets }], [{}], new Map([avro])));

  it('has one column per bucket and sets the value\'s bucket, with nothing learned from the rows', () => {
    const vectoriser = hashed(country, 64);
    expect(vectoriser.width).toBe(64);
    expect(vectoriser.columnNames.slice(0, 2)).toEqual(['country#0', 'country#1']);
    expect(vectoriser.columnNames[63]).toBe('country#63');
    expect(hotColumn(vectoriser, { country: 'DE' })).toBe(34);
    expect(hotColumn(vectoriser, { country: 'FR' })).toBe(49);
  });

  it('hashes integer categories and, on a nullable field, null', () => {
    expect(hotColumn(hashed(field('merchant', 'long'), 64), { merchant: -5 })).toBe(55);
    expect(hotColumn(hashed(field('city', 'enum', true), 8), { city: 'LONDON' })).toBe(7);
    expect(hotColumn(hashed(field('city', 'enum', true), 64), { city: null })).toBe(14);
  });

  it('states its hash in the spec, for other readers', () => {
    const spec = fitVectoriser([{ field: 'country', encoding: 'hashed', buckets: 8 }], [{}], new Map([country]));
    expect(spec.inputs[0]).toEqual({ field: 'country', encoding: 'hashed', values: 'string', nullable: false, hash: 'fnv1a-32', buckets: 8 });
  });
});
