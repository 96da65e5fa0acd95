/** `tributary serve` refuses bad input before connecting to anything: one line, exit 2. */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function tributary(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: cleanEnv, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('tributary serve', () => {
  it('prints its help', async () => {
    const { code, stdout } = await tributary(['serve', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: tributary serve \[options\]/);
    expect(stdout).toContain('--delivery <mode>');
  });

  it.concurrent.each([
    [['serve'], "error: required option '--model <name>' not specified"],
    [['serve', '--model', 'fraud', '--delivery', 'twice'], `error: option '--delivery <mode>' argument 'twice' is invalid. expected one of exactly-once, at-least-once, low-latency, got "twice"`],
    [['serve', '--model', 'fraud', '--delivery', 'low_latency'], `error: option '--delivery <mode>' argument 'low_latency' is invalid. expected one of exactly-once, at-least-once, low-latency, got "low_latency"`],
    [['serve', '--model', 'fraud', '--metrics-port', 'http'], `error: option '--metrics-port <port>' argument 'http' is invalid. expected a port number from 0 to 65535, got "http"`],
    [['serve', '--model', 'fraud', '--metrics-port', '70000'], `error: option '--metrics-port <port>' argument '70000' is invalid. expected a port number from 0 to 65535, got "70000"`],
    [['serve', '--model', 'fraud', '--batch-size', '0'], `error: option '--batch-size <n>' argument '0' is invalid. expected a positive whole number, got "0"`],
  ])('refuses %j with one line and exit 2', async (args, line) => {
    const { code, stderr } = await tributary(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(line);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
