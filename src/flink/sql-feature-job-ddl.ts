/**
 * The Flink SQL text Tributary writes around a user's query: Kafka tables over Avro topics (with
 * their event-time attribute and watermark), identifiers, literals and intervals. Only the
 * generated text is built here; the user's statements are never parsed, the SQL Gateway does
 * that.
 */
import avro from 'avsc';
import { DURATION_EXPECTED, parseDuration } from '../pipelines/duration.js';
import { SqlJobDefinitionError } from './sql-feature-job-errors.js';

/** The event-time attribute every generated table has: `TO_TIMESTAMP_LTZ` of the definition's event-time field. */
export const ROWTIME_COLUMN = 'rowtime';

/** A column of a table over an Avro topic. */
export interface SqlColumn {
  readonly name: string;
  /** The Flink SQL type, without nullability: `STRING`, `BIGINT`, … */
  readonly type: string;
  readonly nullable: boolean;
  /** The Avro logical type of a `long`, when it has one. */
  readonly logicalType: string | undefined;
}

/** Avro types by the Flink SQL type the avro-confluent format reads them as. */
const SQL_TYPES: Readonly<Record<string, string>> = {
  boolean: 'BOOLEAN',
  int: 'INT',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'STRING',
  bytes: 'BYTES',
  // The format reads an enum symbol as its name.
  enum: 'STRING',
};

/**
 * Timestamps as the format reads them (its default, legacy mapping): the format checks a given
 * schema against the table's columns, so a `timestamp-millis` long must be a `TIMESTAMP(3)` column.
 * The local-timestamp types map differently across Flink versions and are refused.
 */
const TIMESTAMP_TYPES: Readonly<Record<string, string>> = {
  'timestamp-millis': 'TIMESTAMP(3)',
  'timestamp-micros': 'TIMESTAMP(6)',
};

type RawType = string | { readonly type?: unknown; readonly logicalType?: unknown; readonly name?: unknown } | readonly RawType[];

/**
 * The columns of a topic whose values have this Avro record schema, in field order. Nested records, arrays, maps, fixed, decimals
 * and unions of several types are refused with one line: a feature query reads flat events.
 */
export function avroColumns(schemaText: string, what: string): readonly SqlColumn[] {
  let raw: { readonly type?: unknown; readonly fields?: readonly { readonly name: string; readonly type: RawType }[] };
  try {
    raw = JSON.parse(schemaText) as typeof raw;
    avro.Type.forSchema(raw as Parameters<typeof avro.Type.forSchema>[0]);
  } catch (error) {
    throw new SqlJobDefinitionError(`${what} is not a valid Avro schema: ${(error as Error).message}`);
  }
  if (raw.type !== 'record' || !Array.isArray(raw.fields)) throw new SqlJobDefinitionError(`${what} is not an Avro record schema`);
  return raw.fields.map((field) => columnOf(field.name, field.type, what));
}

function columnOf(name: string, type: RawType, what: string): SqlColumn {
  const branches = Array.isArray(type) ? (type as readonly RawType[]) : [type];
  const nonNull = branches.filter((branch) => branch !== 'null');
  const nullable = nonNull.length < branches.length;
  const [only] = nonNull;
  const unsupported = (kind: string): SqlJobDefinitionError =>
    new SqlJobDefinitionError(`${what}: field "${name}" is ${kind}; a Flink SQL job of Tributary reads flat records (boolean, int, long, float, double, string, bytes, enum, each optionally nullable)`);
  if (nonNull.length !== 1 || only === undefined) throw unsupported('a union of several types');
  const kind = typeof only === 'string' ? only : typeof only === 'object' && !Array.isArray(only) ? String((only as { type?: unknown }).type) : 'a union';
  const logicalType = typeof only === 'object' && !Array.isArray(only) && typeof (only as { logicalType?: unknown }).logicalType === 'string' ? String((only as { logicalType: string }).logicalType) : undefined;
  const sqlType = logicalType === undefined ? SQL_TYPES[kind] : kind === 'long' ? TIMESTAMP_TYPES[logicalType] : undefined;
  if (sqlType === undefined) throw unsupported(logicalType === undefined ? `of Avro type ${kind}` : `${kind} with logical type ${logicalType}`);
  return { name, type: sqlType, nullable, logicalType };
}

