/**
 * The Python trainer's virtual environment (python/trainer, docs/python-trainer.md), made by the
 * project itself so `npm ci && npm test` on a fresh machine needs nothing by hand: `python3 -m
 * venv` under Tributary's cache directory, then `pip install -r requirements.txt`. Idempotent: the
 * environment lives in a folder named by the SHA-256 of the requirements file, and is complete
 * only once its marker is written, last; an interrupted install is redone from a clean folder, and
 * a changed requirements file makes a new environment.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TributaryError } from '../errors/tributary-error.js';

/** The trainer's folder: its requirements file and the `tributary_trainer` package. */
export const PYTHON_TRAINER_DIRECTORY = fileURLToPath(new URL('../../python/trainer/', import.meta.url));

const MARKER = '.installed';
const run = promisify(execFile);

/** Making the environment failed; the message names the step and the tool's last lines. Retrying after fixing the cause can help. */
export class PythonVenvError extends TributaryError {
  override readonly name = 'PythonVenvError';
}

/** A ready environment. */
export interface PythonVenv {
  /** The environment's interpreter, which runs `-m tributary_trainer` with the trainer's folder as its working directory. */
  readonly python: string;
  readonly directory: string;
  /** Whether this call installed it (false: it was there, with the same requirements). */
  readonly installed: boolean;
}

export interface PythonVenvOptions {
  /** Tributary's cache directory (`paths.cacheDir` of the configuration). */
  readonly cacheDir: string;
  /** The interpreter that makes the environment. @default 'python3' */
  readonly python3?: string;
  /** Progress lines, e.g. to stderr. @default none */
  readonly progress?: (line: string) => void;
}

const lastLines = (text: string): string => text.trim().split('\n').slice(-3).join(' | ');

/** The trainer's environment under `cacheDir`, made first when it is missing or its requirements changed. */
export async function ensurePythonVenv({ cacheDir, python3 = 'python3', progress = () => undefined }: PythonVenvOptions): Promise<PythonVenv> {
  const requirements = join(PYTHON_TRAINER_DIRECTORY, 'requirements.txt');
  const hash = createHash('sha256').update(await readFile(requirements)).digest('hex').slice(0, 16);
  const directory = join(cacheDir, 'python-trainer', hash);
  const python = join(directory, 'bin', 'python');
  if (existsSync(join(directory, MARKER))) return { python, directory, installed: false };
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  const step = async (what: string, file: string, args: string[]): Promise<void> => {
    progress(what);
    try {
      await run(file, args, { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new PythonVenvError(`${what} failed: ${lastLines(stderr || stdout) || lastLines((error as Error).message)}; on Debian the venv module is in python3-venv (apt-get install python3-venv)`, { cause: error, retriable: true });
    }
  };
  await step(`creating the Python trainer's environment in ${directory}`, python3, ['-m', 'venv', directory]);
  await step(`installing ${requirements} with pip`, python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
  await writeFile(join(directory, MARKER), `${JSON.stringify({ requirements: hash, installedAt: new Date().toISOString() })}\n`);
  return { python, directory, installed: true };
}
