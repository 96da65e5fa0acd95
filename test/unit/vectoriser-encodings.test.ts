/**
 * Each numeric, flag, cyclic and missing-indicator encoding of the vectoriser against vectors
 * computed by hand; the arithmetic is written beside each expectation. Dates and trigonometry
 * were checked once with Python's datetime and math modules.
 */
import { describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import type { ModelInput } from '../../src/pipelines/pipeline-definition.js';
import { compileVectoriser, type CompiledVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';

/** A features-schema field as `loadRecordFields` describes it. */
function field(name: string, kind: string, options: { nullable?: boolean; logicalType?: string } = {}): [string, AvroField] {
  return [name, { name, kind, logicalType: options.logicalType, nullable: options.nullable ?? false }];
}

/** The vectoriser of one input fitted on `rows`. */
function fitted(input: ModelInput, avro: [string, AvroField], rows: readonly Record<string, unknown>[] = [{}]): CompiledVectoriser {
  return compileVectoriser(fitVectoriser([input], rows, new Map([avro])));
}

/** The vector of `record`, which must vectorise. */
function vectorOf(vectoriser: CompiledVectoriser, record: Record<string, unknown>): number[] {
  const outcome = vectoriser.vectorise(record);
  if (!outcome.ok) throw new Error(`expected a vector, got: ${outcome.problem.message}`);
  return Array.from(outcome.vector);
}

/** Float32 holds about 7 significant digits; 6 decimals compares every value used here at that precision. */
function expectVector(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, index) => expect(actual[index], `column ${index}`).toBeCloseTo(value, 6));
}

const x = field('x', 'double');
const nullableX = field('x', 'double', { nullable: true });

describe('raw', () => {
  it('is the value itself, with no fitted state', () => {
    const vectoriser = fitted({ field: 'x', encoding: 'raw' }, x, [{ x: 2 }, { x: 4 }]);
    expect(vectoriser.columnNames).toEqual(['x']);
    expectVector(vectorOf(vectoriser, { x: 3.5 }), [3.5]);
    expectVector(vectorOf(vectoriser, { x: -1e6 }), [-1e6]);
  });

  it('fills a null and adds a missing column, or not when missingIndicator is false', () => {
    const withIndicator = fitted({ field: 'x', encoding: 'raw', fillNull: -1 }, nullableX);
    expect(withIndicator.columnNames).toEqual(['x', 'x:missing']);
    expectVector(vectorOf(withIndicator, { x: null }), [-1, 1]);
    expectVector(vectorOf(withIndicator, { x: 2.5 }), [2.5, 0]);
    const without = fitted({ field: 'x', encoding: 'raw', fillNull: -1, missingIndicator: false }, nullableX);
    expect(without.columnNames).toEqual(['x']);
    expectVector(vectorOf(without, { x: null }), [-1]);
  });
});

describe('standardised', () => {
  it('is (x − mean) / std with the population std of the training rows', () => {
    // x = 1, 2, 3, 6: mean 12/4 = 3; squared deviations 4 + 1 + 0 + 9 = 14; std = √(14/4) = √3.5.
    const spec = fitVectoriser([{ field: 'x', encoding: 'standardised' }], [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 6 }], new Map([x]));
    expect(spec.inputs[0]).toEqual({ field: 'x', encoding: 'standardised', scale: { mean: 3, std: Math.sqrt(3.5) }, nulls: null });
    const vectoriser = compileVectoriser(spec);
    expect(vectoriser.columnNames).toEqual(['x:standardised']);
    // (10 − 3) / √3.5 = 7 / √3.5 = √14 ≈ 3.7416574; (3 − 3) / √3.5 = 0.
    expectVector(vectorOf(vectoriser, { x: 10 }), [Math.sqrt(14)]);
    expectVector(vectorOf(vectoriser, { x: 3 }), [0]);
  });

  it('stores std 1 for a column constant in training, so it centres instead of dividing by zero', () => {
    const spec = fitVectoriser([{ field: 'x', encoding: 'standardised' }], [{ x: 5 }, { x: 5 }, { x: 5 }], new Map([x]));
    expect(spec.inputs[0]).toMatchObject({ scale: { mean: 5, std: 1 } });
    const vectoriser = compileVectoriser(spec);
    // (5 − 5) / 1 = 0; (7 − 5) / 1 = 2.
    expectVector(vectorOf(vectoriser, { x: 5 }), [0]);
    expectVector(vectorOf(vectoriser, { x: 7 }), [2]);
  });

  it('fits on the filled value of a null, and marks it', () => {
    // x = null → 0, 4: mean 2, std √((4 + 4) / 2) = 2. A null: (0 − 2) / 2 = −1, missing 1; 6: (6 − 2) / 2 = 2.
    const vectoriser = fitted({ field: 'x', encoding: 'standardised', fillNull: 0 }, nullableX, [{ x: null }, { x: 4 }]);
    expect(vectoriser.columnNames).toEqual(['x:standardised', 'x:missing']);
    expectVector(vectorOf(vectoriser, { x: null }), [-1, 1]);
    expectVector(vectorOf(vectoriser, { x: 6 }), [2, 0]);
  });
});

