import avro from 'avsc';
import { missingScoreFields, olderScoreSchemaAdvice } from './score-schema.js';
import { SchemaIncompatibleError, SchemaRegistrationRefusedError, SchemaRegistryRequestError, StreamingError, type Incompatibility } from './errors.js';
import { catalogueSchemaFiles, loadSchemaFile, type AvroSchemaFile } from './schema-files.js';
import type { RegisteredSchema, SchemaRegistryClient } from './schema-registry-client.js';
import { topicName, valueSubject, type LogicalTopicName, type TopicNaming } from './topic-catalogue.js';

/** Every catalogue subject evolves under this level: a new schema must read data written with the previous one. */
export const COMPATIBILITY_LEVEL = 'BACKWARD';

/** What registration did for one subject. */
export interface SubjectRegistration {
  readonly logical: LogicalTopicName;
  readonly subject: string;
  readonly file: string;
  /** `new-subject`: first version; `new-version`: added a version; `unchanged`: the file is already the latest version. */
  readonly outcome: 'new-subject' | 'new-version' | 'unchanged';
  readonly schemaId: number;
  readonly version: number;
}

export interface SchemaRegistrationReport {
  readonly registered: readonly SubjectRegistration[];
}

/** The answer of {@link checkSchema}. */
export type SchemaCheck =
  | { readonly verdict: 'new-subject'; readonly subject: string; readonly file: string }
  | {
      readonly verdict: 'compatible' | 'incompatible';
      readonly subject: string;
      readonly file: string;
      readonly latestVersion: number;
      /** The level the registry checked under; anything but BACKWARD means `schemas register` has not run for this subject. */
      readonly compatibilityLevel: string | undefined;
      /** The registry's reasons; empty when compatible. */
      readonly reasons: readonly string[];
    };

interface PlannedSubject {
  readonly logical: LogicalTopicName;
  readonly subject: string;
  readonly schema: AvroSchemaFile;
  readonly latest: RegisteredSchema | undefined;
}

/**
 * Registers the schema of every catalogue topic under `<topic>-value` with BACKWARD
 * compatibility, all or nothing: every schema file is parsed and every existing subject checked
 * against its latest version first, and only when all pass is anything registered. Otherwise it
 * throws {@link SchemaRegistrationRefusedError} listing each incompatible schema with the
 * registry's reasons. Existing subjects are set to BACKWARD before their check, so the check
 * means what registration will enforce.
 */
export async function registerSchemas(registry: SchemaRegistryClient, config: TopicNaming): Promise<SchemaRegistrationReport> {
  const files = catalogueSchemaFiles();
  const planned: PlannedSubject[] = [];
  for (const { logical, schema } of files) {
    const subject = valueSubject(topicName(config, logical));
    planned.push({ logical, subject, schema, latest: await registry.latestSchema(subject) });
  }

  const incompatibilities: Incompatibility[] = [];
  for (const { logical, subject, schema, latest } of planned) {
    if (!latest) continue;
    await requireBackward(registry, subject);
    const verdict = await registry.checkCompatibility(subject, schema.text);
    if (verdict.compatible) continue;
    const advice = logical === 'scores' ? olderScoresAdvice(subject, latest.schema) : undefined;
    incompatibilities.push({ subject, file: schema.file, latestVersion: latest.version, reasons: verdict.reasons, ...(advice === undefined ? {} : { advice }) });
  }
  if (incompatibilities.length > 0) throw new SchemaRegistrationRefusedError(incompatibilities, planned.length);

  const registered: SubjectRegistration[] = [];
  for (const entry of planned) registered.push(await registerOne(registry, entry));
  return { registered };
}

/** The way out when the scores subject holds the score record of a release before pipelines; undefined for any other refusal. */
function olderScoresAdvice(subject: string, registered: string): string | undefined {
  let missing: readonly string[];
  try {
    missing = missingScoreFields(avro.Type.forSchema(JSON.parse(registered) as avro.Schema));
  } catch {
    // A registered text avsc cannot read is not the older score record: the registry's reasons stand alone.
    return undefined;
  }
  return missing.length === 0 ? undefined : olderScoreSchemaAdvice(subject, missing);
}

async function requireBackward(registry: SchemaRegistryClient, subject: string): Promise<void> {
  if ((await registry.compatibilityLevel(subject)) !== COMPATIBILITY_LEVEL) await registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
}

async function registerOne(registry: SchemaRegistryClient, { logical, subject, schema, latest }: PlannedSubject): Promise<SubjectRegistration> {
  if (!latest) await registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
  let schemaId: number;
  try {
    schemaId = await registry.register(subject, schema.text);
  } catch (error) {
    // Only a writer that registered between our check and now can make the registry refuse here.
    if (latest && error instanceof SchemaRegistryRequestError && error.status === 409) {
      throw new SchemaIncompatibleError({ subject, file: schema.file, latestVersion: latest.version, reasons: [error.registryMessage] });
    }
    throw error;
  }
  const now = await registry.latestSchema(subject);
  if (!now) throw new StreamingError(`the registry accepted schema id ${schemaId} under ${subject} but lists no version of it`, { subject, schemaId, url: registry.url });
  const outcome = !latest ? 'new-subject' : now.version > latest.version ? 'new-version' : 'unchanged';
  const version = now.version;
  return { logical, subject, file: schema.file, outcome, schemaId, version };
}

/**
 * Checks whether the schema in `file` could become the next version of `subject`, without
 * registering anything: compatible or incompatible (with the registry's reasons) against the
 * latest version, or a subject that does not exist yet.
 */
export async function checkSchema(registry: SchemaRegistryClient, file: string, subject: string): Promise<SchemaCheck> {
  const schema = loadSchemaFile(file);
  const latest = await registry.latestSchema(subject);
  if (!latest) return { verdict: 'new-subject', subject, file };
  const compatibilityLevel = await registry.compatibilityLevel(subject);
  const { compatible, reasons } = await registry.checkCompatibility(subject, schema.text);
  return { verdict: compatible ? 'compatible' : 'incompatible', subject, file, latestVersion: latest.version, compatibilityLevel, reasons };
}
