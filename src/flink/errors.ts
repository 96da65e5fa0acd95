import { TributaryError } from '../errors/tributary-error.js';
/** What a Flink error is about; every field is optional because each error knows only part of it. */
export interface FlinkErrorContext {
  /** The request URL, when one request failed. */
  readonly url?: string;
  readonly method?: string;
  /** HTTP status of Flink's answer; absent when no answer came. */
  readonly status?: number;
  /** Flink's own error texts: the `errors` array of its REST error body, or a failure cause it reported. */
  readonly flinkErrors?: readonly string[];
  readonly jobId?: string;
  /** Trigger id of a savepoint or stop-with-savepoint operation. */
  readonly triggerId?: string;
  readonly sessionHandle?: string;
  readonly operationHandle?: string;
  /** The SQL statement a gateway error is about. */
  readonly statement?: string;
  /** Whether trying the same call again may succeed without a change by the caller. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Longest summary of Flink's error text carried in a message; the full text stays in `flinkErrors`. */
const SUMMARY_MAX_CHARS = 2000;

/** Lines Flink wraps every REST error in, which say nothing about the error itself. */
const NOISE_LINES = new Set(['Internal server error.', 'End of exception on server side']);

/**
 * Condenses Flink's error texts (often whole Java stack traces) to what a person reads:
 * exception lines and their `Caused by:` chain, without stack frames.
 */
export function summarizeFlinkErrors(errors: readonly string[]): string {
  const lines = errors
    .flatMap((error) => error.split('\n'))
    .map((line) => line.replace(/^<Exception on server side:\s*/, '').replace(/>$/, '').trimEnd())
    .filter((line) => line.trim() !== '' && !/^\s+(at |\.\.\. \d+ more)/.test(line) && !NOISE_LINES.has(line));
  const summary = [...new Set(lines)].join('\n');
  return summary.length > SUMMARY_MAX_CHARS ? `${summary.slice(0, SUMMARY_MAX_CHARS)}…` : summary;
}

/** Base of every error the Flink clients throw; carries the context it happened in. */
export class FlinkError extends TributaryError {
  override readonly name: string = 'FlinkError';
  readonly url: string | undefined;
  readonly method: string | undefined;
  readonly status: number | undefined;
  readonly flinkErrors: readonly string[];
  readonly jobId: string | undefined;
  readonly triggerId: string | undefined;
  readonly sessionHandle: string | undefined;
  readonly operationHandle: string | undefined;
  readonly statement: string | undefined;

  constructor(message: string, context: FlinkErrorContext = {}) {
    super(message, context);
    this.url = context.url;
    this.method = context.method;
    this.status = context.status;
    this.flinkErrors = context.flinkErrors ?? [];
    this.jobId = context.jobId;
    this.triggerId = context.triggerId;
    this.sessionHandle = context.sessionHandle;
    this.operationHandle = context.operationHandle;
    this.statement = context.statement;
  }
}

/**
 * A REST request got no answer (connection refused, reset, timed out) or an error status.
 * Retriable when no answer came or Flink answered 502/503/504 (e.g. during leader election);
 * the client has already retried those a bounded number of times before throwing.
 */
export class FlinkRequestError extends FlinkError {
  override readonly name = 'FlinkRequestError';

  constructor(reason: string, context: FlinkErrorContext & { readonly method: string; readonly url: string }) {
    const flinkText = summarizeFlinkErrors(context.flinkErrors ?? []);
    super(`${context.method} ${context.url} failed: ${reason}${flinkText ? `: ${flinkText}` : ''}`, context);
  }
}

/** A wait (for a job state, a savepoint, a SQL operation) passed its deadline; retriable with a longer wait. */
export class FlinkTimeoutError extends FlinkError {
  override readonly name = 'FlinkTimeoutError';

  constructor(
    readonly waitedFor: string,
    readonly timeoutMs: number,
    readonly lastObserved: string,
    context: FlinkErrorContext = {},
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${waitedFor} (last seen: ${lastObserved})`, { retriable: true, ...context });
  }
}

/**
 * Flink reports a savepoint (or stop-with-savepoint) as failed; the message carries Flink's
 * failure cause. Retriable: a savepoint declined because tasks were not all running yet
 * succeeds later, while one failing on an unwritable directory does not, so read the cause.
 */
export class FlinkSavepointError extends FlinkError {
  override readonly name = 'FlinkSavepointError';

  constructor(context: FlinkErrorContext & { readonly jobId: string; readonly triggerId: string }) {
    super(
      `savepoint ${context.triggerId} of job ${context.jobId} failed: ${summarizeFlinkErrors(context.flinkErrors ?? []) || 'Flink gave no cause'}`,
      { retriable: true, ...context },
    );
  }
}

/** A job reached a terminal state other than the ones awaited (e.g. FAILED while waiting for RUNNING). */
export class FlinkJobStateError extends FlinkError {
  override readonly name = 'FlinkJobStateError';

  constructor(
    readonly state: string,
    readonly expected: readonly string[],
    context: FlinkErrorContext & { readonly jobId: string },
  ) {
    const cause = summarizeFlinkErrors(context.flinkErrors ?? []);
    super(
      `job ${context.jobId} is ${state}, not ${expected.join(' or ')}${cause ? `; its latest exception: ${cause}` : ''}`,
      { retriable: false, ...context },
    );
  }
}

/**
 * The SQL Gateway rejected or failed a statement (parse, validation, planning or
 * submission error); the message carries Flink's own text. Not retriable: fix the SQL.
 */
export class FlinkSqlError extends FlinkError {
  override readonly name = 'FlinkSqlError';

  constructor(problem: string, context: FlinkErrorContext & { readonly statement: string }) {
    const flinkText = summarizeFlinkErrors(context.flinkErrors ?? []);
    super(`${problem}: ${oneLine(context.statement)}${flinkText ? `\n${flinkText}` : ''}`, { retriable: false, ...context });
  }
}

const STATEMENT_PREVIEW_CHARS = 200;

function oneLine(statement: string): string {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return flat.length > STATEMENT_PREVIEW_CHARS ? `${flat.slice(0, STATEMENT_PREVIEW_CHARS)}…` : flat;
}