describe('log1p', () => {
  it('is sign(x)·ln(1 + |x|) when standardise is false', () => {
    const vectoriser = fitted({ field: 'x', encoding: 'log1p', standardise: false }, x);
    expect(vectoriser.columnNames).toEqual(['x:log1p']);
    // ln(1 + 99) = ln 100 ≈ 4.6051702; a refund of −99 keeps its sign; ln(1 + 0) = 0.
    expectVector(vectorOf(vectoriser, { x: 99 }), [Math.log(100)]);
    expectVector(vectorOf(vectoriser, { x: -99 }), [-Math.log(100)]);
    expectVector(vectorOf(vectoriser, { x: 0 }), [0]);
  });

  it('is then standardised by default, on the logs of the training rows', () => {
    // x = 0, e − 1, −(e − 1) have logs 0, 1, −1: mean 0, std √(2/3).
    const rows = [{ x: 0 }, { x: Math.E - 1 }, { x: -(Math.E - 1) }];
    const spec = fitVectoriser([{ field: 'x', encoding: 'log1p' }], rows, new Map([x]));
    const scale = (spec.inputs[0] as { scale: { mean: number; std: number } }).scale;
    expect(scale.mean).toBeCloseTo(0, 12);
    expect(scale.std).toBeCloseTo(Math.sqrt(2 / 3), 12);
    // e² − 1 has log 2: 2 / √(2/3) = √6 ≈ 2.4494897.
    expectVector(vectorOf(compileVectoriser(spec), { x: Math.E ** 2 - 1 }), [Math.sqrt(6)]);
  });

  it('fills a null before the log, in the field\'s own units', () => {
    // The fraud example's seconds_since_prev: a null is a day, 86 400 s: ln(86 401) ≈ 11.366766.
    const vectoriser = fitted({ field: 'x', encoding: 'log1p', standardise: false, fillNull: 86_400 }, nullableX);
    expectVector(vectorOf(vectoriser, { x: null }), [Math.log(86_401), 1]);
  });
});

describe('clipped', () => {
  it('is the value clipped to [min, max] when standardise is false', () => {
    const vectoriser = fitted({ field: 'x', encoding: 'clipped', min: 0, max: 10, standardise: false }, x);
    expect(vectoriser.columnNames).toEqual(['x:clipped']);
    expectVector(vectorOf(vectoriser, { x: -3 }), [0]);
    expectVector(vectorOf(vectoriser, { x: 4 }), [4]);
    expectVector(vectorOf(vectoriser, { x: 25 }), [10]);
  });

  it('is then standardised by default, on the clipped training values', () => {
    // x = −5, 5, 15 clip to 0, 5, 10: mean 5, std √(50/3). 100 clips to 10: (10 − 5) / √(50/3) = √1.5 ≈ 1.2247449.
    const spec = fitVectoriser([{ field: 'x', encoding: 'clipped', min: 0, max: 10 }], [{ x: -5 }, { x: 5 }, { x: 15 }], new Map([x]));
    expect(spec.inputs[0]).toEqual({ field: 'x', encoding: 'clipped', min: 0, max: 10, scale: { mean: 5, std: Math.sqrt(50 / 3) }, nulls: null });
    expectVector(vectorOf(compileVectoriser(spec), { x: 100 }), [Math.sqrt(1.5)]);
  });
});

describe('flag', () => {
  it('is 1 for true and 0 for false', () => {
    const vectoriser = fitted({ field: 'b', encoding: 'flag' }, field('b', 'boolean'));
    expect(vectoriser.columnNames).toEqual(['b']);
    expectVector(vectorOf(vectoriser, { b: true }), [1]);
    expectVector(vectorOf(vectoriser, { b: false }), [0]);
  });

  it('fills a null with its fillNull and marks it', () => {
    const vectoriser = fitted({ field: 'b', encoding: 'flag', fillNull: true }, field('b', 'boolean', { nullable: true }));
    expect(vectoriser.columnNames).toEqual(['b', 'b:missing']);
    expectVector(vectorOf(vectoriser, { b: null }), [1, 1]);
    expectVector(vectorOf(vectoriser, { b: false }), [0, 0]);
  });
});

