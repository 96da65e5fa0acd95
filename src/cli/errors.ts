/** Errors of the CLI layer: what a command could not reach, said with the address it tried. */
import { reasonOf, TributaryError } from '../errors/tributary-error.js';

/** Thrown when a command cannot connect to the configured Temporal server; retriable once the server answers. */
export class TemporalUnreachableError extends TributaryError {
  override readonly name = 'TemporalUnreachableError';

  constructor(
    readonly address: string,
    readonly namespace: string,
    cause: unknown,
  ) {
    super(
      `connecting to Temporal at ${address} (namespace ${namespace}) failed: ${reasonOf(cause)}; is it running? \`tributary stack status\` shows the local stack, TRIBUTARY_TEMPORAL_ADDRESS sets the address`,
      { retriable: true, cause },
    );
  }
}
