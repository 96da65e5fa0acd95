import { TributaryError } from '../errors/tributary-error.js';

/**
 * Thrown while rendering the chart or validating what it rendered. The message names the
 * values file, the object or the schema file concerned.
 */
export class ChartError extends TributaryError {
  override readonly name: string = 'ChartError';
}

/** `helm template` refused the values (a rule of the chart's `fail`) or could not run. */
export class ChartRenderError extends ChartError {
  override readonly name = 'ChartRenderError';

  constructor(
    readonly valuesFiles: readonly string[],
    detail: string,
    cause?: unknown,
  ) {
    super(`helm template with ${valuesFiles.length === 0 ? 'the default values' : valuesFiles.join(', ')} failed: ${detail}`, { cause });
  }
}

/** A schema file in the cache is missing, unreadable or not what the pinned version holds. */
export class SchemaSetError extends ChartError {
  override readonly name = 'SchemaSetError';

  constructor(
    readonly file: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`schema file ${file}: ${detail}; run \`tributary chart verify\` again: it rebuilds the schema set in a clean folder`, { cause });
  }
}

/** A pipeline definition the chart cannot deploy (a SQL feature job) or chart options that cannot name its objects; retrying cannot help. */
export class ChartValuesError extends ChartError {
  override readonly name = 'ChartValuesError';

  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
