import { readFile } from 'node:fs/promises';
import type { HealthReport, StackComponent, StackContext } from './component.js';
import { ComponentStartError } from './errors.js';
import type { ProcessSupervisor } from './process-supervisor.js';

const POLL_INTERVAL_MS = 500;
const LOG_TAIL_LINES = 40;

export async function logTail(file: string, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/** One health probe, bounded in time, resolving to the report or the reason it failed. */
export async function probeHealth(
  component: StackComponent,
  ctx: StackContext,
  timeoutMs = 10_000,
): Promise<{ healthy: true; report: HealthReport } | { healthy: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
  });
  try {
    const report = await Promise.race([component.checkHealth(ctx), timeout]);
    return { healthy: true, report };
  } catch (error) {
    return { healthy: false, reason: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls the component's health until it answers, its process exits, or its start timeout
 * passes; the last two throw a {@link ComponentStartError} with the tail of its log.
 */
export async function waitUntilHealthy(
  component: StackComponent,
  ctx: StackContext,
  supervisor: ProcessSupervisor,
): Promise<HealthReport> {
  const deadline = Date.now() + component.startTimeoutMs;
  let lastReason = 'not probed yet';
  for (;;) {
    const probe = await probeHealth(component, ctx, 5000);
    if (probe.healthy) return probe.report;
    lastReason = probe.reason;
    const { state } = await supervisor.state(component.name);
    if (state !== 'running') {
      throw new ComponentStartError(component.name, 'the process exited', ctx.layout.logFile(component.name), await logTail(ctx.layout.logFile(component.name)));
    }
    if (Date.now() > deadline) {
      throw new ComponentStartError(
        component.name,
        `not healthy within ${component.startTimeoutMs / 1000}s (last check: ${lastReason})`,
        ctx.layout.logFile(component.name),
        await logTail(ctx.layout.logFile(component.name)),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