describe('cyclic', () => {
  const halfRoot2 = Math.SQRT1_2;

  it('hour-of-day from an int hour: sin and cos of 2π·hour/24', () => {
    const vectoriser = fitted({ field: 'h', encoding: 'cyclic', period: 'hour-of-day' }, field('h', 'int'));
    expect(vectoriser.columnNames).toEqual(['h:sin', 'h:cos']);
    expectVector(vectorOf(vectoriser, { h: 0 }), [0, 1]);
    // 3 h: 2π·3/24 = π/4 → (√2/2, √2/2); 6 h: π/2 → (1, 0); 18 h: 3π/2 → (−1, 0).
    expectVector(vectorOf(vectoriser, { h: 3 }), [halfRoot2, halfRoot2]);
    expectVector(vectorOf(vectoriser, { h: 6 }), [1, 0]);
    expectVector(vectorOf(vectoriser, { h: 18 }), [-1, 0]);
    // 23 h: 2π·23/24 → (−0.258819, 0.965926), the neighbour of 0 h.
    expectVector(vectorOf(vectoriser, { h: 23 }), [-0.25881904510252157, 0.9659258262890681]);
  });

  it('day-of-week from an ISO weekday: sin and cos of 2π·(day − 1)/7', () => {
    const vectoriser = fitted({ field: 'd', encoding: 'cyclic', period: 'day-of-week' }, field('d', 'int'));
    // Monday (1): angle 0 → (0, 1). Wednesday (3): 2π·2/7 → (0.974928, −0.222521).
    expectVector(vectorOf(vectoriser, { d: 1 }), [0, 1]);
    expectVector(vectorOf(vectoriser, { d: 3 }), [0.9749279121818236, -0.22252093395631434]);
  });

  // 2026-12-06T09:30:00Z is 1 796 549 400 000 ms, a Sunday (ISO 7), hour 9 (Python's datetime says so).
  const sundayNineThirty = 1_796_549_400_000;

  it('takes the UTC hour of a timestamp-millis field', () => {
    const spec = fitVectoriser([{ field: 't', encoding: 'cyclic', period: 'hour-of-day' }], [{}], new Map([field('t', 'long', { logicalType: 'timestamp-millis' })]));
    expect(spec.inputs[0]).toMatchObject({ source: 'epoch-millis' });
    const vectoriser = compileVectoriser(spec);
    // Hour 9: 2π·9/24 = 3π/4 → (√2/2, −√2/2).
    expectVector(vectorOf(vectoriser, { t: sundayNineThirty }), [halfRoot2, -halfRoot2]);
    // −3 600 000 ms is 1969-12-31T23:00Z: hour 23, although the division is negative.
    expectVector(vectorOf(vectoriser, { t: -3_600_000 }), [-0.25881904510252157, 0.9659258262890681]);
  });

  it('takes the UTC weekday of a timestamp, in milliseconds or microseconds', () => {
    const millis = fitted({ field: 't', encoding: 'cyclic', period: 'day-of-week' }, field('t', 'long', { logicalType: 'timestamp-millis' }));
    const micros = fitted({ field: 't', encoding: 'cyclic', period: 'day-of-week' }, field('t', 'long', { logicalType: 'timestamp-micros' }));
    // Sunday (7): 2π·6/7 → (−0.781831, 0.623490). 1969-12-31 was a Wednesday (3): (0.974928, −0.222521).
    expectVector(vectorOf(millis, { t: sundayNineThirty }), [-0.7818314824680299, 0.6234898018587334]);
    expectVector(vectorOf(micros, { t: sundayNineThirty * 1000 + 999 }), [-0.7818314824680299, 0.6234898018587334]);
    expectVector(vectorOf(millis, { t: -3_600_000 }), [0.9749279121818236, -0.22252093395631434]);
    expectVector(vectorOf(micros, { t: -1 }), [0.9749279121818236, -0.22252093395631434]);
  });

  it('fills a null with an hour and marks it', () => {
    const vectoriser = fitted({ field: 'h', encoding: 'cyclic', period: 'hour-of-day', fillNull: 12 }, field('h', 'int', { nullable: true }));
    expect(vectoriser.columnNames).toEqual(['h:sin', 'h:cos', 'h:missing']);
    // 12 h: π → (0, −1).
    expectVector(vectorOf(vectoriser, { h: null }), [0, -1, 1]);
  });
});

describe('missing-indicator', () => {
  it('is 1 for a null (or an absent field) and 0 for any value', () => {
    const vectoriser = fitted({ field: 'x', encoding: 'missing-indicator' }, nullableX);
    expect(vectoriser.columnNames).toEqual(['x:missing']);
    expectVector(vectorOf(vectoriser, { x: null }), [1]);
    expectVector(vectorOf(vectoriser, {}), [1]);
    expectVector(vectorOf(vectoriser, { x: 0 }), [0]);
  });
});

describe('several inputs', () => {
  it('lay their columns out in the order of the inputs', () => {
    const fields = new Map([x, field('b', 'boolean'), field('h', 'int')]);
    const inputs: ModelInput[] = [
      { field: 'h', encoding: 'cyclic', period: 'hour-of-day' },
      { field: 'x', encoding: 'raw' },
      { field: 'b', encoding: 'flag' },
    ];
    const vectoriser = compileVectoriser(fitVectoriser(inputs, [{}], fields));
    expect(vectoriser.width).toBe(4);
    expect(vectoriser.columnNames).toEqual(['h:sin', 'h:cos', 'x', 'b']);
    expectVector(vectorOf(vectoriser, { x: 7, b: true, h: 6 }), [1, 0, 7, 1]);
  });
});
