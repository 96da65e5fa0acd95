/**
 * The model's numeric inputs: one fixed, ordered layout of columns derived from a feature record.
 * Training and the scorer both vectorise through this module, so a record the scorer cannot
 * vectorise fails with the same {@link FeatureValueError} that training would raise.
 */
import { FeatureValueError } from './errors.js';
import type { FeatureRecord, TrainingExample } from './training-example.js';

/**
 * Version of the column layout below. Bump it whenever a column is added, removed, reordered or
 * encoded differently: a model and its normaliser record the version they were trained on, and
 * one trained on another layout is refused rather than fed shifted columns.
 */
export const FEATURE_VECTOR_VERSION = 1;

/**
 * How a field becomes columns:
 * - `raw`: the value itself (small counts, whose range z-scoring handles).
 * - `log1p`: sign(x)·ln(1 + |x|), for heavy-tailed amounts, durations and distances. A handful of
 *   huge values (a 20 000 purchase, a 3-day gap) would otherwise dominate the mean and variance of
 *   z-scoring and saturate the units they reach; the log spreads the typical range and keeps
 *   ratios. ln(1 + x) rather than ln(x) is defined at 0; the sign keeps refunds (negative
 *   amounts) defined instead of NaN.
 * - `flag`: a boolean as 0 or 1.
 * - `hour-cycle`: sin and cos of 2π·hour/24, so 23:00 and 00:00 are neighbours rather than 23 apart.
 */
type Encoding = 'raw' | 'log1p' | 'flag' | 'hour-cycle';

interface FieldEncoding {
  readonly field: keyof FeatureRecord;
  readonly encoding: Encoding;
  /**
   * Only for nullable fields: the value used for a null, in the field's own units, before
   * encoding. Such a field also gets a `<field>_missing` column (1 when null), so the model can
   * tell a filled-in value from a real one.
   */
  readonly fillWhenNull?: number;
}

const LAYOUT: readonly FieldEncoding[] = [
  { field: 'amount', encoding: 'log1p' },
  { field: 'txn_count_10m', encoding: 'raw' },
  { field: 'amount_sum_10m', encoding: 'log1p' },
  { field: 'amount_mean_10m', encoding: 'log1p' },
  { field: 'amount_max_10m', encoding: 'log1p' },
  { field: 'txn_count_1h', encoding: 'raw' },
  { field: 'amount_sum_1h', encoding: 'log1p' },
  { field: 'amount_mean_1h', encoding: 'log1p' },
  { field: 'amount_max_1h', encoding: 'log1p' },
  { field: 'txn_count_24h', encoding: 'raw' },
  { field: 'amount_sum_24h', encoding: 'log1p' },
  { field: 'amount_mean_24h', encoding: 'log1p' },
  { field: 'amount_max_24h', encoding: 'log1p' },
  { field: 'distinct_merchants_1h', encoding: 'raw' },
  // Null on a card's first transaction. A day, not 0: a gap of 0 reads as a burst of
  // transactions, the strongest fraud signal, which a first transaction is not.
  { field: 'seconds_since_prev', encoding: 'log1p', fillWhenNull: 86_400 },
  { field: 'amount_to_mean_24h', encoding: 'log1p' },
  // Null without a previous located transaction: no movement observed.
  { field: 'distance_km_from_prev', encoding: 'log1p', fillWhenNull: 0 },
  { field: 'speed_kmh_from_prev', encoding: 'log1p', fillWhenNull: 0 },
  { field: 'is_new_device', encoding: 'flag' },
  { field: 'hour_of_day', encoding: 'hour-cycle' },
];

function columnsOf({ field, encoding, fillWhenNull }: FieldEncoding): string[] {
  const valueColumns =
    encoding === 'log1p' ? [`log1p_${field}`] : encoding === 'hour-cycle' ? [`${field}_sin`, `${field}_cos`] : [field];
  return fillWhenNull === undefined ? valueColumns : [...valueColumns, `${field}_missing`];
}

/** Column names of layout {@link FEATURE_VECTOR_VERSION}, in order. */
export const FEATURE_COLUMNS: readonly string[] = LAYOUT.flatMap(columnsOf);

/** Number of columns of a feature vector. */
export const FEATURE_VECTOR_WIDTH = FEATURE_COLUMNS.length;

/** Feature vectors of many records, row-major, in one buffer ready for a tensor. */
export interface FeatureMatrix {
  /** The layout the columns follow. */
  readonly featureVectorVersion: number;
  readonly rowCount: number;
  readonly columnCount: number;
  /** `rowCount × columnCount` values; row `r` starts at `r * columnCount`. */
  readonly values: Float32Array;
}

/** Feature vectors with their labels (1 fraud, 0 legitimate), row for row. */
export interface LabelledMatrix {
  readonly features: FeatureMatrix;
  readonly labels: Uint8Array;
}

/** The feature vector of one record. Throws {@link FeatureValueError} naming the field, value and transaction. */
export function toFeatureVector(record: FeatureRecord): Float32Array {
  const vector = new Float32Array(FEATURE_VECTOR_WIDTH);
  writeFeatureVector(record, vector, 0);
  return vector;
}

/** The feature vectors of many records, in record order; fails on the first invalid record. */
export function toFeatureMatrix(records: readonly FeatureRecord[]): FeatureMatrix {
  const values = new Float32Array(records.length * FEATURE_VECTOR_WIDTH);
  records.forEach((record, row) => writeFeatureVector(record, values, row * FEATURE_VECTOR_WIDTH));
  return { featureVectorVersion: FEATURE_VECTOR_VERSION, rowCount: records.length, columnCount: FEATURE_VECTOR_WIDTH, values };
}

/** The feature vectors of training examples with `is_fraud` as the label. */
export function toLabelledMatrix(examples: readonly TrainingExample[]): LabelledMatrix {
  return { features: toFeatureMatrix(examples), labels: Uint8Array.from(examples, (example) => (example.is_fraud ? 1 : 0)) };
}

function writeFeatureVector(record: FeatureRecord, target: Float32Array, offset: number): void {
  // Decoded input is only as typed as its producer, so every value is checked as unknown.
  const fields = record as unknown as Readonly<Record<string, unknown>>;
  const transactionId = typeof fields.transaction_id === 'string' ? fields.transaction_id : '(no transaction_id)';
  let column = offset;
  for (const { field, encoding, fillWhenNull } of LAYOUT) {
    const value = fields[field];
    const nullable = fillWhenNull !== undefined;
    if (encoding === 'flag') {
      if (typeof value !== 'boolean') throw new FeatureValueError(transactionId, field, value, 'true or false');
      target[column++] = value ? 1 : 0;
      continue;
    }
    if (nullable && value === null) {
      target[column++] = encode(encoding, fillWhenNull);
      target[column++] = 1;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new FeatureValueError(transactionId, field, value, nullable ? 'a finite number or null' : 'a finite number');
    }
    if (encoding === 'hour-cycle') {
      if (!Number.isInteger(value) || value < 0 || value > 23) throw new FeatureValueError(transactionId, field, value, 'an integer hour from 0 to 23');
      const angle = (2 * Math.PI * value) / 24;
      target[column++] = Math.sin(angle);
      target[column++] = Math.cos(angle);
      continue;
    }
    target[column++] = encode(encoding, value);
    if (nullable) target[column++] = 0;
  }
}

/** A single-column encoding; `hour-cycle` and `flag` are written where they are handled. */
function encode(encoding: Encoding, value: number): number {
  return encoding === 'log1p' ? Math.sign(value) * Math.log1p(Math.abs(value)) : value;
}
