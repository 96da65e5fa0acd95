import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ProcessSpec } from './component.js';
import type { ComponentName, StackLayout } from './stack-layout.js';

/** What we record about a process we started, so we can find and stop exactly it later. */
export interface ProcessRecord {
  readonly pid: number;
  /** The process's command line as the kernel reports it, to tell our process from a reused pid. */
  readonly cmdline: string;
  readonly startedAt: string;
}

export type ProcessState =
  | { readonly state: 'running'; readonly record: ProcessRecord }
  | { readonly state: 'stopped' }
  /** A pid file exists but its process is gone (killed, crashed, or the machine restarted). */
  | { readonly state: 'dead'; readonly record: ProcessRecord };

function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function isOurProcess(record: ProcessRecord): boolean {
  return readCmdline(record.pid) === record.cmdline && !isZombie(record.pid);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where a component's log from its previous start is kept: `<name>.log.1`. */
export const previousLogFile = (logFile: string): string => `${logFile}.1`;

/**
 * Moves the log of the previous start to `<log>.1`, replacing the one before it, so a log holds one
 * process's output and the disk holds at most two per component. Appending forever grew the
 * broker's log past 500 MB over a few days of test runs.
 */
async function rotateLog(logFile: string): Promise<void> {
  try {
    await rename(logFile, previousLogFile(logFile));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Starts, finds and stops the stack's background processes by pid file. A process is
 * ours only when the pid in its file is alive with the very command line we started;
 * processes are never looked up or killed by name.
 */
export class ProcessSupervisor {
  constructor(private readonly layout: StackLayout) {}

  async state(name: ComponentName): Promise<ProcessState> {
    const record = await this.readRecord(name);
    if (!record) return { state: 'stopped' };
    return isOurProcess(record) ? { state: 'running', record } : { state: 'dead', record };
  }

  /**
   * Spawns the process detached with its output in a fresh log file (the previous start's log
   * becomes `<log>.1`), and writes its pid file.
   */
  async start(name: ComponentName, spec: ProcessSpec): Promise<ProcessRecord> {
    const logFile = this.layout.logFile(name);
    await mkdir(dirname(logFile), { recursive: true });
    await mkdir(this.layout.runDir, { recursive: true });
    await rotateLog(logFile);
    const logFd = openSync(logFile, 'a');
    try {
      const child = spawn(spec.executable, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid as number));
        child.once('error', reject);
      });
      child.unref();
      const record: ProcessRecord = {
        pid,
        cmdline: readCmdline(pid) ?? [spec.executable, ...spec.args].join(' '),
        startedAt: new Date().toISOString(),
      };
      await writeFile(this.layout.pidFile(name), `${JSON.stringify(record)}\n`);
      return record;
    } finally {
      closeSync(logFd);
    }
  }

  /**
   * Stops the process recorded for `name`: SIGTERM, then SIGKILL after `graceMs`.
   * Returns false when there was nothing of ours to stop. Removes the pid file either way.
   */
  async stop(name: ComponentName, graceMs = 20_000): Promise<boolean> {
    const current = await this.state(name);
    await rm(this.layout.pidFile(name), { force: true });
    if (current.state !== 'running') return false;
    const { record } = current;
    signal(record.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isOurProcess(record) && Date.now() < deadline) await sleep(200);
    if (isOurProcess(record)) {
      signal(record.pid, 'SIGKILL');
      while (isOurProcess(record)) await sleep(100);
    }
    return true;
  }

  /** Forgets a dead process's pid file. */
  async forget(name: ComponentName): Promise<void> {
    await rm(this.layout.pidFile(name), { force: true });
  }

  private async readRecord(name: ComponentName): Promise<ProcessRecord | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.layout.pidFile(name), 'utf8')) as ProcessRecord;
      return Number.isInteger(parsed.pid) && typeof parsed.cmdline === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
