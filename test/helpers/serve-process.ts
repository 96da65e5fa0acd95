/** `tributary serve` as a process of its own, started from source as an operator runs it, with its metrics on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TributaryConfig } from '../../src/config/config.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Where its /metrics, /healthz and /readyz answer. */
  readonly port: number;
  /** Everything it printed, stdout and stderr, in arrival order. */
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Serves `model` for `config`'s topic prefix, in chunks of 100, with `extraArgs` (e.g. `--delivery low-latency`) after the rest. */
export async function startServeProcess(config: TributaryConfig, model: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--model', model, '--metrics-port', String(port), '--batch-size', '100', ...extraArgs], {
    env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, port, output, exited };
}
