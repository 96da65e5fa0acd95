/**
 * Starting and stopping a model's `driftMonitor` from a Temporal client: what `tributary drift
 * start|stop` and `pipeline apply` both do, so the two start the same workflow under the same id.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { driftMonitorWorkflowId, driftStopSignal, type driftMonitor, type DriftMonitorOptions, type DriftMonitorState, type DriftMonitorStopped } from '../workflows/drift-monitor.js';
import type { StopRequest } from '../workflows/stop-request.js';
import { TributaryModelName } from '../temporal/search-attributes.js';
import { resultWithin } from './workflow-result.js';

/**
 * Starts the model's drift monitor; `carried` continues the state of an earlier run (its
 * retrainings and cooldown), as continue-as-new does. Throws the SDK's
 * WorkflowExecutionAlreadyStartedError while one runs.
 */
export async function startDriftMonitor(
  client: Client,
  taskQueue: string,
  model: string,
  options: DriftMonitorOptions,
  carried?: DriftMonitorState,
): Promise<WorkflowHandle<typeof driftMonitor>> {
  return client.workflow.start<typeof driftMonitor>('driftMonitor', {
    taskQueue,
    workflowId: driftMonitorWorkflowId(model),
    args: carried === undefined ? [model, options] : [model, options, carried],
    typedSearchAttributes: [{ key: TributaryModelName, value: model }],
  });
}

/**
 * Signals the model's running monitor to stop and waits up to `waitMs` for it to end; resolves
 * with its last state, or undefined when it still runs (it ends after the check in progress).
 * Throws WorkflowNotFoundError when the model has no monitor.
 */
export async function stopDriftMonitor(client: Client, model: string, request: StopRequest, waitMs: number): Promise<DriftMonitorStopped | undefined> {
  const handle = client.workflow.getHandle<typeof driftMonitor>(driftMonitorWorkflowId(model));
  await handle.signal(driftStopSignal, request);
  return resultWithin<DriftMonitorStopped>(handle, waitMs);
}
