import { TributaryError } from '../../../src/errors/tributary-error.js';
/** One simulator option whose value is wrong. */
export interface SimulatorOptionIssue {
  /** The option as it is written, dotted for nested ones: `fraudRate`, `chargebackDelay.medianMs`. */
  readonly key: string;
  /** The value as given; `undefined` means a required option was not set. */
  readonly value: unknown;
  /** What would have been accepted, phrased for a person; for an unknown key, what is wrong with it. */
  readonly expected: string;
}

/** Numbers as JavaScript writes them (NaN and Infinity included), strings quoted, the rest as JSON. */
function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** `key=value: expected …`. */
export function formatSimulatorOptionIssue(issue: SimulatorOptionIssue): string {
  return `${issue.key}=${show(issue.value)}: expected ${issue.expected}`;
}

/**
 * Thrown by `compileSimulatorOptions` when options are invalid. Carries every problem found, one
 * line each, so they can all be fixed at once; never retriable.
 */
export class SimulatorOptionsError extends TributaryError {
  override readonly name = 'SimulatorOptionsError';

  constructor(readonly issues: readonly SimulatorOptionIssue[]) {
    super(
      [`invalid simulator options (${issues.length} problem${issues.length === 1 ? '' : 's'}):`]
        .concat(issues.map((issue) => `  ${formatSimulatorOptionIssue(issue)}`))
        .join('\n'),
    );
  }
}
