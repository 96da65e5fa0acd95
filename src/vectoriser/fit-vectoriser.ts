/**
 * Fitting a pipeline's model inputs on training rows: the vectoriser spec with everything learned
 * from data (means and standard deviations, vocabularies) and everything read from the features
 * schema (which fields are nullable, whether a category is text or integers, whether a cyclic
 * field is a timestamp). Fit on the training split only: statistics from validation or test rows
 * would leak their distribution into training and flatter the evaluation.
 */
import type { AvroField } from '../pipelines/avro-fields.js';
import type { ModelInput } from '../pipelines/pipeline-definition.js';
import { unscaled, type Prescaling } from './encodings.js';
import { VectoriserFitError } from './errors.js';
import { isFiniteNumber, readCategory, readField, type FieldValues, type VectorProblem } from './field-values.js';
import {
  CATEGORY_HASH,
  columnsOf,
  VECTORISER_LAYOUT_VERSION,
  type CategoryType,
  type CyclicSource,
  type NullFill,
  type SpecEntry,
  type Standardisation,
  type VectoriserSpec,
} from './vectoriser-spec.js';

/** The defaults of the definition's input options (`@default` in pipeline-definition.ts). */
export const INPUT_DEFAULTS = { maxCategories: 100, minCount: 1, standardise: true, missingIndicator: true } as const;

/**
 * A standard deviation counts as zero below this share of the mean's magnitude: summing in
 * floating point leaves a tiny spread on a column of identical values.
 */
const CONSTANT_TOLERANCE = 1e-6;

/** Logical types of a `long` holding a timestamp, by the unit they count. */
export const TIMESTAMP_SOURCES: Readonly<Record<string, CyclicSource>> = {
  'timestamp-millis': 'epoch-millis',
  'local-timestamp-millis': 'epoch-millis',
  'timestamp-micros': 'epoch-micros',
  'local-timestamp-micros': 'epoch-micros',
};

/**
 * The spec of `inputs` (from a definition that passed `validatePipeline`) fitted on `rows`, the
 * training split's feature records. `fields` are the features schema's fields
 * (`loadRecordFields(...).fields`). Throws {@link VectoriserFitError} when there are no rows, when
 * an input's field is not in `fields` or not of a type its encoding reads, or when a row has a
 * value that an input to fit cannot read (naming the row and the value).
 */
export function fitVectoriser(inputs: readonly ModelInput[], rows: readonly FieldValues[], fields: ReadonlyMap<string, AvroField>): VectoriserSpec {
  if (rows.length === 0) throw new VectoriserFitError('no training rows to fit the vectoriser on', undefined);
  const entries = inputs.map((input, index): SpecEntry => {
    const field = fields.get(input.field);
    if (field === undefined) throw new VectoriserFitError(`model.inputs[${index}].field "${input.field}" is not a field of the features schema`, input.field);
    return fitEntry(input, index, field, rows);
  });
  return { layoutVersion: VECTORISER_LAYOUT_VERSION, inputs: entries, columns: entries.flatMap(columnsOf) };
}

