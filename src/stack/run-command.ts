import { spawn } from 'node:child_process';
import { SetupStepError } from './errors.js';

export interface RunCommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @default 20 minutes: the longest install step (building the Temporal CLI) fits. */
  readonly timeoutMs?: number;
}

const OUTPUT_TAIL_CHARS = 4000;

/**
 * Runs one install or prepare step to completion and returns its stdout. On a non-zero exit or a
 * timeout, throws an {@link SetupStepError} carrying the tail of the step's output.
 */
export function runSetupStep(
  installationId: string,
  step: string,
  executable: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    const keep = (chunk: Buffer, toStdout: boolean): void => {
      const text = chunk.toString('utf8');
      if (toStdout) stdout += text;
      output = (output + text).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', (chunk: Buffer) => keep(chunk, true));
    child.stderr.on('data', (chunk: Buffer) => keep(chunk, false));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SetupStepError(installationId, step, `could not run ${executable}: ${error.message}`, error));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` after ${timeoutMs / 1000}s` : ''}` : `exit code ${code}`;
      reject(new SetupStepError(installationId, step, `${executable} ${args.join(' ')} failed (${why}):\n${output.trim()}`));
    });
  });
}
