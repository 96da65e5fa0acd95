/**
 * What the CLI's Temporal commands share: a connected client for one piece of work, and the wait
 * for a long-running workflow to end after a stop signal. The Temporal SDK is imported when a
 * command runs, never when the command tree is built, so `--help` does not load it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TributaryConfig } from '../config/config.js';
import { TemporalUnreachableError } from './errors.js';

/** Connects a client, runs `work`, and always closes the connection. */
export async function withClient<T>(config: TributaryConfig, work: (client: Client) => Promise<T>): Promise<T> {
  const { closeClient, connectClient } = await import('../worker/temporal-connection.js');
  let client: Client;
  try {
    client = await connectClient(config);
  } catch (error) {
    // The SDK's own message ("Failed to connect before the deadline") names neither the server nor what to do.
    throw new TemporalUnreachableError(config.temporal.address, config.temporal.namespace, error);
  }
  try {
    return await work(client);
  } finally {
    await closeClient(client);
  }
}

/** The Temporal Web UI link of a workflow. */
export async function uiLinkOf(config: TributaryConfig, workflowId: string): Promise<string> {
  const { workflowUiLink } = await import('../worker/temporal-connection.js');
  return workflowUiLink(config, workflowId);
}

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
