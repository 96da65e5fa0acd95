/**
 * Finds a trainingPipeline run of a model that is still running, whoever started it (the
 * threshold trigger, a schedule, a person, the drift monitor). Ids the caller started itself are
 * described directly (strongly consistent); every other run is found through the visibility
 * store by its TributaryModelName search attribute (eventually consistent, seconds behind at most).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** Runs of `model`'s training pipeline still open now: `knownIds` first, then the visibility store; undefined when none. */
export async function findRunningTraining(client: Client, model: string, knownIds: readonly string[]): Promise<string | undefined> {
  for (const workflowId of knownIds) {
    try {
      const { status } = await client.workflow.getHandle(workflowId).describe();
      if (status.name === 'RUNNING') return workflowId;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  const query = `WorkflowType = 'trainingPipeline' AND ExecutionStatus = 'Running' AND TributaryModelName = '${model.replaceAll("'", "\\'")}'`;
  for await (const execution of client.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
  return undefined;
}
