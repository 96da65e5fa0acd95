import { TributaryError } from '../errors/tributary-error.js';

/** A key whose value is wrong, or missing while another key needs it. */
export interface ValueIssue {
  /** The name a person sets: an environment variable, or a dotted key in the config file. */
  readonly key: string;
  /** Where the value came from, e.g. `environment` or the config file path. */
  readonly source: string;
  /**
   * The offending value as given: a string from the environment, any JSON value from the config
   * file. Secrets are masked before they get here; `undefined` means the key was not set.
   */
  readonly value: unknown;
  /** What would have been accepted, phrased for a person. */
  readonly expected: string;
}

/**
 * A key that is wrong whatever its value: unknown, set twice, or set where it has no effect.
 * Its value is not shown, since it may be a secret under a name Tributary does not know.
 */
export interface KeyIssue {
  readonly key: string;
  readonly source: string;
  /** What is wrong and, where it helps, what to do, e.g. `unknown key (did you mean kafka.brokers?)`. */
  readonly problem: string;
}

/** One problem with one configuration key. */
export type ConfigIssue = ValueIssue | KeyIssue;

/** `key=value (source): expected …` for a bad value; `key (source): problem` for a bad key. */
export function formatConfigIssue(issue: ConfigIssue): string {
  if ('problem' in issue) return `${issue.key} (${issue.source}): ${issue.problem}`;
  // JSON shows strings quoted and file values (arrays, null, objects) exactly as they were written.
  const shown = issue.value === undefined ? '(missing)' : JSON.stringify(issue.value);
  return `${issue.key}=${shown} (${issue.source}): expected ${issue.expected}`;
}

/**
 * Thrown when configuration cannot be compiled into a valid {@link TributaryConfig}.
 * Carries every problem found, so a person fixes them all in one go; never retriable.
 */
export class ConfigError extends TributaryError {
  override readonly name = 'ConfigError';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      [`invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):`]
        .concat(issues.map((issue) => `  ${formatConfigIssue(issue)}`))
        .join('\n'),
    );
  }
}
