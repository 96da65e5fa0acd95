import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { FeatureValueError } from '../../src/training/errors.js';
import {
  FEATURE_COLUMNS,
  FEATURE_VECTOR_VERSION,
  FEATURE_VECTOR_WIDTH,
  toFeatureMatrix,
  toFeatureVector,
  toLabelledMatrix,
} from '../../src/training/feature-vector.js';
import type { FeatureRecord, TrainingExample } from '../../src/training/training-example.js';

const example: TrainingExample = {
  transaction_id: 'tx-1',
  card_hash: 'c',
  email_hash: 'e',
  merchant_id: 'm',
  merchant_category: 'grocery',
  amount: 99,
  event_time: Date.UTC(2024, 0, 1, 18),
  txn_count_10m: 2,
  amount_sum_10m: 149,
  amount_mean_10m: 74.5,
  amount_max_10m: 99,
  txn_count_1h: 3,
  amount_sum_1h: 199,
  amount_mean_1h: 66,
  amount_max_1h: 99,
  txn_count_24h: 4,
  amount_sum_24h: 399,
  amount_mean_24h: 99.75,
  amount_max_24h: 200,
  distinct_merchants_1h: 2,
  seconds_since_prev: 59,
  amount_to_mean_24h: 0.9925,
  distance_km_from_prev: 9,
  speed_kmh_from_prev: 549,
  is_new_device: true,
  hour_of_day: 18,
  feature_job_version: 'v1',
  is_fraud: true,
  label_source: 'CHARGEBACK',
  label_time: Date.UTC(2024, 0, 20),
};

function schema(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as avro.Schema);
}

