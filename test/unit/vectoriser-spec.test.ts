/**
 * The vectoriser spec as stored with a model: it round-trips through JSON to bit-identical
 * vectors; a spec of another layout version, or a malformed one, is refused with one line naming
 * the problem; fitting refuses what cannot be fitted; the input defaults are the definition
 * schema's.
 */
import { describe, expect, it } from 'vitest';
import type { AvroField } from '../../src/pipelines/avro-fields.js';
import type { ModelInput } from '../../src/pipelines/pipeline-definition.js';
import { PIPELINE_SCHEMA } from '../../src/pipelines/schema-check.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { VectoriserFitError, VectoriserSpecError } from '../../src/vectoriser/errors.js';
import { fitVectoriser, INPUT_DEFAULTS } from '../../src/vectoriser/fit-vectoriser.js';
import type { VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';

function field(name: string, kind: string, options: { nullable?: boolean; logicalType?: string } = {}): [string, AvroField] {
  return [name, { name, kind, logicalType: options.logicalType, nullable: options.nullable ?? false }];
}

const FIELDS = new Map([
  field('amount', 'double'),
  field('gap', 'double', { nullable: true }),
  field('count', 'long'),
  field('ratio', 'double'),
  field('delay', 'double', { nullable: true }),
  field('new_device', 'boolean'),
  field('country', 'string', { nullable: true }),
  field('merchant', 'string'),
  field('hour', 'int'),
  field('at', 'long', { logicalType: 'timestamp-millis' }),
  field('promo', 'int', { nullable: true }),
]);

/** One input of every encoding, with the options that change the spec. */
const INPUTS: ModelInput[] = [
  { field: 'amount', encoding: 'log1p' },
  { field: 'gap', encoding: 'log1p', fillNull: 86_400 },
  { field: 'count', encoding: 'standardised' },
  { field: 'ratio', encoding: 'raw' },
  { field: 'delay', encoding: 'clipped', min: 0, max: 120, fillNull: 0 },
  { field: 'new_device', encoding: 'flag' },
  { field: 'country', encoding: 'one-hot', maxCategories: 3 },
  { field: 'merchant', encoding: 'hashed', buckets: 16 },
  { field: 'hour', encoding: 'cyclic', period: 'hour-of-day' },
  { field: 'at', encoding: 'cyclic', period: 'day-of-week' },
  { field: 'promo', encoding: 'missing-indicator' },
];

const row = (index: number): Record<string, unknown> => ({
  amount: 12.5 * index - 30,
  gap: index % 3 === 0 ? null : 60 * index,
  count: index,
  ratio: index / 7,
  delay: index % 4 === 0 ? null : 17 * index - 40,
  new_device: index % 2 === 0,
  country: [null, 'DE', 'FR', 'DE', 'IT', 'ES'][index % 6],
  merchant: `m-${index % 5}`,
  hour: index % 24,
  at: 1_796_549_400_000 + index * 37_000_000,
  promo: index % 5 === 0 ? null : index,
});
const ROWS = Array.from({ length: 20 }, (_, index) => row(index));
const SPEC = fitVectoriser(INPUTS, ROWS, FIELDS);

/** The spec's JSON with the value at `path` replaced, or removed when `value` is undefined. */
function edited(path: readonly (string | number)[], value: unknown): unknown {
  const json = JSON.parse(JSON.stringify(SPEC)) as Record<string | number, unknown>;
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as Record<string | number, unknown>, json);
  const key = path[path.length - 1]!;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return json;
}

