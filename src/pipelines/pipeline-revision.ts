/**
 * A definition file made into a revision draft: validated, every file it names read and embedded
 * by the path as written, and a digest of the whole that does not depend on key order or
 * formatting, so the same definition gives the same digest wherever it is applied.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { reasonOf } from '../errors/tributary-error.js';
import { loadDefinitionSource } from './definition-source.js';
import { PipelineDefinitionError } from './errors.js';
import type { PipelineDefinition } from './pipeline-definition.js';
import type { PipelineStore, RecordOutcome, RevisionDraft } from './pipeline-store.js';
import { validatePipeline } from './validate-pipeline.js';

/** Who applies, and when. */
export interface ApplyStamp {
  readonly appliedBy: string;
  /** ISO-8601. */
  readonly appliedAt: string;
}

/**
 * The text files a definition names, by the path as written: the Avro schemas and a SQL job's
 * statements. A jar is not embedded: it is a build output, and the feature-job deployment
 * compares the jar itself.
 */
export function namedFiles(definition: PipelineDefinition): readonly string[] {
  const paths = [...definition.sources.map((source) => source.schema), definition.features.schema, definition.labels.schema];
  if (definition.features.job.kind === 'sql') paths.push(definition.features.job.file);
  return [...new Set(paths)];
}

/** JSON with every object's keys sorted, so equal values serialise to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** sha256 (hex) of the definition and its files, canonically serialised. */
export function revisionDigest(definition: PipelineDefinition, files: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(canonicalJson({ definition, files })).digest('hex');
}

/**
 * Reads, validates and embeds a definition file. Throws {@link PipelineDefinitionError} with every
 * problem when the definition is not valid or a file it names cannot be read.
 */
export function revisionDraftFromFile(file: string, stamp: ApplyStamp): RevisionDraft {
  const source = loadDefinitionSource(file);
  const validation = validatePipeline(source.value, { baseDir: source.baseDir, source });
  if (!validation.valid) throw new PipelineDefinitionError(file, validation.problems);
  const { definition } = validation;
  const files: Record<string, string> = {};
  for (const path of namedFiles(definition)) {
    try {
      files[path] = readFileSync(resolve(source.baseDir, path), 'utf8');
    } catch (error) {
      // Validation found the file a moment ago; one that vanished since is still the definition's problem.
      throw new PipelineDefinitionError(file, [{ file, line: undefined, path: '', message: `${path} cannot be read: ${reasonOf(error)}` }], error);
    }
  }
  return { name: definition.name, definition, files, digest: revisionDigest(definition, files), ...stamp };
}

/** Records the definition in `file` as the next revision of its pipeline, unless the current one has its digest. */
export async function recordDefinitionFile(store: PipelineStore, file: string, stamp: ApplyStamp): Promise<RecordOutcome> {
  return store.record(revisionDraftFromFile(file, stamp));
}
