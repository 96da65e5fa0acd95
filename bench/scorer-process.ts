/**
 * A scorer in a process of its own (bench/latency-scorer.ts, as `tributary serve` runs one), for
 * benchmarks that measure the scorer's own CPU or run several of them in one consumer group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DeliveryMode } from '../src/serving/scorer-output.js';

/** The scorer's tributary_scorer_chunk_records histogram: cumulative counts by upper bound, and the sum of records. */
export interface ChunkHistogram {
  readonly buckets: Readonly<Record<string, number>>;
  readonly sum: number;
}

export interface ScorerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Asks the scorer for its chunk histogram (SIGUSR2) and resolves with its answer. */
  chunks(): Promise<ChunkHistogram>;
  /** SIGTERM, then resolves once it has exited (it stops its consumer cleanly first). */
  stop(): Promise<void>;
}

export interface ScorerProcessOptions {
  readonly topicPrefix: string;
  readonly model: string;
  readonly delivery: DeliveryMode;
  /** The scorer's chunk size; undefined: the fraud example's. */
  readonly batchSize?: number;
  /** Names the process in error messages. */
  readonly label?: string;
}

/** Starts bench/latency-scorer.ts and resolves once it has joined its group with the champion loaded. */
export async function startScorerProcess(options: ScorerProcessOptions): Promise<ScorerProcess> {
  const label = options.label ?? `${options.delivery} scorer`;
  const args = [fileURLToPath(new URL('latency-scorer.ts', import.meta.url)), options.topicPrefix, options.model, options.delivery, ...(options.batchSize === undefined ? [] : [String(options.batchSize)])];
  // Node itself with tsx's loader, not the tsx command: that relays SIGINT and SIGTERM to its child, but not SIGUSR2, and its pid would not be the scorer's.
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error(`could not start the ${label} process (${process.execPath} --import tsx ${args.join(' ')})`);
  const pid = child.pid;
  const lines = createInterface({ input: child.stdout! });
  const waiting: { resolve: (histogram: ChunkHistogram) => void; reject: (error: Error) => void }[] = [];
  let exited: Error | undefined;
  child.once('exit', (code, signal) => {
    exited = new Error(`the ${label} process exited (code ${code}, signal ${signal}); its stderr above says why`);
    for (const waiter of waiting.splice(0)) waiter.reject(exited);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => reject(exited));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('chunks ')) waiting.shift()?.resolve(JSON.parse(line.slice('chunks '.length)) as ChunkHistogram);
    });
  });
  return {
    pid,
    child,
    chunks: () =>
      new Promise((resolve, reject) => {
        if (exited !== undefined) return reject(exited);
        waiting.push({ resolve, reject });
        child.kill('SIGUSR2');
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await done;
    },
  };
}
