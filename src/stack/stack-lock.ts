import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.js';
import type { StackLayout } from './stack-layout.js';

const POLL_MS = 250;
/** @default 15 minutes: a first `up` that installs everything holds the lock that long. */
const WAIT_MS = 15 * 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serialises stack commands across processes (a test run and a person's `stack up` at the
 * same time), with a lock file holding the owner's pid; a dead owner's lock is taken over.
 */
export class StackLock {
  private readonly file: string;

  constructor(private readonly layout: StackLayout) {
    this.file = join(layout.runDir, 'stack.lock');
  }

  async hold<T>(action: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await action();
    } finally {
      rmSync(this.file, { force: true });
    }
  }

  private async acquire(): Promise<void> {
    mkdirSync(this.layout.runDir, { recursive: true });
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      try {
        writeFileSync(this.file, String(process.pid), { flag: 'wx' });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number(readFileSync(this.file, { encoding: 'utf8', flag: 'r' }).trim());
      if (!Number.isInteger(owner) || owner === process.pid || !isAlive(owner)) {
        rmSync(this.file, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StackError(`another tributary stack command (pid ${owner}) has held ${this.file} for ${WAIT_MS / 60_000} minutes; wait for it or stop it`, { retriable: true });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
