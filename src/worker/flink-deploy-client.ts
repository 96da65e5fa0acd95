/**
 * Starting and following `flinkDeploy` runs from a Temporal client (the CLI, tests, the bench).
 * Maps "already started" to a one-line {@link DeploymentAlreadyRunningError}. A client of the
 * workflow, so it sits above it with the rest of the Temporal wiring, not in src/flink/, which
 * the workflow imports.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { flinkDeploy, FlinkDeployInput, FlinkDeployStatus } from '../workflows/flink-deploy.js';
import { TributaryFlinkJob } from '../temporal/search-attributes.js';
import { DeploymentAlreadyRunningError } from '../flink/deployment-errors.js';

/** The Temporal UI page of a workflow. */
export const workflowUiUrl = (uiUrl: string, namespace: string, workflowId: string): string =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

/** The workflow id of a job's deployments; the same as the workflow module's, without importing workflow code here. */
export const deploymentWorkflowId = (jobName: string): string => `flink-deploy:${jobName}`;

export interface StartDeploymentOptions {
  readonly taskQueue: string;
  /** For the error message's link. */
  readonly uiUrl: string;
}

/** Starts a deployment; refuses with {@link DeploymentAlreadyRunningError} while another of the same job runs. */
export async function startDeployment(client: Client, input: FlinkDeployInput, options: StartDeploymentOptions): Promise<WorkflowHandleWithFirstExecutionRunId<typeof flinkDeploy>> {
  const workflowId = deploymentWorkflowId(input.spec.jobName);
  try {
    return await client.workflow.start<typeof flinkDeploy>('flinkDeploy', {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: TributaryFlinkJob, value: input.spec.jobName }],
      memo: { phase: 'starting', version: input.spec.version },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const running = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
    throw new DeploymentAlreadyRunningError(input.spec.jobName, workflowId, running?.runId, workflowUiUrl(options.uiUrl, client.options.namespace, workflowId));
  }
}

/**
 * Calls `onPhase` for every phase the deployment enters (polling its `status` query) until the
 * run ends, and resolves with its result; a failed run rejects with Temporal's failure.
 */
export async function followDeployment(
  handle: WorkflowHandle<typeof flinkDeploy>,
  onPhase: (status: FlinkDeployStatus) => void,
  pollIntervalMs = 500,
): Promise<Awaited<ReturnType<typeof flinkDeploy>>> {
  let ended = false;
  const result = handle.result().finally(() => {
    ended = true;
  });
  let seen = 0;
  const report = async (): Promise<void> => {
    const status = await handle.query<FlinkDeployStatus>('status').catch(() => undefined);
    for (; status && seen < status.phases.length; seen++) onPhase({ ...status, phase: status.phases[seen]?.phase ?? status.phase });
  };
  while (!ended) {
    await report();
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, pollIntervalMs))]);
  }
  await report();
  return result;
}