/** The message of the VectoriserSpecError that compiling `spec` throws. */
function refusal(spec: unknown): string {
  try {
    compileVectoriser(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(VectoriserSpecError);
    return (error as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('round trip through JSON', () => {
  it('gives bit-identical vectors, one by one and in a batch', () => {
    const fitted = compileVectoriser(SPEC);
    const stored = compileVectoriser(JSON.parse(JSON.stringify(SPEC)));
    expect(stored.columnNames).toEqual(fitted.columnNames);
    // Fresh records too: values outside training, a category never seen, nulls.
    const records = [...ROWS, ...Array.from({ length: 10 }, (_, index) => row(100 + index * 13))];
    for (const record of records) {
      const [a, b] = [fitted.vectorise(record), stored.vectorise(record)];
      if (!a.ok || !b.ok) throw new Error('every record here vectorises');
      expect(new Uint32Array(b.vector.buffer)).toEqual(new Uint32Array(a.vector.buffer));
    }
    expect(new Uint32Array(stored.vectoriseBatch(records).values.buffer)).toEqual(new Uint32Array(fitted.vectoriseBatch(records).values.buffer));
  });

  it('stays the same text through a second round trip', () => {
    const text = JSON.stringify(SPEC);
    expect(JSON.stringify(JSON.parse(text))).toBe(text);
  });

  it('holds the layout version, every entry and the column names', () => {
    expect(SPEC.layoutVersion).toBe(1);
    expect(SPEC.inputs.map((entry) => entry.encoding)).toEqual(INPUTS.map((input) => input.encoding));
    // 1 + 2 + 1 + 1 + 2 + 1 + (3 + 1) + 16 + 2 + 2 + 1 = 33.
    expect(compileVectoriser(SPEC).width).toBe(33);
    // country over rows 0–19 (index mod 6): DE 7 times, ES, FR and IT 3 times each, null 4 times;
    // maxCategories 3 keeps DE, then ES and FR of the three tied.
    const merchantBuckets = Array.from({ length: 16 }, (_, bucket) => `merchant#${bucket}`);
    expect(SPEC.columns).toEqual([
      'amount:log1p',
      'gap:log1p',
      'gap:missing',
      'count:standardised',
      'ratio',
      'delay:clipped',
      'delay:missing',
      'new_device',
      'country=DE',
      'country=ES',
      'country=FR',
      'country:oov',
      ...merchantBuckets,
      'hour:sin',
      'hour:cos',
      'at:sin',
      'at:cos',
      'promo:missing',
    ]);
  });
});

describe('a stored spec is refused with one line naming the problem', () => {
  const cases: [string, unknown, string][] = [
    ['another layout version', edited(['layoutVersion'], 2), 'its layoutVersion is 2; this build reads layout version 1 (serve the model with a build that reads its version, or retrain it)'],
    ['no layout version', edited(['layoutVersion'], undefined), 'it has no layoutVersion; this build reads layout version 1 (serve the model with a build that reads its version, or retrain it)'],
    ['a layout version as text', edited(['layoutVersion'], '1'), 'its layoutVersion is "1"; this build reads layout version 1 (serve the model with a build that reads its version, or retrain it)'],
    ['not an object', [SPEC], 'it is not a JSON object'],
    ['null', null, 'it is not a JSON object'],
    ['an unknown key', edited(['normaliser'], {}), 'the spec has an unknown key "normaliser"'],
    ['an unknown encoding', edited(['inputs', 3, 'encoding'], 'bucketised'), 'inputs[3].encoding "bucketised" is not an encoding of layout version 1'],
    ['an entry without its state', edited(['inputs', 2, 'scale'], undefined), "inputs[2] must have required property 'scale'"],
    ['a std of 0', edited(['inputs', 2, 'scale', 'std'], 0), 'inputs[2].scale.std must be > 0'],
    ['a mean that is not a number', edited(['inputs', 0, 'scale', 'mean'], null), 'inputs[0].scale.mean must be number'],
    ['another hash', edited(['inputs', 7, 'hash'], 'murmur3'), 'inputs[7].hash "murmur3" must be "fnv1a-32"'],
    ['an unknown cycle', edited(['inputs', 9, 'period'], 'month'), 'inputs[9].period "month" must be one of "hour-of-day", "day-of-week"'],
    ['no buckets', edited(['inputs', 7, 'buckets'], 0), 'inputs[7].buckets must be >= 1'],
    ['an empty clipping range', edited(['inputs', 4, 'min'], 120), 'inputs[4].max (120) must be above min (120)'],
    ['a repeated vocabulary value', edited(['inputs', 6, 'vocabulary', 1], 'DE'), 'inputs[6].vocabulary[1] "DE" repeats an earlier value'],
    ['a vocabulary value of the other type', edited(['inputs', 6, 'vocabulary', 1], 7), 'inputs[6].vocabulary[1] 7 is not text, as values says'],
    ['a cyclic fill outside the cycle', edited(['inputs', 8, 'nulls'], { fill: 24, indicator: true }), 'inputs[8].nulls.fill 24 is not an hour, a whole number from 0 to 23'],
    ['a renamed column', edited(['columns', 0], 'amount'), 'columns[0] is "amount"; the inputs make "amount:log1p" there'],
    ['a missing column', edited(['columns'], SPEC.columns.slice(0, -1)), 'columns has 32 names; the inputs make 33 columns'],
    ['an extra column', edited(['columns'], [...SPEC.columns, 'extra']), 'columns has 34 names; the inputs make 33 columns'],
    ['no inputs', edited(['inputs'], []), 'inputs must NOT have fewer than 1 items'],
  ];

  it.each(cases)('%s', (_, spec, problem) => {
    const message = refusal(spec);
    expect(message).toBe(`vectoriser spec refused: ${problem}`);
    expect(message).not.toContain('\n');
  });
});

describe('fitting refuses what it cannot fit', () => {
  function fitError(inputs: ModelInput[], rows: readonly Record<string, unknown>[], fields: ReadonlyMap<string, AvroField> = FIELDS): VectoriserFitError {
    try {
      fitVectoriser(inputs, rows, fields);
    } catch (error) {
      expect(error).toBeInstanceOf(VectoriserFitError);
      return error as VectoriserFitError;
    }
    throw new Error('fitting succeeded');
  }

  it('no rows', () => {
    expect(fitError(INPUTS, []).message).toBe('no training rows to fit the vectoriser on');
  });

  it('a field the features schema does not have', () => {
    expect(fitError([{ field: 'amout', encoding: 'raw' }], ROWS).message).toBe('model.inputs[0].field "amout" is not a field of the features schema');
  });

  it('a nullable field without fillNull', () => {
    expect(fitError([{ field: 'gap', encoding: 'raw' }], ROWS).message).toBe('model.inputs[0] (raw of "gap"): the field is nullable and fillNull is not set');
  });

  it('an encoding its field cannot take', () => {
    expect(fitError([{ field: 'amount', encoding: 'one-hot' }], ROWS).message).toBe('model.inputs[0] (one-hot of "amount"): a category must be a string, enum, int or long; the field is double');
    expect(fitError([{ field: 'amount', encoding: 'missing-indicator' }], ROWS).message).toBe('model.inputs[0] (missing-indicator of "amount"): the field is never null');
    const date = new Map([field('day', 'int', { logicalType: 'date' })]);
    expect(fitError([{ field: 'day', encoding: 'cyclic', period: 'day-of-week' }], [{}], date).message).toBe(
      "model.inputs[0] (cyclic of \"day\"): a cycle is read from an hour, a weekday or a timestamp; the field's logical type is date",
    );
  });

  it('a training row with a value an input to fit cannot read, naming the row', () => {
    const error = fitError([{ field: 'count', encoding: 'standardised' }], [{ count: 1 }, { count: Number.NaN }]);
    expect(error.message).toBe('training row 1: count is NaN; expected a finite number');
    expect([error.row, error.field, error.recordProblem?.why]).toEqual([1, 'count', 'is NaN; expected a finite number']);
    expect(fitError([{ field: 'merchant', encoding: 'one-hot' }], [{ merchant: 42 }]).message).toBe('training row 0: merchant is 42; expected text');
  });
});

describe('input defaults', () => {
  /** The `default` of every property called `name` anywhere in the definition schema. */
  function schemaDefaults(name: string, node: unknown = PIPELINE_SCHEMA, found: unknown[] = []): unknown[] {
    if (node === null || typeof node !== 'object') return found;
    const properties = (node as { properties?: Record<string, { default?: unknown }> }).properties;
    if (properties?.[name] !== undefined && 'default' in properties[name]!) found.push(properties[name]!.default);
    Object.values(node).forEach((child) => schemaDefaults(name, child, found));
    return found;
  }

  it('are the definition schema\'s', () => {
    expect(schemaDefaults('maxCategories')).toEqual([INPUT_DEFAULTS.maxCategories]);
    expect(schemaDefaults('minCount')).toEqual([INPUT_DEFAULTS.minCount]);
    // log1p and clipped each say it.
    expect(schemaDefaults('standardise')).toEqual([INPUT_DEFAULTS.standardise, INPUT_DEFAULTS.standardise]);
  });

  it('give a nullable field a missing column unless missingIndicator is false', () => {
    const spec: VectoriserSpec = fitVectoriser([{ field: 'gap', encoding: 'raw', fillNull: 0 }], [{}], FIELDS);
    expect(spec.inputs[0]).toEqual({ field: 'gap', encoding: 'raw', nulls: { fill: 0, indicator: true } });
  });
});