function fitEntry(input: ModelInput, index: number, field: AvroField, rows: readonly FieldValues[]): SpecEntry {
  const refuse = (why: string): never => {
    throw new VectoriserFitError(`model.inputs[${index}] (${input.encoding} of "${input.field}"): ${why}`, input.field);
  };
  const nullsOf = <Value>(fillNull: Value | undefined, missingIndicator: boolean | undefined): NullFill<Value> | null => {
    if (!field.nullable) return null;
    if (fillNull === undefined) return refuse('the field is nullable and fillNull is not set');
    return { fill: fillNull, indicator: missingIndicator ?? INPUT_DEFAULTS.missingIndicator };
  };
  const categoryType = (): CategoryType => {
    if (field.kind === 'string' || field.kind === 'enum') return 'string';
    if (field.kind === 'int' || field.kind === 'long') return 'integer';
    return refuse(`a category must be a string, enum, int or long; the field is ${field.kind}`);
  };
  const scaleOf = (prescaling: Prescaling, nulls: NullFill<number> | null): Standardisation =>
    fitStandardisation(rows.map((row, rowIndex) => unscaled(prescaling, readNumber(row, rowIndex, input.field, nulls))));

  switch (input.encoding) {
    case 'raw':
      return { field: input.field, encoding: 'raw', nulls: nullsOf(input.fillNull, input.missingIndicator) };
    case 'standardised': {
      const nulls = nullsOf(input.fillNull, input.missingIndicator);
      return { field: input.field, encoding: 'standardised', scale: scaleOf(input, nulls), nulls };
    }
    case 'log1p': {
      const nulls = nullsOf(input.fillNull, input.missingIndicator);
      const scale = (input.standardise ?? INPUT_DEFAULTS.standardise) ? scaleOf(input, nulls) : null;
      return { field: input.field, encoding: 'log1p', scale, nulls };
    }
    case 'clipped': {
      if (!(input.min < input.max)) refuse(`max (${input.max}) must be above min (${input.min})`);
      const nulls = nullsOf(input.fillNull, input.missingIndicator);
      const scale = (input.standardise ?? INPUT_DEFAULTS.standardise) ? scaleOf(input, nulls) : null;
      return { field: input.field, encoding: 'clipped', min: input.min, max: input.max, scale, nulls };
    }
    case 'flag':
      return { field: input.field, encoding: 'flag', nulls: nullsOf(input.fillNull, input.missingIndicator) };
    case 'one-hot': {
      const values = categoryType();
      const vocabulary = learnVocabulary(rows, input.field, values, field.nullable, input.maxCategories ?? INPUT_DEFAULTS.maxCategories, input.minCount ?? INPUT_DEFAULTS.minCount);
      return { field: input.field, encoding: 'one-hot', values, nullable: field.nullable, vocabulary };
    }
    case 'hashed':
      return { field: input.field, encoding: 'hashed', values: categoryType(), nullable: field.nullable, hash: CATEGORY_HASH, buckets: input.buckets };
    case 'cyclic': {
      if (field.kind !== 'int' && field.kind !== 'long') refuse(`a cycle is read from an int or long; the field is ${field.kind}`);
      const source = field.logicalType === undefined ? 'value' : TIMESTAMP_SOURCES[field.logicalType];
      if (source === undefined) return refuse(`a cycle is read from an hour, a weekday or a timestamp; the field's logical type is ${field.logicalType}`);
      return { field: input.field, encoding: 'cyclic', period: input.period, source, nulls: nullsOf(input.fillNull, input.missingIndicator) };
    }
    case 'missing-indicator':
      if (!field.nullable) refuse('the field is never null');
      return { field: input.field, encoding: 'missing-indicator' };
  }
}

/** A training row's problem as the error that stops fitting. */
function rowError(rowIndex: number, problem: VectorProblem): VectoriserFitError {
  return new VectoriserFitError(`training row ${rowIndex}: ${problem.message}`, problem.field, rowIndex, problem);
}

function readNumber(row: FieldValues, rowIndex: number, field: string, nulls: NullFill<number> | null): number {
  const reading = readField<number>(row, field, nulls, isFiniteNumber, 'a finite number');
  if (!reading.ok) throw rowError(rowIndex, reading.problem);
  return reading.value;
}

/**
 * Mean and population standard deviation, in two passes (the mean first, then squared
 * deviations), which avoids the cancellation of E[x²] − E[x]². A column constant in training gets
 * std 1 rather than 0: dividing by 0 would turn every value into NaN or ±Infinity; with 1 its
 * training values all become 0 (it carries nothing there), and a different value when serving
 * shows as its plain offset from the training constant.
 */
function fitStandardisation(values: readonly number[]): Standardisation {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
  return { mean, std: std <= CONSTANT_TOLERANCE * Math.max(1, Math.abs(mean)) ? 1 : std };
}

/**
 * The values seen at least `minCount` times, the most frequent first, ties in ascending order of
 * the value (so the same rows give the same columns whatever their order), at most `maxCategories`.
 * Null is not a vocabulary value: it always goes to the out-of-vocabulary column.
 */
function learnVocabulary(rows: readonly FieldValues[], field: string, values: CategoryType, nullable: boolean, maxCategories: number, minCount: number): (string | number)[] {
  const counts = new Map<string | number, number>();
  rows.forEach((row, rowIndex) => {
    const reading = readCategory(row, field, values, nullable);
    if (!reading.ok) throw rowError(rowIndex, reading.problem);
    if (reading.value !== null) counts.set(reading.value, (counts.get(reading.value) ?? 0) + 1);
  });
  return [...counts]
    .filter(([, count]) => count >= minCount)
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, maxCategories)
    .map(([value]) => value);
}
