/** Errors of carrying a pipeline definition out on the live system. */
import { reasonOf } from '../errors/tributary-error.js';
import { PipelineError } from '../pipelines/errors.js';

/**
 * Thrown by apply before it changes anything, when the registry would refuse a schema of the
 * definition: one line per refused subject, with the registry's reasons. Retrying the same file
 * cannot help; a compatible schema (or a new topic) can.
 */
export class SchemaChangeRefusedError extends PipelineError {
  override readonly name = 'SchemaChangeRefusedError';

  constructor(
    readonly pipeline: string,
    readonly lines: readonly string[],
  ) {
    super(`${pipeline}: nothing applied, the schema registry would refuse ${lines.length === 1 ? 'a schema' : `${lines.length} schemas`}:\n${lines.join('\n')}`);
  }
}

/**
 * Thrown when apply stopped part way: says the step that failed, why, and every step done before
 * it. The revision is recorded last, so it is not recorded yet, and a second apply of the same
 * file skips what is done and completes the rest.
 */
export class PipelineApplyError extends PipelineError {
  override readonly name = 'PipelineApplyError';

  constructor(
    readonly pipeline: string,
    readonly step: string,
    readonly done: readonly string[],
    cause: unknown,
  ) {
    const retriable = typeof cause === 'object' && cause !== null && 'retriable' in cause && cause.retriable === true;
    super(
      `apply of ${pipeline} stopped at ${step}: ${reasonOf(cause)}\n` +
        `done before it: ${done.length === 0 ? 'nothing' : done.join('; ')}\n` +
        `the revision is not recorded; ${retriable ? 'apply the same file again' : 'remove the cause, then apply the same file again'}: it skips what is done and completes the rest`,
      { cause, retriable },
    );
  }
}
