/**
 * Starting and stopping a model's `thresholdTrigger` from a Temporal client: what `tributary
 * trigger start|stop` and `pipeline apply` both do, so the two start the same workflow under the
 * same id, search attribute and memo.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { StopRequest } from '../workflows/stop-request.js';
import { stopSignal, thresholdTriggerWorkflowId, type thresholdTrigger, type ThresholdTriggerOptions, type ThresholdTriggerState, type ThresholdTriggerStopped } from '../workflows/threshold-trigger.js';
import { TributaryModelName } from '../temporal/search-attributes.js';
import { resultWithin } from './workflow-result.js';

/**
 * Starts the model's trigger; `carried` continues the state of an earlier run (its offsets, the
 * trainings it started), as continue-as-new does. Throws the SDK's WorkflowExecutionAlreadyStartedError
 * while one runs.
 */
export async function startThresholdTrigger(
  client: Client,
  taskQueue: string,
  model: string,
  options: ThresholdTriggerOptions,
  carried?: ThresholdTriggerState,
): Promise<WorkflowHandle<typeof thresholdTrigger>> {
  return client.workflow.start<typeof thresholdTrigger>('thresholdTrigger', {
    taskQueue,
    workflowId: thresholdTriggerWorkflowId(model),
    args: carried === undefined ? [model, options] : [model, options, carried],
    typedSearchAttributes: [{ key: TributaryModelName, value: model }],
    memo: { threshold: carried?.threshold ?? options.threshold },
  });
}

/**
 * Signals the model's running trigger to stop and waits up to `waitMs` for it to end; resolves
 * with its last state, or undefined when it still runs (it ends after the poll in progress).
 * Throws WorkflowNotFoundError when the model has no trigger.
 */
export async function stopThresholdTrigger(client: Client, model: string, request: StopRequest, waitMs: number): Promise<ThresholdTriggerStopped | undefined> {
  const handle = client.workflow.getHandle<typeof thresholdTrigger>(thresholdTriggerWorkflowId(model));
  await handle.signal(stopSignal, request);
  return resultWithin<ThresholdTriggerStopped>(handle, waitMs);
}
