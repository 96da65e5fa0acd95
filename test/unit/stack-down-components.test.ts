import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-stack-down-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the built CLI in a scratch data directory, where nothing of the stack runs. */
function tributary(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...env, TRIBUTARY_DATA_DIR: dataDir } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('tributary stack down <component...>', () => {
  it('stops only what it is told to, and says when none of it was running', async () => {
    const { code, stdout, stderr } = await tributary(['stack', 'down', 'kafka', 'flink-taskmanager']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('nothing of the stack was running\n');
  });

  it('names an unknown component in one line and lists the known ones', async () => {
    const { code, stderr } = await tributary(['stack', 'down', 'kafka', 'zookeeper']);
    expect(code).toBe(1);
    expect(stderr).toBe('error: unknown component "zookeeper"; the components are: kafka, schema-registry, temporal, flink-jobmanager, flink-taskmanager, flink-sql-gateway, kafka-secure\n');
  });

  it('refuses --purge with component names, since purging deletes the data of every component', async () => {
    const { code, stderr } = await tributary(['stack', 'down', 'kafka', '--purge']);
    expect(code).toBe(2);
    expect(stderr).toBe('error: --purge deletes the data of the whole stack, so it stops every component; leave out the component names\n');
  });
});
