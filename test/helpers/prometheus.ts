/**
 * A real Prometheus for tests: Debian's build, unpacked without root into
 * ~/.cache/tributary/prometheus (`apt-get download prometheus` then `dpkg -x`, done here on first
 * use), run with a scrape config of the test's own targets and queried over its HTTP API.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './serve-process.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
const HOME = join(homedir(), '.cache', 'tributary', 'prometheus');
const BINARY = join(HOME, 'usr', 'bin', 'prometheus');

/** The binary, unpacked from Debian's package the first time. */
export async function prometheusBinary(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  const download = await mkdtemp(join(tmpdir(), 'prometheus-deb-'));
  try {
    await run('apt-get', ['download', 'prometheus'], { cwd: download });
    const deb = (await readdir(download)).find((name) => name.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download prometheus left no .deb in ${download}`);
    await mkdir(HOME, { recursive: true });
    await run('dpkg', ['-x', join(download, deb), HOME]);
  } finally {
    await rm(download, { recursive: true, force: true });
  }
  return BINARY;
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query's vector: each series' labels and value. */
  query(expr: string): Promise<readonly { readonly metric: Readonly<Record<string, string>>; readonly value: number }[]>;
  /** What it printed, for a failing test's message. */
  readonly output: string[];
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` (host:port, /metrics) every second, storing into a temporary directory. */
export async function startPrometheus(targets: readonly string[]): Promise<RunningPrometheus> {
  const binary = await prometheusBinary();
  const directory = await mkdtemp(join(tmpdir(), 'prometheus-'));
  const configFile = join(directory, 'prometheus.yml');
  await writeFile(configFile, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tributary-scorer\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn(binary, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus to be ready', async () => {
    try {
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 60_000, 250);
  return {
    url,
    output,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`PromQL ${expr} failed: ${body.error ?? JSON.stringify(body)}`);
      return body.data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
