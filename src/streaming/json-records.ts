/**
 * JSON records checked against a topic's Avro schema, for `tributary produce`: each line of
 * JSON becomes an Avro value, or a list of problems that each name the field and what the schema
 * expects there. avsc decides validity (`isValid` with its error hook) and encodes; this module
 * only adds what JSON written by a person needs on top:
 *
 * - a union value may be plain (`null`, `"x"`) or in Avro's JSON encoding (`{"string": "x"}`);
 *   a one-key object whose key names a branch of the union is read as the latter;
 * - `timestamp-millis` longs take epoch milliseconds or an ISO-8601 time with a zone;
 * - `bytes` and `fixed` take Avro's JSON encoding, a string of code points 0–255;
 * - fields the schema does not declare are problems (avsc would drop them without a word);
 * - paths are written as in JSON (`items[2].price`), and a missing field says it is missing.
 */
import avro, { type Schema, type Type } from 'avsc';

/** A JSON line turned into a value its schema accepts, with the record key when one was asked for. */
export interface JsonRecord {
  /** The value as avsc encodes it (unions wrapped where the schema's union needs it). */
  readonly value: unknown;
  /** The `--key` field's value as text; null when no key field was asked for. */
  readonly key: string | null;
}

/** The outcome of reading one line: a record, or every problem found in it (one sentence each). */
export type JsonRecordResult = { readonly record: JsonRecord } | { readonly problems: readonly string[] };

const LONGEST_VALUE_SHOWN = 80;
const KEY_KINDS = new Set(['string', 'enum', 'int', 'long']);
/** ISO-8601 with a date, a time and a zone; a time without a zone would depend on the machine's. */
const ISO_8601_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** `timestamp-millis`: epoch milliseconds as a number, or an ISO-8601 string, written as milliseconds; read back as a number. */
class TimestampMillisType extends avro.types.LogicalType {
  constructor(schema: Schema, options?: unknown) {
    super(schema, options);
    // avsc falls back to the plain underlying type when a logical type's constructor throws.
    if (this.underlyingType.typeName !== 'long') throw new Error('timestamp-millis annotates a long');
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  /** Undefined makes avsc report the value as not a timestamp, naming this type. */
  protected override _toValue(value: unknown): unknown {
    if (typeof value === 'number') return value;
    if (typeof value !== 'string' || !ISO_8601_WITH_ZONE.test(value)) return undefined;
    const millis = Date.parse(value);
    return Number.isFinite(millis) ? millis : undefined;
  }
}

/** Avro's JSON encoding writes each byte as the code point of the same value. */
const isLatin1 = (text: string): boolean => Array.from(text).every((char) => char.codePointAt(0)! <= 0xff);
const isTimestamp = (type: Type): boolean => type instanceof TimestampMillisType;
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);

/** Parses a registered schema into the avsc type that reads JSON records as this module describes. */
export function jsonRecordType(schema: Schema): Type {
  return avro.Type.forSchema(schema, { logicalTypes: { 'timestamp-millis': TimestampMillisType } });
}

/** What an Avro type accepts, as a person reads it in a message. */
function describeJsonType(type: Type): string {
  if (isTimestamp(type)) return 'timestamp-millis (epoch milliseconds, or ISO-8601 with a zone such as "2025-01-15T09:00:00Z")';
  if (type instanceof avro.types.LogicalType) return describeJsonType(type.underlyingType);
  if (type instanceof avro.types.EnumType) return `one of ${type.symbols.map((symbol) => JSON.stringify(symbol)).join(', ')}`;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) return type.types.map(describeJsonType).join(' or ');
  if (type instanceof avro.types.RecordType) return `an object (record ${type.name ?? 'without a name'})`;
  if (type instanceof avro.types.ArrayType) return `an array of ${describeJsonType(type.itemsType)}`;
  if (type instanceof avro.types.MapType) return `an object of ${describeJsonType(type.valuesType as Type)}`;
  if (type instanceof avro.types.FixedType) return `fixed (a string of ${type.size} code points 0-255)`;
  if (type.typeName === 'bytes') return 'bytes (a string of code points 0-255)';
  return type.typeName;
}

function describeJsonValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('latin1'));
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > LONGEST_VALUE_SHOWN ? `${shown.slice(0, LONGEST_VALUE_SHOWN - 1)}…` : shown;
}

const unionBranches = (type: Type): readonly Type[] | undefined =>
  type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType ? type.types : undefined;

/** The branch of an unwrapped union that takes a JSON object or array, as avsc picks it by bucket. */
function containerBranch(branches: readonly Type[], value: unknown): Type | undefined {
  if (Array.isArray(value)) return branches.find((branch) => branch instanceof avro.types.ArrayType);
  return branches.find((branch) => branch instanceof avro.types.RecordType || branch instanceof avro.types.MapType);
}

/** `{"string": "x"}` when its one key names a branch of `branches`: that branch and the value inside. */
function avroJsonUnionValue(branches: readonly Type[], value: unknown): { readonly branch: Type; readonly inner: unknown } | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const branch = branches.find((candidate) => candidate.branchName === keys[0]);
  return branch && { branch, inner: value[keys[0]!] };
}

const joinPath = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/**
 * Stands for a JSON array where the schema has a record: reported by {@link normalise}, and
 * skipped when avsc meets it, since avsc would look up the record's fields on the array itself.
 */
const REPORTED = Symbol('reported');

/**
 * Rewrites the JSON conveniences above into the values avsc expects, and lists the undeclared
 * fields it meets. Never fails: anything else is left as it is for avsc to judge.
 */
function normalise(type: Type, value: unknown, path: string, problems: string[]): unknown {
  const branches = unionBranches(type);
  if (branches !== undefined) {
    if (value === null) return null;
    const encoded = avroJsonUnionValue(branches, value);
    if (type instanceof avro.types.WrappedUnionType) {
      if (encoded) return { [encoded.branch.branchName!]: normalise(encoded.branch, encoded.inner, path, problems) };
      // A plain value goes to the first branch that accepts it, as a person writing `3` for ["int", "long"] means.
      for (const branch of branches) {
        const candidate = normalise(branch, value, path, []);
        if (branch.isValid(candidate)) return { [branch.branchName!]: candidate };
      }
      return value;
    }
    if (encoded) return normalise(encoded.branch, encoded.inner, path, problems);
    const container = containerBranch(branches, value);
    return container ? normalise(container, value, path, problems) : value;
  }
  if (type instanceof avro.types.RecordType && Array.isArray(value)) {
    problems.push(typeProblem(path, value, type));
    return REPORTED;
  }
  if (type instanceof avro.types.RecordType && isPlainObject(value)) {
    const declared = new Map(type.fields.map((field) => [field.name, field.type]));
    // No prototype, so a missing field named like one of Object's methods reads as missing.
    const normalised = Object.create(null) as Record<string, unknown>;
    for (const [name, fieldValue] of Object.entries(value)) {
      const fieldType = declared.get(name);
      if (fieldType === undefined) problems.push(`field "${joinPath(path, name)}" is not in the schema (${type.name ?? 'the record'} declares ${[...declared.keys()].join(', ')})`);
      else normalised[name] = normalise(fieldType, fieldValue, joinPath(path, name), problems);
    }
    return normalised;
  }
  if (type instanceof avro.types.ArrayType && Array.isArray(value)) return value.map((item, index) => normalise(type.itemsType, item, `${path}[${index}]`, problems));
  if (type instanceof avro.types.MapType && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalise(type.valuesType as Type, item, `${path}[${JSON.stringify(key)}]`, problems)]));
  }
  if ((type.typeName === 'bytes' || type instanceof avro.types.FixedType) && typeof value === 'string' && isLatin1(value)) return Buffer.from(value, 'latin1');
  return value;
}

