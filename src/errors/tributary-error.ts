export interface TributaryErrorOptions {
  /** Whether trying again, unchanged, may succeed. @default false */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/**
 * Base of every error Tributary throws on purpose. Each layer extends it with the context
 * it knows (topic and offset, job id, model and version); the message alone is complete for
 * the person reading it, so the CLI prints it as it is, without a stack trace.
 */
export class TributaryError extends Error {
  override readonly name: string = 'TributaryError';
  readonly retriable: boolean;

  constructor(message: string, options: TributaryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}

/** The message of anything thrown, for an error message that wraps it. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
