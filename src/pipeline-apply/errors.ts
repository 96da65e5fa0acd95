/** Errors of carrying a pipeline definition out on the live system. */
import { reasonOf } from '../errors/tributary-error.js';
import { PipelineError } from '../pipelines/errors.js';

const some = (count: number, noun: string): string => (count === 1 ? `a ${noun}` : `${count} ${noun}s`);

/**
 * Thrown by apply before it changes anything, when the registry would refuse a schema of the
 * definition or the SQL Gateway refuses a feature job's query: one line per refused item, with
 * the registry's reasons or the gateway's message and the file's line. Retrying the same file
 * cannot help; a compatible schema (or a new topic), or a corrected query, can.
 */
export class ApplyRefusedError extends PipelineError {
  override readonly name = 'ApplyRefusedError';

  constructor(
    readonly pipeline: string,
    readonly refused: { readonly schemas: readonly string[]; readonly featureJobs: readonly string[] },
  ) {
    const { schemas, featureJobs } = refused;
    const who = [
      ...(schemas.length > 0 ? [`the schema registry would refuse ${some(schemas.length, 'schema')}`] : []),
      ...(featureJobs.length > 0 ? [`the SQL Gateway refuses ${some(featureJobs.length, 'feature job')}`] : []),
    ];
    super(`${pipeline}: nothing applied, ${who.join(' and ')}:\n${[...schemas, ...featureJobs].join('\n')}`);
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
