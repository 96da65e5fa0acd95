/**
 * The fraud example's own CLI (examples/fraud/cli.ts, run by tsx as `npm run demo` runs it): its
 * help, its one-line refusals of bad input, and the generic `tributary` CLI without its commands.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFraudExampleProgram } from '../../examples/fraud/program.js';
import { buildProgram } from '../../src/cli/program.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-fraud-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the example's CLI as `npm run demo` does, in a scratch data directory, without the caller's TRIBUTARY_* settings. */
function fraudExample(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'examples/fraud/cli.ts', ...args],
      { encoding: 'utf8', env: { ...cleanEnv, TRIBUTARY_DATA_DIR: dataDir, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const names = (command: Command): string[] => command.commands.map((sub) => sub.name());

describe('the fraud example CLI', () => {
  it('has demo and simulate, and tributary has neither', () => {
    expect(names(buildFraudExampleProgram()).sort()).toEqual(['demo', 'simulate']);
    const platform = names(buildProgram());
    expect(platform).not.toContain('demo');
    expect(platform).not.toContain('simulate');
    // The generic way in stays.
    expect(platform).toContain('produce');
  });

  it('is what npm run demo runs', () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.demo).toBe('tsx examples/fraud/cli.ts demo');
  });

  it.concurrent.each([[[]], [['demo']], [['simulate']]])('prints help for %j', async (command) => {
    const { code, stdout } = await fraudExample([...command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: examples/fraud/cli.ts${command.length ? ` ${command.join(' ')}` : ''} `));
  });

  it.concurrent.each([
    [['simulate', '--rate', '0', '--dry-run'], 'error: --rate=0: expected a number > 0'],
    [['simulate', '--count', '-5', '--dry-run'], 'error: --count=-5: expected a whole number ≥ 0'],
    [['demo', '--duration', '5', '--rate', 'fast'], 'error: --duration=5: expected a whole number from 60 to 86400\nerror: --rate=fast: expected a whole number from 50 to 5000'],
  ])('refuses %j with one line per problem and exit 2', async (args, lines) => {
    const { code, stderr } = await fraudExample(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd()).toBe(lines);
  });

  it("names an unreachable Kafka cluster in one line when simulating, after its one progress line (no kafkajs log), with the definition's topics", async () => {
    const { code, stdout, stderr } = await fraudExample(['simulate', '--count', '1', '--seed', '1'], { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1', TRIBUTARY_TOPIC_PREFIX: 'sim.' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[ +\d+\.\ds\] simulating with --seed 1 /);
    expect(lines[1]).toBe('error: producing to sim.transactions, sim.labels failed: could not connect to Kafka at 127.0.0.1:1: Connection error: connect ECONNREFUSED 127.0.0.1:1');
  }, 60_000);
});
