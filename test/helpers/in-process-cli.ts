/**
 * `tributary <args>` run in this process (the program the bin builds), with what it writes to
 * stdout and stderr captured instead of printed and its exit code read from process.exitCode:
 * for unit tests of commands that need no server.
 */
import { vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Captures what this process writes to stdout and stderr until `restore()`, which puts the real streams back. */
export function captureStdio(): { stdout: () => string; stderr: () => string; restore: () => void } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array): boolean => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr) as typeof process.stderr.write);
  return {
    stdout: () => stdout.join(''),
    stderr: () => stderr.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

export async function runTributaryInProcess(...args: string[]): Promise<CliOutcome> {
  const stdio = captureStdio();
  process.exitCode = undefined;
  try {
    await runCli(buildProgram(), ['node', 'tributary', ...args]);
    return { exitCode: Number(process.exitCode ?? 0), stdout: stdio.stdout(), stderr: stdio.stderr() };
  } finally {
    stdio.restore();
    process.exitCode = undefined;
  }
}
