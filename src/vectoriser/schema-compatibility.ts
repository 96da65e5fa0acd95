/**
 * Whether a fitted spec can read the records of a features schema: each entry's field must be a
 * field of it, of a type the entry's encoding reads, and not nullable where the entry was fitted on
 * a field that never was (its records would all be dead-lettered at the first null). The registry
 * asks this of the features topic's registered schema before it registers or promotes a model.
 */
import type { AvroField } from '../pipelines/avro-fields.js';
import { TIMESTAMP_SOURCES } from './fit-vectoriser.js';
import type { CyclicSource, SpecEntry, VectoriserSpec } from './vectoriser-spec.js';

/** The first entry the schema cannot feed: its field, and why, as the end of a sentence naming the schema. */
export interface InputMismatch {
  readonly field: string;
  /** E.g. `reads "amount" (log1p) as int, long, float or double; the schema has it as string`. */
  readonly problem: string;
}

const NUMERIC = ['int', 'long', 'float', 'double'];

/** The Avro kinds an entry reads. */
function kindsOf(entry: SpecEntry): readonly string[] | undefined {
  switch (entry.encoding) {
    case 'raw':
    case 'standardised':
    case 'log1p':
    case 'clipped':
      return NUMERIC;
    case 'flag':
      return ['boolean'];
    case 'one-hot':
    case 'hashed':
      return entry.values === 'string' ? ['string', 'enum'] : ['int', 'long'];
    case 'cyclic':
      return ['int', 'long'];
    case 'missing-indicator':
      // Reads only whether the value is null.
      return undefined;
  }
}

/** Whether the entry takes a null: a fill (or null category) fitted for a nullable field. */
function acceptsNull(entry: SpecEntry): boolean {
  switch (entry.encoding) {
    case 'one-hot':
    case 'hashed':
      return entry.nullable;
    case 'missing-indicator':
      return true;
    default:
      return entry.nulls !== null;
  }
}

function sourceOf(field: AvroField): CyclicSource | undefined {
  return field.logicalType === undefined ? 'value' : TIMESTAMP_SOURCES[field.logicalType];
}

/** The first entry of `spec` that `fields` cannot feed, or undefined when every one can. */
export function inputMismatch(spec: VectoriserSpec, fields: ReadonlyMap<string, AvroField>): InputMismatch | undefined {
  for (const entry of spec.inputs) {
    const reads = `reads "${entry.field}" (${entry.encoding})`;
    const field = fields.get(entry.field);
    if (field === undefined) return { field: entry.field, problem: `${reads}, which is not a field of the schema` };
    const kinds = kindsOf(entry);
    if (kinds !== undefined && !kinds.includes(field.kind)) {
      return { field: entry.field, problem: `${reads} as ${kinds.join(', ').replace(/, ([^,]*)$/, ' or $1')}; the schema has it as ${field.kind}` };
    }
    if (entry.encoding === 'cyclic' && sourceOf(field) !== entry.source) {
      const has = field.logicalType === undefined ? 'a plain number' : `a ${field.logicalType}`;
      return { field: entry.field, problem: `${reads} from ${entry.source === 'value' ? 'a plain number' : `an ${entry.source} timestamp`}; the schema has it as ${has}` };
    }
    if (field.nullable && !acceptsNull(entry)) {
      return { field: entry.field, problem: `${reads} as never null, as it was in training; the schema makes it nullable, and every null would be dead-lettered` };
    }
  }
  return undefined;
}
