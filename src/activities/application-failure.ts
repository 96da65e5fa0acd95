/**
 * Turns the domain layers' typed errors into the `ApplicationFailure`s Temporal retries by: the
 * failure `type` is the error class name (what workflows and retry policies match on) and
 * `nonRetryable` follows the error's own `retriable` flag, so a bad input fails at once instead
 * of being retried until the policy gives up. An error that says nothing about retrying is
 * treated as transient and left to the activity's bounded retry policy.
 */
import { ApplicationFailure, CancelledFailure, TemporalFailure } from '@temporalio/common';

/** Primitive context fields of an error (topic, partition, offset, split, …), for the failure's details. */
function contextOf(error: Error): Record<string, string | number | boolean> {
  const context: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) context[key] = value as string | number | boolean;
  }
  return context;
}

/** The `ApplicationFailure` an activity throws for `error`; Temporal failures (cancellation included) pass through unchanged. */
export function toApplicationFailure(error: unknown): Error {
  if (error instanceof TemporalFailure || error instanceof CancelledFailure) return error;
  if (!(error instanceof Error)) return ApplicationFailure.create({ type: 'UnknownError', message: String(error), nonRetryable: false });
  const retriable = (error as { retriable?: unknown }).retriable;
  return ApplicationFailure.create({
    type: error.name,
    message: error.message,
    nonRetryable: retriable === false,
    details: [contextOf(error)],
    cause: error,
  });
}

/** Wraps an activity so whatever it throws reaches Temporal through {@link toApplicationFailure}. */
export function reportingFailures<Args extends unknown[], Result>(activity: (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  return async (...args) => {
    try {
      return await activity(...args);
    } catch (error) {
      throw toApplicationFailure(error);
    }
  };
}
