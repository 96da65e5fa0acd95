/**
 * What the CLI's Temporal commands share: a connected client for one piece of work (the wait for a
 * long-running workflow to end after a stop signal is src/worker/workflow-result.ts). The Temporal SDK is imported when a
 * command runs, never when the command tree is built, so `--help` does not load it.
 */
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

/** The innermost message of a failure chain: an activity's own error under its ActivityFailure. */
function reasonOfFailure(error: Error): string {
  return error.cause instanceof Error ? reasonOfFailure(error.cause) : error.message;
}

/** A run that is no longer running: its status, and why when the server knows (a failure's message, a termination's reason). */
export interface EndedRun {
  readonly status: string;
  readonly reason: string | undefined;
}

/** How a run ended, in words: `failed: <why>`, `was terminated: <why>`, `ended timed out`, `ended completed`. */
export function describeEnd(ended: EndedRun): string {
  if (ended.status === 'FAILED') return `failed: ${ended.reason ?? 'no reason recorded'}`;
  if (ended.status === 'TERMINATED') return `was terminated: ${ended.reason ?? 'no reason given'}`;
  return `ended ${ended.status.toLowerCase().replace(/_/g, ' ')}`;
}

/** How the run ended; undefined while it runs. */
export async function howItEnded(handle: WorkflowHandle): Promise<EndedRun | undefined> {
  const status = (await handle.describe()).status.name;
  if (status === 'RUNNING') return undefined;
  if (status === 'FAILED') {
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    return { status, reason: failure instanceof Error ? reasonOfFailure(failure) : undefined };
  }
  if (status === 'TERMINATED') {
    const last = (await handle.fetchHistory()).events?.at(-1);
    return { status, reason: last?.workflowExecutionTerminatedEventAttributes?.reason || undefined };
  }
  return { status, reason: undefined };
}

/** The stop a long-running workflow (threshold trigger, drift monitor) completed with. */
export interface StoppedRun {
  readonly stoppedBy: string;
  readonly reason: string | undefined;
  /** Epoch ms. */
  readonly stoppedAt: number;
}

/**
 * Why a long-running workflow that should be polling is not, in words (`was stopped by ops at
 * <time>: retired`, `was terminated: …`); undefined while it runs. Its status query would still
 * answer with the last state, which reads as if it were running.
 */
export async function whyNotRunning(handle: WorkflowHandle): Promise<string | undefined> {
  const ended = await howItEnded(handle);
  if (ended === undefined) return undefined;
  if (ended.status !== 'COMPLETED') return describeEnd(ended);
  const stopped = (await handle.result()) as StoppedRun;
  return `was stopped by ${stopped.stoppedBy} at ${new Date(stopped.stoppedAt).toISOString()}${stopped.reason === undefined ? '' : `: ${stopped.reason}`}`;
}
