import { readFileSync } from 'node:fs';
import avro, { type Type } from 'avsc';
import { NoTopicForRecordError, SchemaFileError } from './errors.js';
import { LOGICAL_TOPIC_NAMES, schemaFilePath, topicDeclaration, type LogicalTopicName } from './topic-catalogue.js';
import { reasonOf } from '../errors/tributary-error.js';

/** An `.avsc` file, read and parsed. */
export interface AvroSchemaFile {
  readonly file: string;
  /** The schema as compact JSON: what is sent to the registry. */
  readonly text: string;
  readonly type: Type;
  /** Full name of the top-level named type, e.g. `dev.tributary.events.Transaction`. */
  readonly recordName: string;
}


/**
 * Reads and parses an Avro schema file. Throws {@link SchemaFileError} naming the file and the
 * reason when it cannot be read, is not JSON, is not a valid Avro schema, or has no name.
 */
export function loadSchemaFile(file: string): AvroSchemaFile {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SchemaFileError(file, 'cannot be read', reasonOf(error), error);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(source);
  } catch (error) {
    throw new SchemaFileError(file, 'is not valid JSON', reasonOf(error), error);
  }
  let type: Type;
  try {
    type = avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0]);
  } catch (error) {
    throw new SchemaFileError(file, 'is not a valid Avro schema', reasonOf(error), error);
  }
  if (type.name === undefined) throw new SchemaFileError(file, 'is not usable as a topic value schema', 'its top-level type has no name; declare a record');
  return { file, text: JSON.stringify(schema), type, recordName: type.name };
}

/** Every catalogue topic with its schema file loaded. */
export function catalogueSchemaFiles(): readonly { readonly logical: LogicalTopicName; readonly schema: AvroSchemaFile }[] {
  return LOGICAL_TOPIC_NAMES.map((logical) => ({ logical, schema: loadSchemaFile(schemaFilePath(topicDeclaration(logical).valueSchema)) }));
}

/**
 * The catalogue topic whose declared schema has the same record name as `schema`, so a new
 * version of `score.avsc` is checked against the scores topic without naming it.
 */
export function logicalTopicOfRecord(schema: AvroSchemaFile): LogicalTopicName {
  const declared = catalogueSchemaFiles();
  const match = declared.find((entry) => entry.schema.recordName === schema.recordName);
  if (!match) throw new NoTopicForRecordError(schema.recordName, schema.file, declared.map((entry) => `${entry.schema.recordName} (${entry.logical})`));
  return match.logical;
}
