/**
 * The scores topic's record, schemas/score.avsc: the one record every pipeline's scores share.
 * Releases before pipelines registered a score record of another shape under the scores subject,
 * which the generic record cannot follow under BACKWARD compatibility (its identity fields have no
 * default), so a stack whose registry kept that subject needs a way out that loses nothing: this
 * module recognises such a schema and says what to do.
 */
import type { Type } from 'avsc';
import { loadSchemaFile } from './schema-files.js';
import { schemaFilePath, topicDeclaration } from './topic-catalogue.js';

/** The fields of schemas/score.avsc a writer must find in the registered scores schema: those without a default. */
function requiredScoreFields(): readonly string[] {
  const type = loadSchemaFile(schemaFilePath(topicDeclaration('scores').valueSchema)).type as Type & { readonly fields?: readonly { readonly name: string; readonly defaultValue: () => unknown }[] };
  return (type.fields ?? []).filter((field) => field.defaultValue() === undefined).map((field) => field.name);
}

/** The fields of the generic score record that `registered` lacks; empty when a scorer can write it. */
export function missingScoreFields(registered: Type): readonly string[] {
  const fields = new Set(((registered as { readonly fields?: readonly { readonly name: string }[] }).fields ?? []).map((field) => field.name));
  return requiredScoreFields().filter((field) => !fields.has(field));
}

/**
 * What a person does when `subject` holds a score record of an older shape: start this release on
 * a new topic prefix, which leaves the old topics, their scores and their schemas as they are.
 */
export function olderScoreSchemaAdvice(subject: string, missing: readonly string[]): string {
  return (
    `${subject} holds a score record of a Tributary release before pipelines (it has no ${missing.join(', ')}), which the generic score record cannot follow; ` +
    'keep it and its scores as they are, and run this release on a new topic prefix (TRIBUTARY_TOPIC_PREFIX, e.g. tributary2.): `tributary topics ensure`, then `tributary schemas register`'
  );
}
