/**
 * A vectoriser spec compiled into the function that turns feature records into float32 rows: one
 * column writer per entry, made once, so vectorising a record does no lookups in the spec. It never
 * throws on a record: a value it cannot read comes back as a {@link VectorProblem}, which the
 * scorer dead-letters while it scores the rest of the chunk.
 */
import { cycleReading, standardise, unscaled } from './encodings.js';
import { hashBucket } from './field-hash.js';
import { isBoolean, isFiniteNumber, notARecord, readCategory, readField, type FieldValues, type VectorProblem } from './field-values.js';
import { checkVectoriserSpec } from './spec-check.js';
import { columnsOf, type NullFill, type SpecEntry } from './vectoriser-spec.js';

/** One record's vector, or why it has none. */
export type VectorOutcome = { readonly ok: true; readonly vector: Float32Array } | { readonly ok: false; readonly problem: VectorProblem };

/** The vectors of many records, in one buffer ready for a tensor. */
export interface VectorBatch {
  /** The records that could be vectorised, row-major: row `r` starts at `r × width`. */
  readonly values: Float32Array;
  readonly rowCount: number;
  /** For each row, the index of its record among those given. */
  readonly recordIndexes: readonly number[];
  /** The records that could not be vectorised, by index, with why. */
  readonly rejected: readonly { readonly index: number; readonly problem: VectorProblem }[];
}

export interface CompiledVectoriser {
  /** Columns per vector. */
  readonly width: number;
  /** The name of every column, in order. */
  readonly columnNames: readonly string[];
  vectorise(record: unknown): VectorOutcome;
  vectoriseBatch(records: readonly unknown[]): VectorBatch;
}

/**
 * Writes an entry's columns, every one of them, from `at`; returns the problem instead when the
 * record's value cannot be read. Writing every column lets a batch reuse a rejected record's row.
 */
type ColumnWriter = (record: FieldValues, target: Float32Array, at: number) => VectorProblem | undefined;

/**
 * Checks the spec (parsed from JSON, or as fitted) and compiles it. Throws
 * {@link VectoriserSpecError} naming the first problem of a malformed spec or one of another
 * layout version.
 */
export function compileVectoriser(spec: unknown): CompiledVectoriser {
  const checked = checkVectoriserSpec(spec);
  const parts = checked.inputs.map((entry) => ({ write: writerOf(entry), width: columnsOf(entry).length }));
  const width = checked.columns.length;
  const write = (record: unknown, target: Float32Array, offset: number): VectorProblem | undefined => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return notARecord(record);
    let at = offset;
    for (const part of parts) {
      const problem = part.write(record as FieldValues, target, at);
      if (problem !== undefined) return problem;
      at += part.width;
    }
    return undefined;
  };
  return {
    width,
    columnNames: checked.columns,
    vectorise(record) {
      const vector = new Float32Array(width);
      const problem = write(record, vector, 0);
      return problem === undefined ? { ok: true, vector } : { ok: false, problem };
    },
    vectoriseBatch(records) {
      const values = new Float32Array(records.length * width);
      const recordIndexes: number[] = [];
      const rejected: { index: number; problem: VectorProblem }[] = [];
      records.forEach((record, index) => {
        // A rejected record's partly written row is overwritten by the next record's.
        const problem = write(record, values, recordIndexes.length * width);
        if (problem === undefined) recordIndexes.push(index);
        else rejected.push({ index, problem });
      });
      const rowCount = recordIndexes.length;
      return { values: rejected.length === 0 ? values : values.slice(0, rowCount * width), rowCount, recordIndexes, rejected };
    },
  };
}

const indicatorOf = (nulls: NullFill<unknown> | null): boolean => nulls?.indicator === true;

function writerOf(entry: SpecEntry): ColumnWriter {
  const { field } = entry;
  switch (entry.encoding) {
    case 'raw':
    case 'standardised':
    case 'log1p':
    case 'clipped': {
      const { nulls } = entry;
      const scale = entry.encoding === 'raw' ? null : entry.scale;
      const indicator = indicatorOf(nulls);
      return (record, target, at) => {
        const reading = readField<number>(record, field, nulls, isFiniteNumber, 'a finite number');
        if (!reading.ok) return reading.problem;
        target[at] = standardise(unscaled(entry, reading.value), scale);
        if (indicator) target[at + 1] = reading.isNull ? 1 : 0;
        return undefined;
      };
    }
    case 'flag': {
      const { nulls } = entry;
      const indicator = indicatorOf(nulls);
      return (record, target, at) => {
        const reading = readField<boolean>(record, field, nulls, isBoolean, 'true or false');
        if (!reading.ok) return reading.problem;
        target[at] = reading.value ? 1 : 0;
        if (indicator) target[at + 1] = reading.isNull ? 1 : 0;
        return undefined;
      };
    }
    case 'one-hot': {
      const columnOf = new Map<string | number, number>(entry.vocabulary.map((value, index) => [value, index]));
      const outOfVocabulary = entry.vocabulary.length;
      return (record, target, at) => {
        const reading = readCategory(record, field, entry.values, entry.nullable);
        if (!reading.ok) return reading.problem;
        target.fill(0, at, at + outOfVocabulary + 1);
        target[at + (reading.value === null ? outOfVocabulary : (columnOf.get(reading.value) ?? outOfVocabulary))] = 1;
        return undefined;
      };
    }
    case 'hashed':
      return (record, target, at) => {
        const reading = readCategory(record, field, entry.values, entry.nullable);
        if (!reading.ok) return reading.problem;
        target.fill(0, at, at + entry.buckets);
        target[at + hashBucket(reading.value, entry.buckets)] = 1;
        return undefined;
      };
    case 'cyclic': {
      const { accepts, expected, angle } = cycleReading(entry);
      const { nulls } = entry;
      const indicator = indicatorOf(nulls);
      return (record, target, at) => {
        const reading = readField<number>(record, field, nulls, accepts, expected);
        if (!reading.ok) return reading.problem;
        const radians = angle(reading.value);
        target[at] = Math.sin(radians);
        target[at + 1] = Math.cos(radians);
        if (indicator) target[at + 2] = reading.isNull ? 1 : 0;
        return undefined;
      };
    }
    case 'missing-indicator':
      return (record, target, at) => {
        target[at] = record[field] === null || record[field] === undefined ? 1 : 0;
        return undefined;
      };
  }
}
