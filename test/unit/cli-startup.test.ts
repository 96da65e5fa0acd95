/**
 * The CLI answers `--help` without loading a client library: every command imports Temporal,
 * Kafka, TensorFlow.js and the rest inside its action (src/cli/program.ts). Each case runs the CLI
 * from source in a fresh node with a module-load recorder (test/fixtures/module-load) and lists
 * the packages it resolved. bench/cli-startup.bench.ts measures what that saves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_COMPONENT_NAMES } from '../../src/cli/stack-command.js';
import { SECURE_COMPONENTS, STACK_COMPONENTS } from '../../src/stack/stack-components.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = fileURLToPath(new URL('../fixtures/module-load/record-loads.mjs', import.meta.url));
const HEAVY = ['@temporalio/client', '@temporalio/worker', 'kafkajs', '@tensorflow/tfjs', '@kafkajs/confluent-schema-registry'];
const directory = mkdtempSync(join(tmpdir(), 'tributary-cli-startup-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let runs = 0;
/** The packages (`kafkajs`, `@temporalio/client`) a fresh node resolved while running `args` (after tsx's loader). */
function packagesLoadedBy(args: readonly string[]): string[] {
  const file = join(directory, `loads-${(runs += 1)}.txt`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', RECORDER, ...args], { cwd: ROOT, env: { ...process.env, RECORD_LOADS_FILE: file }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  const packages = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []);
  return [...new Set(packages)].sort();
}

describe('CLI start-up', () => {
  it('the recorder sees a client library when one is loaded (the check below can fail)', () => {
    expect(packagesLoadedBy(['--input-type=module', '-e', "await import('./src/streaming/kafka-client.ts')"])).toContain('kafkajs');
  });

  it.each([[['--help']], [['stack', '--help']], [['rollout', 'start', '--help']]])('tributary %j loads commander and no client library', (args) => {
    const packages = packagesLoadedBy(['src/cli/main.ts', ...args]);
    expect(packages).toContain('commander');
    expect(packages.filter((name) => HEAVY.some((heavy) => name === heavy || name.startsWith(`${heavy}-`)))).toEqual([]);
  });

  it('names every stack component in the help, in start order', () => {
    expect(STACK_COMPONENT_NAMES).toEqual([...STACK_COMPONENTS, ...SECURE_COMPONENTS].map((component) => component.name));
  });
});
