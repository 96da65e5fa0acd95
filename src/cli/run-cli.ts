import { CommanderError, type Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { TributaryError } from '../errors/tributary-error.js';

/** Exit codes: 1 = the operation failed, 2 = the input (arguments or configuration) is wrong. */
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

/** The one line (a ConfigError: one line per problem) a failure is reported with, and the exit code it gives. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError) return { message: error.message, exitCode: EXIT_BAD_INPUT };
  // Tributary's own errors carry their full context in the message already.
  if (error instanceof TributaryError) return { message: error.message, exitCode: EXIT_FAILED };
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    return { message: `${error.message}${cause}`, exitCode: EXIT_FAILED };
  }
  return { message: String(error), exitCode: EXIT_FAILED };
}

/**
 * Runs the command tree on `argv` as the `tributary` binary does: a failure is reported on
 * stderr (never as a stack trace) and sets `process.exitCode`. Kept apart from main.ts so tests
 * run commands in-process through exactly this path.
 */
export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help text).
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = exitCode;
  }
}