describe('feature vector layout', () => {
  it('is version 1 with these 24 columns in this order', () => {
    expect(FEATURE_VECTOR_VERSION).toBe(1);
    expect(FEATURE_COLUMNS).toEqual([
      'log1p_amount',
      'txn_count_10m',
      'log1p_amount_sum_10m',
      'log1p_amount_mean_10m',
      'log1p_amount_max_10m',
      'txn_count_1h',
      'log1p_amount_sum_1h',
      'log1p_amount_mean_1h',
      'log1p_amount_max_1h',
      'txn_count_24h',
      'log1p_amount_sum_24h',
      'log1p_amount_mean_24h',
      'log1p_amount_max_24h',
      'distinct_merchants_1h',
      'log1p_seconds_since_prev',
      'seconds_since_prev_missing',
      'log1p_amount_to_mean_24h',
      'log1p_distance_km_from_prev',
      'distance_km_from_prev_missing',
      'log1p_speed_kmh_from_prev',
      'speed_kmh_from_prev_missing',
      'is_new_device',
      'hour_of_day_sin',
      'hour_of_day_cos',
    ]);
    expect(FEATURE_VECTOR_WIDTH).toBe(24);
  });

  it('encodes each field as documented: log1p amounts, raw counts, 0/1 flags, hour on the unit circle', () => {
    const vector = toFeatureVector(example);
    const expected = [
      Math.log(100), 2, Math.log(150), Math.log(75.5), Math.log(100),
      3, Math.log(200), Math.log(67), Math.log(100),
      4, Math.log(400), Math.log(100.75), Math.log(201),
      2, Math.log(60), 0, Math.log(1.9925), Math.log(10), 0, Math.log(550), 0,
      1, Math.sin((2 * Math.PI * 18) / 24), Math.cos((2 * Math.PI * 18) / 24),
    ];
    expect(vector).toHaveLength(expected.length);
    expected.forEach((value, column) => expect(vector[column], FEATURE_COLUMNS[column]).toBeCloseTo(value, 5));
    // 18:00 is a quarter turn before midnight: sin −1, cos 0.
    expect(vector[22]).toBeCloseTo(-1, 6);
    expect(vector[23]).toBeCloseTo(0, 6);
  });

  it('keeps hours 23 and 0 neighbours', () => {
    const late = toFeatureVector({ ...example, hour_of_day: 23 });
    const midnight = toFeatureVector({ ...example, hour_of_day: 0 });
    const distance = Math.hypot(late[22]! - midnight[22]!, late[23]! - midnight[23]!);
    expect(distance).toBeCloseTo(2 * Math.sin(Math.PI / 24), 6);
  });

  it('keeps a negative amount (a refund) defined: sign(x)·log1p(|x|)', () => {
    expect(toFeatureVector({ ...example, amount: -99 })[0]).toBeCloseTo(-Math.log(100), 5);
  });

  it('fills nulls with the documented values and sets the missing-indicator columns', () => {
    const first = toFeatureVector({ ...example, seconds_since_prev: null, distance_km_from_prev: null, speed_kmh_from_prev: null });
    expect(first[14]).toBeCloseTo(Math.log1p(86_400), 5);
    expect([first[15], first[17], first[18], first[19], first[20]]).toEqual([1, 0, 1, 0, 1]);
  });

  it('names the field, the value and the transaction of a non-finite value', () => {
    const attempt = (): unknown => toFeatureVector({ ...example, amount_mean_24h: Number.NaN });
    expect(attempt).toThrow(FeatureValueError);
    expect(attempt).toThrow('invalid feature in transaction tx-1: amount_mean_24h=NaN, expected a finite number');
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ transactionId: 'tx-1', field: 'amount_mean_24h', value: Number.NaN, retriable: false });
    }
  });

  it.each([
    ['speed_kmh_from_prev', Number.POSITIVE_INFINITY, 'invalid feature in transaction tx-1: speed_kmh_from_prev=Infinity, expected a finite number or null'],
    ['txn_count_1h', null, 'invalid feature in transaction tx-1: txn_count_1h=null, expected a finite number'],
    ['txn_count_1h', undefined, 'invalid feature in transaction tx-1: txn_count_1h=(missing), expected a finite number'],
    ['amount', '12.5', 'invalid feature in transaction tx-1: amount="12.5", expected a finite number'],
    ['is_new_device', 1, 'invalid feature in transaction tx-1: is_new_device=1, expected true or false'],
    ['hour_of_day', 24, 'invalid feature in transaction tx-1: hour_of_day=24, expected an integer hour from 0 to 23'],
  ])('refuses %s=%s with a precise message', (field, value, message) => {
    expect(() => toFeatureVector({ ...example, [field]: value } as unknown as FeatureRecord)).toThrow(message);
  });

  it('stacks records row-major and labels them from is_fraud', () => {
    const { features, labels } = toLabelledMatrix([example, { ...example, transaction_id: 'tx-2', txn_count_10m: 7, is_fraud: false }]);
    expect(features).toMatchObject({ featureVectorVersion: 1, rowCount: 2, columnCount: 24 });
    expect([features.values[1], features.values[24 + 1]]).toEqual([2, 7]);
    expect(Array.from(labels)).toEqual([1, 0]);
    expect(toFeatureMatrix([]).values).toHaveLength(0);
  });

  it('reads records exactly as avsc decodes the Avro schemas', () => {
    const trainingExample = schema('training-example.avsc');
    const decoded = trainingExample.fromBuffer(trainingExample.toBuffer(example)) as TrainingExample;
    expect(decoded).toEqual(example);
    expect(toFeatureVector(decoded)).toEqual(toFeatureVector(example));

    const feature = schema('feature.avsc');
    const labelFields = new Set(['is_fraud', 'label_source', 'label_time']);
    const featureRecord: FeatureRecord = Object.fromEntries(Object.entries(example).filter(([key]) => !labelFields.has(key))) as unknown as FeatureRecord;
    expect(feature.isValid(featureRecord)).toBe(true);
    expect(Object.keys(featureRecord).sort()).toEqual((feature as avro.types.RecordType).fields.map((field) => field.name).sort());
  });
});