/**
 * avsc's error path (field names, array indices, map keys, wrapped-union branch names) as JSON
 * reads it, found by walking the type along it.
 */
function jsonPath(root: Type, segments: readonly string[]): string {
  let type: Type | undefined = root;
  let path = '';
  for (const segment of segments) {
    const branches: readonly Type[] | undefined = type && unionBranches(type);
    if (branches !== undefined) {
      const named: Type | undefined = branches.find((branch) => branch.branchName === segment);
      // A wrapped union's branch name is a step of avsc's path, not of the person's JSON.
      if (named && type instanceof avro.types.WrappedUnionType) {
        type = named;
        continue;
      }
      type = branches.find((branch) => branch instanceof avro.types.RecordType || branch instanceof avro.types.MapType || branch instanceof avro.types.ArrayType);
    }
    if (type instanceof avro.types.RecordType) {
      path = joinPath(path, segment);
      type = type.fields.find((field) => field.name === segment)?.type;
    } else if (type instanceof avro.types.ArrayType) {
      path = `${path}[${segment}]`;
      type = type.itemsType;
    } else {
      path = `${path}[${JSON.stringify(segment)}]`;
      type = type instanceof avro.types.MapType ? (type.valuesType as Type) : undefined;
    }
  }
  return path;
}

/** One sentence for a value avsc rejected at `path`. */
function typeProblem(path: string, found: unknown, expected: Type): string {
  if (path === '') return `the line is ${describeJsonValue(found)}, not ${describeJsonType(expected)}`;
  if (found === undefined) return `field "${path}" is missing: expected ${describeJsonType(expected)}, and the schema gives it no default`;
  return `field "${path}": expected ${describeJsonType(expected)}, got ${describeJsonValue(found)}`;
}

/**
 * Checks that `keyField` can key records of `type`: a top-level field holding a string, an enum
 * or a whole number (possibly nullable; a null key is then a problem of that line). Returns the
 * reason it cannot, or undefined.
 */
export function keyFieldProblem(type: Type, keyField: string): string | undefined {
  if (!(type instanceof avro.types.RecordType)) return `--key ${keyField}: the topic's schema is not a record, so it has no fields`;
  const field = type.fields.find((candidate) => candidate.name === keyField);
  if (field === undefined) return `--key ${keyField}: ${type.name ?? 'the record'} has no such field; it declares ${type.fields.map((candidate) => candidate.name).join(', ')}`;
  const kinds = (unionBranches(field.type) ?? [field.type]).filter((branch) => branch.typeName !== 'null');
  const [kind] = kinds;
  if (kinds.length !== 1 || kind === undefined || !KEY_KINDS.has(kind.typeName)) {
    return `--key ${keyField}: the field is ${describeJsonType(field.type)}; a key field holds a string, an enum, an int or a long`;
  }
  return undefined;
}

/**
 * Reads one line of JSON as a value of `type`. Every problem is listed, not only the first:
 * invalid JSON (with the parser's reason), fields the schema does not declare, values of the
 * wrong type, missing fields without a default, and a null or missing key field.
 */
export function readJsonRecord(type: Type, line: string, keyField?: string): JsonRecordResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { problems: [`invalid JSON: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  const value = normalise(type, parsed, '', problems);
  type.isValid(value, {
    errorHook: (segments, found, expected) => {
      if (found !== REPORTED) problems.push(typeProblem(jsonPath(type, segments), found, expected));
    },
  });
  if (problems.length > 0) return { problems };
  if (keyField === undefined) return { record: { value, key: null } };
  const key = (value as Record<string, unknown>)[keyField];
  if (key === null || key === undefined) return { problems: [`field "${keyField}" (the --key) is ${key === null ? 'null' : 'missing'}: every record needs a key`] };
  return { record: { value, key: String(key) } };
}
