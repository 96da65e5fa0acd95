/**
 * The vectoriser spec: how a pipeline's model inputs become one row of numbers, with everything
 * fitted on the training rows (normalisation, vocabularies), as plain JSON. It is stored with the
 * model artifact, and training, evaluation, drift and the scorer all vectorise through it, so a
 * model is always fed the columns it was trained on. `vectoriser-spec.schema.json` beside it
 * describes the same JSON for readers in other languages (a Python trainer).
 *
 * Every entry lists each of its keys, with `null` for "none", so a reader sees the whole state.
 */
import type { CyclicInput } from '../pipelines/pipeline-definition.js';

/**
 * Version of the layout rules below (entry kinds, column order and names, the hash, the
 * arithmetic of each encoding). Bump it when any of them changes meaning: a spec of another
 * version is refused rather than read with rules it was not fitted under.
 */
export const VECTORISER_LAYOUT_VERSION = 1;

export interface VectoriserSpec {
  readonly layoutVersion: typeof VECTORISER_LAYOUT_VERSION;
  /** One entry per model input, in the definition's order; their columns follow each other in this order. */
  readonly inputs: readonly SpecEntry[];
  /** The name of every output column, in order: `columnsOf` of each entry, concatenated. */
  readonly columns: readonly string[];
}

export type SpecEntry =
  | RawEntry
  | StandardisedEntry
  | Log1pEntry
  | ClippedEntry
  | FlagEntry
  | OneHotEntry
  | HashedEntry
  | CyclicEntry
  | MissingIndicatorEntry;

/** z-scoring fitted on the training rows: (x − mean) / std, with the population standard deviation. */
export interface Standardisation {
  readonly mean: number;
  /** Above 0: a constant training column is stored with std 1, so it is centred but not divided by zero. */
  readonly std: number;
}

/** What a nullable field's null becomes. */
export interface NullFill<Value> {
  /** The value used instead, in the field's own units, before encoding. */
  readonly fill: Value;
  /** Whether a `<field>:missing` column (1 for null) follows the value's columns. */
  readonly indicator: boolean;
}

interface EntryBase {
  readonly field: string;
}

/** A number as it is. */
export interface RawEntry extends EntryBase {
  readonly encoding: 'raw';
  /** null: the field is never null, and a null is a bad record. */
  readonly nulls: NullFill<number> | null;
}

/** (x − mean) / std. */
export interface StandardisedEntry extends EntryBase {
  readonly encoding: 'standardised';
  readonly scale: Standardisation;
  readonly nulls: NullFill<number> | null;
}

/** sign(x)·ln(1 + |x|), then standardised when `scale` is set. */
export interface Log1pEntry extends EntryBase {
  readonly encoding: 'log1p';
  readonly scale: Standardisation | null;
  readonly nulls: NullFill<number> | null;
}

/** min(max(x, min), max), then standardised when `scale` is set. */
export interface ClippedEntry extends EntryBase {
  readonly encoding: 'clipped';
  readonly min: number;
  readonly max: number;
  readonly scale: Standardisation | null;
  readonly nulls: NullFill<number> | null;
}

/** A boolean as 1 or 0. */
export interface FlagEntry extends EntryBase {
  readonly encoding: 'flag';
  readonly nulls: NullFill<boolean> | null;
}

/** What a category's values are: text (Avro `string` and `enum`) or integers (Avro `int` and `long`). */
export type CategoryType = 'string' | 'integer';

/** One column per vocabulary value, in vocabulary order, then the out-of-vocabulary column. */
export interface OneHotEntry extends EntryBase {
  readonly encoding: 'one-hot';
  readonly values: CategoryType;
  /** Whether a null is accepted (it goes to the out-of-vocabulary column) rather than a bad record. */
  readonly nullable: boolean;
  /** Learned from the training rows, the most frequent first, ties in ascending order of the value. */
  readonly vocabulary: readonly (string | number)[];
}

/** The hash function of hashed categories; see `field-hash.ts` for the exact bytes hashed. */
export const CATEGORY_HASH = 'fnv1a-32';

/** `buckets` columns; a value sets the one of its hash modulo `buckets`. */
export interface HashedEntry extends EntryBase {
  readonly encoding: 'hashed';
  readonly values: CategoryType;
  /** Whether a null is accepted (it is hashed as one more value) rather than a bad record. */
  readonly nullable: boolean;
  readonly hash: typeof CATEGORY_HASH;
  readonly buckets: number;
}

/**
 * Where the position in the cycle is read from: the field's value itself (an hour 0–23 or an ISO
 * weekday 1–7), or the UTC hour or weekday of a timestamp in milliseconds or microseconds since
 * the epoch.
 */
export type CyclicSource = 'value' | 'epoch-millis' | 'epoch-micros';

/** sin and cos of 2π·hour/24, or of 2π·(weekday − 1)/7. */
export interface CyclicEntry extends EntryBase {
  readonly encoding: 'cyclic';
  readonly period: CyclicInput['period'];
  readonly source: CyclicSource;
  readonly nulls: NullFill<number> | null;
}

/** 1 when the field is null, else 0. */
export interface MissingIndicatorEntry extends EntryBase {
  readonly encoding: 'missing-indicator';
}

/** The output columns of one entry, in order. Field names are Avro names, so `:`, `=` and `#` never clash with them. */
export function columnsOf(entry: SpecEntry): string[] {
  const { field } = entry;
  const withIndicator = (columns: string[], nulls: NullFill<unknown> | null): string[] => (nulls?.indicator ? [...columns, `${field}:missing`] : columns);
  switch (entry.encoding) {
    case 'raw':
    case 'flag':
      return withIndicator([field], entry.nulls);
    case 'standardised':
    case 'log1p':
    case 'clipped':
      return withIndicator([`${field}:${entry.encoding}`], entry.nulls);
    case 'one-hot':
      // `:oov`, not `=<oov>`: a category may be spelled `<oov>`, and column names must stay distinct.
      return [...entry.vocabulary.map((value) => `${field}=${value}`), `${field}:oov`];
    case 'hashed':
      return Array.from({ length: entry.buckets }, (_, bucket) => `${field}#${bucket}`);
    case 'cyclic':
      return withIndicator([`${field}:sin`, `${field}:cos`], entry.nulls);
    case 'missing-indicator':
      return [`${field}:missing`];
  }
}
