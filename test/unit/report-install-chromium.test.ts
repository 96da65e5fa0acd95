import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/install-chromium.sh', import.meta.url));

/** Runs the script with PATH holding only the given directory, so what it finds there is all there is. */
const runWithPath = (path: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT], { env: { PATH: path } }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }));
  });

describe('scripts/install-chromium.sh', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('prints the browser already on PATH and installs nothing', async () => {
    directory = await mkdtemp(join(tmpdir(), 'install-chromium-'));
    await writeFile(join(directory, 'chromium'), '#!/bin/sh\n');
    await chmod(join(directory, 'chromium'), 0o755);
    expect(await runWithPath(directory)).toEqual({ code: 0, stdout: `${join(directory, 'chromium')}\n`, stderr: '' });
  });

  it('says in one line what to do when there is no browser and no apt-get', async () => {
    directory = await mkdtemp(join(tmpdir(), 'install-chromium-'));
    await symlink('/usr/bin/id', join(directory, 'id'));
    const result = await runWithPath(directory);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('error: Chromium is not installed and apt-get is not available: install Chromium (or chromium-browser) yourself and put it on PATH\n');
  });
});
