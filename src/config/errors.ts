/** One problem with one configuration key: which key, where it came from, the value, and what was expected. */
export interface ConfigIssue {
  /** The name a person sets: an environment variable, or a dotted key in the config file. */
  readonly key: string;
  /** Where the value came from, e.g. `environment` or the config file path. */
  readonly source: string;
  /** The offending value as given (secrets are masked before they get here). */
  readonly value: string | undefined;
  /** What would have been accepted, phrased for a person. */
  readonly expected: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const shown = issue.value === undefined ? '(missing)' : JSON.stringify(issue.value);
  return `${issue.key}=${shown} (${issue.source}): expected ${issue.expected}`;
}

/**
 * Thrown when configuration cannot be compiled into a valid {@link TributaryConfig}.
 * Carries every problem found, so a person fixes them all in one go; never retriable.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly retriable = false;

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      [`invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):`]
        .concat(issues.map((issue) => `  ${formatConfigIssue(issue)}`))
        .join('\n'),
    );
  }
}
