/**
 * Reading one field of a feature record for an input, with the check that its value is what the
 * input reads. Records come from an Avro decoder or a JSON line and are only as typed as their
 * producer, so every value is checked as unknown. A value that fails is a {@link VectorProblem},
 * returned rather than thrown: the scorer dead-letters the record and goes on, and fitting turns
 * it into an error naming the training row.
 */
import type { CategoryType, NullFill } from './vectoriser-spec.js';

/** Why a record cannot be vectorised, about one field; the record goes to the dead-letter topic with `message`. */
export interface VectorProblem {
  /** The field at fault; `(record)` when the record itself is not an object. */
  readonly field: string;
  /** The value found; undefined when the field is missing. */
  readonly value: unknown;
  /** What is wrong with the value, e.g. `is NaN; expected a finite number`. */
  readonly why: string;
  /** `<field> <why>`, one line. */
  readonly message: string;
}

/** A value the input can encode (a null already replaced by its fill), or the problem with it. */
export type Reading<Value> =
  | { readonly ok: true; readonly value: Value; readonly isNull: boolean }
  | { readonly ok: false; readonly problem: VectorProblem };

/** A record's fields by name. */
export type FieldValues = Readonly<Record<string, unknown>>;

/** A value as a person would type it: `NaN`, `"text"`, `null`; cut to a line's worth. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    // A cycle: the record is still dead-lettered, with the value as String shows it.
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function problem(field: string, value: unknown, why: string): VectorProblem {
  return { field, value, why, message: `${field} ${why}` };
}

/** The problem of something that is not an object of fields at all. */
export function notARecord(record: unknown): VectorProblem {
  return problem('(record)', record, `is ${shown(record)}; expected an object of fields`);
}

/**
 * The value of `field`: accepted when `accepts` says so; a null (or a missing field) becomes
 * `nulls.fill` when the field is nullable and is a problem otherwise.
 */
export function readField<Value>(
  record: FieldValues,
  field: string,
  nulls: Pick<NullFill<Value>, 'fill'> | null,
  accepts: (value: unknown) => boolean,
  expected: string,
): Reading<Value> {
  const value = record[field];
  if (value === null || value === undefined) {
    if (nulls !== null) return { ok: true, value: nulls.fill, isNull: true };
    const why = value === undefined ? `is missing; expected ${expected}` : `is null, but the field is not nullable; expected ${expected}`;
    return { ok: false, problem: problem(field, value, why) };
  }
  if (!accepts(value)) return { ok: false, problem: problem(field, value, `is ${shown(value)}; expected ${expected}`) };
  return { ok: true, value: value as Value, isNull: false };
}

export const isFiniteNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
export const isBoolean = (value: unknown): boolean => typeof value === 'boolean';
const isText = (value: unknown): boolean => typeof value === 'string';
export const isSafeInteger = (value: unknown): boolean => Number.isSafeInteger(value);

/** A category value (text or a whole number), or null when the field is nullable. */
export function readCategory(record: FieldValues, field: string, values: CategoryType, nullable: boolean): Reading<string | number | null> {
  const nulls = nullable ? { fill: null } : null;
  return values === 'string' ? readField<string | null>(record, field, nulls, isText, 'text') : readField<number | null>(record, field, nulls, isSafeInteger, 'a whole number');
}
