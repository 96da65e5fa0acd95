/**
 * The top-level fields of a topic's Avro record schema, as the definition's checks need them: the
 * type of each field with `null` taken out of a union, whether it is nullable, and its logical type.
 * The schema is parsed by avsc (through the streaming layer's loader); logical types are read from
 * the schema's JSON, since avsc resolves them to their underlying type.
 */
import type { Type } from 'avsc';
import { loadSchemaFile } from '../streaming/schema-files.js';

/** One field of a record. */
export interface AvroField {
  readonly name: string;
  /** The Avro type name with null taken out: `double`, `string`, `enum`, `record`, …; `union` for a union of several non-null types. */
  readonly kind: string;
  /** `timestamp-millis` and the like, of the type (or of the union's non-null branch). */
  readonly logicalType: string | undefined;
  /** An Avro union with `null`. */
  readonly nullable: boolean;
}

/** A schema file's top-level type and, for a record, its fields by name in declaration order. */
export interface AvroRecordFields {
  /** `record`, or what the top-level type is instead (`enum`, `fixed`). */
  readonly typeName: string;
  /** Undefined when the top-level type is not a record. */
  readonly fields: ReadonlyMap<string, AvroField> | undefined;
}

type RawType = string | { readonly type?: unknown; readonly logicalType?: unknown } | readonly RawType[];

/**
 * Reads a schema file. Throws the streaming layer's `SchemaFileError` when the file cannot be
 * read or is not an Avro schema.
 */
export function loadRecordFields(file: string): AvroRecordFields {
  const loaded = loadSchemaFile(file);
  return recordFieldsOf(loaded.type, loaded.text);
}

/**
 * The fields of a parsed schema; `text` is its JSON (a schema file's, or a schema as the Schema
 * Registry holds it), from which logical types are read.
 */
export function recordFieldsOf(parsed: Type, text: string): AvroRecordFields {
  const type = parsed as Type & { readonly fields?: readonly { readonly name: string; readonly type: Type }[] };
  if (type.typeName !== 'record' || type.fields === undefined) return { typeName: type.typeName, fields: undefined };
  const raw = JSON.parse(text) as { readonly fields: readonly { readonly name: string; readonly type: RawType }[] };
  const rawByName = new Map(raw.fields.map((field) => [field.name, field.type]));
  const fields = new Map<string, AvroField>();
  for (const field of type.fields) fields.set(field.name, describeField(field.name, field.type, rawByName.get(field.name)));
  return { typeName: 'record', fields };
}

function describeField(name: string, type: Type, raw: RawType | undefined): AvroField {
  const branches = (type as Type & { readonly types?: readonly Type[] }).types;
  if (branches === undefined) return { name, kind: type.typeName, logicalType: logicalTypeOf(raw), nullable: false };
  const nonNull = branches.filter((branch) => branch.typeName !== 'null');
  const nullable = nonNull.length < branches.length;
  if (nonNull.length !== 1) return { name, kind: 'union', logicalType: undefined, nullable };
  const rawBranch = Array.isArray(raw) ? (raw as readonly RawType[]).find((branch) => branch !== 'null') : undefined;
  return { name, kind: nonNull[0]!.typeName, logicalType: logicalTypeOf(rawBranch), nullable };
}

function logicalTypeOf(raw: RawType | undefined): string | undefined {
  if (raw === undefined || typeof raw === 'string' || Array.isArray(raw)) return undefined;
  const { logicalType } = raw as { readonly logicalType?: unknown };
  return typeof logicalType === 'string' ? logicalType : undefined;
}

/** The field's type as a person reads it in the schema: `double`, `["null", "double"]`, `long (timestamp-millis)`. */
export function describeAvroType(field: AvroField): string {
  const base = field.logicalType === undefined ? field.kind : `${field.kind} (${field.logicalType})`;
  return field.nullable ? `["null", ${base === field.kind ? `"${base}"` : base}]` : base;
}
