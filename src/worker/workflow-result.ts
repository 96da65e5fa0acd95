/** The wait for a long-running workflow to end after a stop signal, shared by the CLI's commands and `pipeline apply`. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';

/**
 * The result of a workflow that was just asked to stop, once it has ended; undefined when it is
 * still running after `waitMs` (it ends after the activity in progress, which may take longer).
 */
export async function resultWithin<T>(handle: WorkflowHandle, waitMs: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([handle.result() as Promise<T>, sleep(waitMs, undefined, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}