/** `name` as a Flink SQL identifier: back-quoted, with back-quotes doubled. */
export const identifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** `text` as a Flink SQL string literal. */
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** A definition's duration at `place` (`labels.horizon`) in milliseconds. */
export function durationMs(duration: string, place: string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new SqlJobDefinitionError(`${place} "${duration}" is not ${DURATION_EXPECTED}`);
  return ms;
}

/** Flink's planner takes DAY intervals with the default leading precision only: two digits. */
const MAX_INTERVAL_DAYS = 99;

/**
 * An interval literal of `ms` milliseconds. Written as DAY TO SECOND, since a plain `SECOND`
 * interval has two leading digits (99 s), too few for a label horizon; up to 99 days.
 */
export function intervalLiteral(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  if (days > MAX_INTERVAL_DAYS) throw new SqlJobDefinitionError(`an interval of ${days} days is longer than Flink SQL's longest, ${MAX_INTERVAL_DAYS} days`);
  let rest = ms - days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `INTERVAL '${days} ${two(hours)}:${two(minutes)}:${two(seconds)}.${String(millis).padStart(3, '0')}' DAY TO SECOND(3)`;
}

/** The expression that turns an event-time column into the `rowtime` attribute: epoch milliseconds, or a timestamp column. */
export function rowtimeExpression(column: SqlColumn): string {
  return column.type === 'BIGINT' ? `TO_TIMESTAMP_LTZ(${identifier(column.name)}, 3)` : `CAST(${identifier(column.name)} AS TIMESTAMP(3))`;
}

/** A Kafka table with an Avro value in the registry's wire format. */
export interface KafkaTable {
  readonly name: string;
  readonly columns: readonly SqlColumn[];
  /** With it, the table gets {@link ROWTIME_COLUMN} from this column and a watermark this far behind the largest time seen. */
  readonly eventTime?: { readonly column: string; readonly maxOutOfOrdernessMs: number };
  /** Connector and format options, `connector` included. */
  readonly options: Readonly<Record<string, string>>;
}

/** `CREATE TEMPORARY TABLE`: temporary, so the table lives in the submitting session only and names nothing in a shared catalog. */
export function createTableStatement(table: KafkaTable): string {
  const lines = table.columns.map((column) => `  ${identifier(column.name)} ${column.type}${column.nullable ? '' : ' NOT NULL'}`);
  if (table.eventTime !== undefined) {
    const { column, maxOutOfOrdernessMs } = table.eventTime;
    const source = table.columns.find((candidate) => candidate.name === column);
    if (source === undefined) throw new SqlJobDefinitionError(`table ${table.name} has no event-time column "${column}"`);
    if (table.columns.some((candidate) => candidate.name === ROWTIME_COLUMN)) {
      throw new SqlJobDefinitionError(`table ${table.name} has a field named "${ROWTIME_COLUMN}", the name of the event-time attribute Tributary adds; rename the field`);
    }
    lines.push(`  ${identifier(ROWTIME_COLUMN)} AS ${rowtimeExpression(source)}`);
    lines.push(`  WATERMARK FOR ${identifier(ROWTIME_COLUMN)} AS ${identifier(ROWTIME_COLUMN)} - ${intervalLiteral(maxOutOfOrdernessMs)}`);
  }
  const options = Object.entries(table.options).map(([key, value]) => `  ${literal(key)} = ${literal(value)}`);
  return `CREATE TEMPORARY TABLE ${identifier(table.name)} (\n${lines.join(',\n')}\n) WITH (\n${options.join(',\n')}\n)`;
}

/** A table name for a topic: the topic's name with anything but letters, digits and `_` made `_`. */
export const tableNameOf = (topic: string): string => topic.replace(/[^A-Za-z0-9_]/g, '_');
