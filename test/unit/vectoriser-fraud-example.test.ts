/**
 * The fraud example's model inputs (examples/fraud/pipeline.yaml, loaded and validated by the
 * pipeline loader, with the features schema it names) fitted on four hand-made feature records:
 * the width and column names of today's fixed layout (20 fields, the hour as two columns, three
 * nullable fields with a missing column each: 24), under the vectoriser's names, and a few
 * columns computed by hand.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRecordFields } from '../../src/pipelines/avro-fields.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';

const DEFINITION_FILE = fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url));
const definition = loadPipelineDefinition(DEFINITION_FILE);
const fields = loadRecordFields(resolve(DEFINITION_FILE, '..', definition.features.schema)).fields!;

/** A feature record as the feature job writes it, every amount 1 unless changed. */
function record(changes: Record<string, unknown>): Record<string, unknown> {
  return {
    transaction_id: 'tx',
    card_hash: 'c',
    email_hash: 'e',
    merchant_id: 'm',
    merchant_category: 'grocery',
    amount: 1,
    event_time: 1_796_549_400_000,
    txn_count_10m: 1,
    amount_sum_10m: 1,
    amount_mean_10m: 1,
    amount_max_10m: 1,
    txn_count_1h: 1,
    amount_sum_1h: 1,
    amount_mean_1h: 1,
    amount_max_1h: 1,
    txn_count_24h: 1,
    amount_sum_24h: 1,
    amount_mean_24h: 1,
    amount_max_24h: 1,
    distinct_merchants_1h: 1,
    seconds_since_prev: null,
    amount_to_mean_24h: 1,
    distance_km_from_prev: null,
    speed_kmh_from_prev: null,
    is_new_device: false,
    hour_of_day: 0,
    feature_job_version: 'v1',
    ...changes,
  };
}

const ROWS = [
  record({ txn_count_10m: 1 }),
  record({ txn_count_10m: 2, seconds_since_prev: 30, distance_km_from_prev: 2, speed_kmh_from_prev: 240 }),
  record({ txn_count_10m: 3, seconds_since_prev: 600, is_new_device: true, hour_of_day: 23 }),
  record({ txn_count_10m: 6, seconds_since_prev: 5, distance_km_from_prev: 0 }),
];

describe('the fraud example\'s inputs', () => {
  const spec = fitVectoriser(definition.model.inputs, ROWS, fields);
  const vectoriser = compileVectoriser(JSON.parse(JSON.stringify(spec)));

  it('make 24 columns: today\'s layout, in its order, under the vectoriser\'s names', () => {
    expect(vectoriser.width).toBe(24);
    expect(vectoriser.columnNames).toEqual([
      'amount:log1p',
      'txn_count_10m:standardised',
      'amount_sum_10m:log1p',
      'amount_mean_10m:log1p',
      'amount_max_10m:log1p',
      'txn_count_1h:standardised',
      'amount_sum_1h:log1p',
      'amount_mean_1h:log1p',
      'amount_max_1h:log1p',
      'txn_count_24h:standardised',
      'amount_sum_24h:log1p',
      'amount_mean_24h:log1p',
      'amount_max_24h:log1p',
      'distinct_merchants_1h:standardised',
      'seconds_since_prev:log1p',
      'seconds_since_prev:missing',
      'amount_to_mean_24h:log1p',
      'distance_km_from_prev:log1p',
      'distance_km_from_prev:missing',
      'speed_kmh_from_prev:log1p',
      'speed_kmh_from_prev:missing',
      'is_new_device',
      'hour_of_day:sin',
      'hour_of_day:cos',
    ]);
  });

  it('fit the statistics of the rows and fill nulls as the definition says', () => {
    // txn_count_10m = 1, 2, 3, 6: mean 3, population std √3.5 (as in vectoriser-encodings.test.ts).
    expect(spec.inputs[1]).toEqual({ field: 'txn_count_10m', encoding: 'standardised', scale: { mean: 3, std: Math.sqrt(3.5) }, nulls: null });
    // Every amount is 1 in every row: ln 2 each, a constant column, so std 1.
    expect(spec.inputs[0]).toEqual({ field: 'amount', encoding: 'log1p', scale: { mean: Math.log(2), std: 1 }, nulls: null });
    expect(spec.inputs[14]).toMatchObject({ field: 'seconds_since_prev', nulls: { fill: 86_400, indicator: true } });
    expect(spec.inputs[19]).toEqual({ field: 'hour_of_day', encoding: 'cyclic', period: 'hour-of-day', source: 'value', nulls: null });
  });

  it('vectorise a record with the hand-computed columns', () => {
    const outcome = vectoriser.vectorise(record({ amount: 3, txn_count_10m: 10, is_new_device: true, hour_of_day: 6, speed_kmh_from_prev: 12 }));
    if (!outcome.ok) throw new Error(outcome.problem.message);
    const column = (name: string): number => outcome.vector[vectoriser.columnNames.indexOf(name)]!;
    // amount 3: (ln 4 − ln 2) / 1 = ln 2 ≈ 0.693147.
    expect(column('amount:log1p')).toBeCloseTo(Math.log(2), 6);
    // (10 − 3) / √3.5 = √14 ≈ 3.741657.
    expect(column('txn_count_10m:standardised')).toBeCloseTo(Math.sqrt(14), 6);
    expect([column('seconds_since_prev:missing'), column('distance_km_from_prev:missing'), column('speed_kmh_from_prev:missing')]).toEqual([1, 1, 0]);
    // The flag and the cycle are not standardised: 1, and 6 h → (1, 0).
    expect(column('is_new_device')).toBe(1);
    expect(column('hour_of_day:sin')).toBeCloseTo(1, 6);
    expect(column('hour_of_day:cos')).toBeCloseTo(0, 6);
  });
});
