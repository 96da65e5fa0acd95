/**
 * Errors of the pipeline-definition layer. A definition is checked as a whole, so its problems
 * travel together in one error, each a line a person reads with its place in the file.
 */
import { TributaryError, type TributaryErrorOptions } from '../errors/tributary-error.js';

/** One thing wrong with a definition. */
export interface DefinitionProblem {
  /** The definition file as the person named it; undefined for a definition built in code. */
  readonly file: string | undefined;
  /** 1-based line of the offending value (or of its key, or its parent when it is missing); undefined when unknown. */
  readonly line: number | undefined;
  /** Where in the definition, e.g. `model.inputs[3].field`; empty for the whole file. */
  readonly path: string;
  /** What is wrong, starting with the path, e.g. `model.inputs[3].field "amout" is not a field of the features schema`. */
  readonly message: string;
}

/** `churn.yaml:42: model.inputs[3].field "amout" …`, or without the parts that are unknown. */
export function formatProblem(problem: DefinitionProblem): string {
  if (problem.file === undefined) return problem.message;
  return problem.line === undefined ? `${problem.file}: ${problem.message}` : `${problem.file}:${problem.line}: ${problem.message}`;
}

/** Base of the errors this layer throws. */
export class PipelineError extends TributaryError {
  override readonly name: string = 'PipelineError';

  constructor(message: string, options: TributaryErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * Thrown when a definition cannot be used: a file that cannot be read or parsed, or a definition
 * with problems. Carries every problem found, so a person fixes them all in one go; retrying the
 * same file cannot help.
 */
export class PipelineDefinitionError extends PipelineError {
  override readonly name = 'PipelineDefinitionError';

  constructor(
    readonly file: string | undefined,
    readonly problems: readonly DefinitionProblem[],
    cause?: unknown,
  ) {
    super(problems.map(formatProblem).join('\n'), { cause });
  }
}

/** Thrown when a command names a pipeline that was never applied or has been deleted; retrying cannot help. */
export class PipelineNotFoundError extends PipelineError {
  override readonly name = 'PipelineNotFoundError';

  constructor(
    readonly pipeline: string,
    known: readonly string[],
  ) {
    super(`no pipeline "${pipeline}" is applied (${known.length === 0 ? 'none is' : `applied: ${known.join(', ')}`}); \`tributary pipeline apply <file>\` creates one`);
  }
}

/**
 * Thrown when the pipeline store cannot be read or written: Kafka unreachable, a refused write, a
 * read that did not reach the end of the topic in time. `retriable` says whether the same call may
 * succeed later; nothing of a failed write is visible.
 */
export class PipelineStoreError extends PipelineError {
  override readonly name = 'PipelineStoreError';
  readonly pipeline: string | undefined;

  constructor(
    readonly action: string,
    reason: string,
    options: TributaryErrorOptions & { readonly pipeline?: string } = {},
  ) {
    super(`pipeline store: ${action} failed: ${reason}`, options);
    this.pipeline = options.pipeline;
  }
}
