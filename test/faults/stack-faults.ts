/**
 * Disrupting the shared local stack on purpose, one component at a time, and putting it back:
 * stop (SIGTERM, as an operator would), kill (SIGKILL, as a crash would), and start again through
 * `stack up`, which starts whatever is stopped or dead and waits until every component is healthy.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config/config.js';
import type { ComponentName } from '../../src/stack/stack-layout.js';
import type { ComponentStatus } from '../../src/stack/local-stack.js';
import { localStack } from '../../src/stack/stack-components.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { stackLayout } from '../../src/stack/stack-layout.js';

/** How long a fault test waits for other engineers' test runs to finish before disrupting the stack anyway. */
const QUIET_WAIT_MS = 120_000;

const progress = (line: string): void => {
  process.stderr.write(`[fault ${new Date().toISOString()}] ${line}\n`);
};

const stack = localStack(createStackContext(loadConfig(), progress));

function parentOf(pid: number): number | undefined {
  try {
    const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return ppid ? Number(ppid) : undefined;
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function ancestors(pid: number): number[] {
  const chain: number[] = [];
  for (let current: number | undefined = pid; current !== undefined && current > 1; current = parentOf(current)) chain.push(current);
  return chain;
}

/** Vitest processes that may use the servers: not this run (nor its parents and workers), not a unit-tests-only run. */
export function otherTestRuns(): number[] {
  const ours = new Set(ancestors(process.pid));
  const pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
  return pids.filter((pid) => {
    if (!commandLine(pid).includes('vitest')) return false;
    const chain = ancestors(pid);
    return !chain.some((link) => ours.has(link)) && !chain.some((link) => commandLine(link).includes('--project unit'));
  });
}

/** Waits (up to two minutes) until no other engineer's tests run, so a fault disrupts as few of them as possible. */
export async function waitForQuietStack(step: string): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let others = otherTestRuns();
  while (others.length > 0 && Date.now() < deadline) {
    progress(`${step}: waiting for other test runs to finish (pids ${others.join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    others = otherTestRuns();
  }
  if (others.length > 0) progress(`${step}: other test runs still going after ${QUIET_WAIT_MS / 1000}s (pids ${others.join(', ')}); proceeding`);
}

/** Stops one component the way `stack down <component>` does (SIGTERM, SIGKILL after the grace period). */
export async function stopComponent(name: ComponentName): Promise<void> {
  await waitForQuietStack(`stop ${name}`);
  await stack.down([name]);
}

/** Kills one component with SIGKILL, as a crash or the OOM killer would; its pid file stays, so the stack sees it dead. */
export async function killComponent(name: ComponentName): Promise<number> {
  await waitForQuietStack(`kill ${name}`);
  const { pid } = JSON.parse(await readFile(stackLayout(loadConfig()).pidFile(name), 'utf8')) as { pid: number };
  progress(`${name}: SIGKILL pid ${pid}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** Starts every stopped or dead component and returns once all of them are healthy. */
export async function restoreStack(): Promise<readonly ComponentName[]> {
  const { started } = await stack.up();
  return started;
}

/** Components that are not healthy now (empty when the stack is whole again). */
export async function unhealthyComponents(): Promise<ComponentStatus[]> {
  return (await stack.status()).filter((component) => component.state !== 'healthy');
}

/** One fault's outcome, printed as one JSON line for the report. */
export function reportFault(outcome: Record<string, unknown>): void {
  console.info(JSON.stringify({ fault: outcome }));
}
