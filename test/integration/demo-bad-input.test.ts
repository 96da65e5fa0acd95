/**
 * The fraud example's demo (`npm run demo`) on a machine that cannot run the stack: a port held by another process, a
 * missing toolchain. The person sees the stack's one clear message and a non-zero exit, and the
 * demo leaves nothing running (it started nothing: no pid file in its data directory).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function demo(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'examples/fraud/cli.ts', 'demo', '--duration', '60'], { encoding: 'utf8', env: { ...cleanEnv, ...env }, timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

const pidFiles = async (dataDir: string): Promise<string[]> => readdir(join(dataDir, 'run')).catch(() => []);

describe('the demo where the stack cannot start', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'tributary-demo-bad-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('names the process holding a port it needs, exits 1 and starts nothing', async () => {
    // The suite's own stack holds the ports; a demo with another data directory does not own it.
    const dataDir = join(scratch, 'port');
    const { code, stderr } = await demo({ TRIBUTARY_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: port \d+ needed by [a-z-]+ is already in use by pid \d+ \(.+\); stop that process or free the port, then run `tributary stack up` again$/m);
    expect(stderr).toContain('stopping everything the demo started');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(await pidFiles(dataDir)).toEqual([]);
  });

  it('names a missing toolchain and how to get it, exits 1 and starts nothing', async () => {
    const dataDir = join(scratch, 'toolchain');
    const bin = join(scratch, 'bin');
    await mkdir(bin, { recursive: true });
    // Only node on the PATH: no java, which every server but Temporal needs.
    await symlink(process.execPath, join(bin, 'node'));
    const { code, stderr } = await demo({ TRIBUTARY_DATA_DIR: dataDir, PATH: bin });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: missing toolchain:\n {2}java is missing or broken \(ran "java -version"\): install a JDK 17 or newer/m);
    expect(await pidFiles(dataDir)).toEqual([]);
  });
});
