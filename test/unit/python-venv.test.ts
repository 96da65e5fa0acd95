/**
 * ensurePythonVenv without a network: an environment whose marker is there is reused without
 * running anything, and an interpreter that cannot make one fails with a PythonVenvError naming
 * the step and how to get the venv module, leaving no marker (the next call starts again).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePythonVenv, PYTHON_TRAINER_DIRECTORY, PythonVenvError } from '../../src/toolchain/python-venv.js';

describe('ensurePythonVenv', () => {
  let cacheDir: string;
  let folder: string;

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'tributary-venv-test-'));
    const hash = createHash('sha256').update(await readFile(join(PYTHON_TRAINER_DIRECTORY, 'requirements.txt'))).digest('hex').slice(0, 16);
    folder = join(cacheDir, 'python-trainer', hash);
  });
  afterEach(async () => rm(cacheDir, { recursive: true, force: true }));

  it('reuses a complete environment of the same requirements without running Python', async () => {
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, '.installed'), '{}\n');
    // An interpreter that does not exist: any attempt to run it would fail the call.
    const venv = await ensurePythonVenv({ cacheDir, python3: join(cacheDir, 'no-such-python3') });
    expect(venv).toEqual({ python: join(folder, 'bin', 'python'), directory: folder, installed: false });
  });

  it('fails in one message naming the step when the interpreter cannot make the environment, and leaves no marker', async () => {
    const progress: string[] = [];
    const attempt = ensurePythonVenv({ cacheDir, python3: 'false', progress: (line) => progress.push(line) });
    await expect(attempt).rejects.toBeInstanceOf(PythonVenvError);
    await expect(attempt).rejects.toThrow(new RegExp(`^creating the Python trainer's environment in ${folder} failed: .*; on Debian the venv module is in python3-venv \\(apt-get install python3-venv\\)$`));
    expect(progress).toEqual([`creating the Python trainer's environment in ${folder}`]);
    expect(existsSync(join(folder, '.installed'))).toBe(false);
  });
});
