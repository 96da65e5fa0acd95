/**
 * Validation of a pipeline definition, offline: its structure against the JSON Schema, then its
 * references (files, Avro fields and types, encodings, task-specific settings). Every problem is
 * one line with its place in the file.
 */
import { formatPath, loadDefinitionSource, type DefinitionPath, type DefinitionSource } from './definition-source.js';
import { PipelineDefinitionError, type DefinitionProblem } from './errors.js';
import type { PipelineDefinition } from './pipeline-definition.js';
import { checkReferences } from './reference-checks.js';
import { checkAgainstSchema } from './schema-check.js';

export interface ValidatePipelineOptions {
  /** The folder relative paths in the definition start from. */
  readonly baseDir: string;
  /** Where the definition came from, so each problem names its file and line. @default none: problems have no place */
  readonly source?: DefinitionSource;
}

export type PipelineValidation =
  | { readonly valid: true; readonly definition: PipelineDefinition; readonly problems: readonly [] }
  | { readonly valid: false; readonly problems: readonly DefinitionProblem[] };

/** Whether `a` is `b` or encloses it. */
const encloses = (a: DefinitionPath, b: DefinitionPath): boolean => a.length <= b.length && a.every((segment, index) => segment === b[index]);

/** Every problem of a definition (parsed from a file, or built in code), in the order of the file. */
export function validatePipeline(definition: unknown, options: ValidatePipelineOptions): PipelineValidation {
  const { source } = options;
  const problems: DefinitionProblem[] = [];
  const add = (path: DefinitionPath, message: string, lineFrom: DefinitionPath = path, atKey = false): void => {
    problems.push({ file: source?.file, line: source?.lineOf(lineFrom, { key: atKey }), path: formatPath(path), message });
  };
  const issues = checkAgainstSchema(definition);
  for (const issue of issues) add(issue.path, issue.message, issue.linePath, issue.atKey);
  // A definition that is not even a mapping has nothing to follow references in.
  if (definition !== null && typeof definition === 'object' && !Array.isArray(definition)) {
    checkReferences(definition as PipelineDefinition, {
      baseDir: options.baseDir,
      sound: (path) => !issues.some((issue) => encloses(issue.path, path) || encloses(path, issue.path)),
      report: (path, message, atKey = false) => add(path, message, path, atKey),
    });
  }
  if (problems.length === 0) return { valid: true, definition: definition as PipelineDefinition, problems: [] };
  // Stable: problems on one line keep the order they were found in.
  const ordered = problems.map((problem, order) => ({ problem, order })).sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.order - b.order);
  return { valid: false, problems: ordered.map(({ problem }) => problem) };
}

/**
 * Reads, parses and validates a definition file. Returns the definition when it has no problem;
 * throws {@link PipelineDefinitionError} with every problem otherwise (or when the file cannot be
 * read or parsed).
 */
export function loadPipelineDefinition(file: string): PipelineDefinition {
  const source = loadDefinitionSource(file);
  const validation = validatePipeline(source.value, { baseDir: source.baseDir, source });
  if (!validation.valid) throw new PipelineDefinitionError(file, validation.problems);
  return validation.definition;
}
