/**
 * The blue/green branch of flinkDeploy: the new version runs BESIDE the old one until it has
 * proved itself, then takes over.
 *
 * 1. The new version's output topic is created as a twin of the old one.
 * 2. The old topic's committed end offsets are marked (`overlapFrom`), THEN a savepoint of the old
 *    job is taken without stopping it. What the old job committed before the mark came from
 *    input before the savepoint, so the new job never writes it again.
 * 3. The new version starts from that savepoint (allowNonRestoredState: the old job's sinks,
 *    whose uids name the old topic, keep their transactions to themselves) and must pass the
 *    health window and catch up with its input.
 * 4. Takeover: every model whose deployment reads the old topic moves to the new one, with the
 *    handoff; then the old job stops with a savepoint, and the record names the new job.
 *
 * Any failure before the takeover cancels the new job and leaves the old one running untouched;
 * nothing is deleted (the new topic stays, for a person to inspect).
 */
import type { CurrentDeployment } from '../flink/deployment-record.js';
import type { PartitionOffset } from '../serving/model-deployment.js';
import { outputHandoff } from '../flink/blue-green.js';
import { deploymentJobId } from '../flink/deployment-job-id.js';
import type { DeploymentSteps, FlinkDeployResult } from './flink-deploy.js';

/** Submission number of {@link deploymentJobId} for the new version (the same as the other modes'). */
const NEW_VERSION_SUBMISSION = 1;

/** Runs the blue/green upgrade from the running `previous` deployment; see the module comment. */
export async function deployBlueGreen(steps: DeploymentSteps, previous: CurrentDeployment): Promise<FlinkDeployResult> {
  const { input, activities, timeouts, moveTo, update, finish, describeFailure } = steps;
  const { spec } = input;
  const topics = outputHandoff(previous.spec, spec);
  if ('problem' in topics) return finish('aborted', { error: topics.problem }, 'unchanged');
  if (spec.version === previous.spec.version) {
    return finish('aborted', { error: `blue/green runs ${spec.version} beside the running ${previous.spec.version}: the versions must differ, since the version names the sinks' transactional ids` }, 'unchanged');
  }
  const { previousTopic, newTopic } = topics;

  moveTo('preparing-output', { handoff: { previousTopic, newTopic, overlapFrom: undefined, models: undefined } });
  try {
    await activities.output.prepareOutputTopic({ template: previousTopic, topic: newTopic });
  } catch (error) {
    return finish('aborted', { error: `preparing output topic ${newTopic} failed, so nothing was started: ${describeFailure(error)}` }, 'unchanged');
  }

  moveTo('savepointing');
  let savepoint: string;
  let overlapFrom: readonly PartitionOffset[];
  try {
    overlapFrom = await activities.quick.markOverlap(previousTopic);
    update({ handoff: { previousTopic, newTopic, overlapFrom, models: undefined } });
    savepoint = (await activities.savepoint.takeSavepoint({ jobName: spec.jobName, jobId: previous.jobId, version: previous.spec.version, timeoutMs: timeouts.savepointMs })).path;
    update({ savepoint });
  } catch (error) {
    return finish('aborted', { error: `the savepoint of job ${previous.jobId} failed, so it keeps running and nothing was submitted: ${describeFailure(error)}` }, 'unchanged');
  }

  const newJobId = deploymentJobId(steps.runId, NEW_VERSION_SUBMISSION);
  const submitted = { ...spec, allowNonRestoredState: true };
  moveTo('submitting', { newJobId });
  const attempt = await steps.runAndVerify(newJobId, submitted, savepoint, 'verifying');
  let failure = attempt.failure;
  if (failure === undefined) {
    moveTo('catching-up');
    try {
      const catchUp = await activities.catchUp.waitForCatchUp({ jobId: newJobId, options: input.catchUp ?? {} });
      update({ catchUp });
      if (!catchUp.caughtUp) failure = `job ${newJobId} (${spec.version}) did not catch up with its input: ${catchUp.problem ?? ''}`;
    } catch (error) {
      failure = `watching job ${newJobId} (${spec.version}) catch up failed: ${describeFailure(error)}`;
    }
  }
  if (failure !== undefined) {
    moveTo('rolling-back', { error: failure });
    await activities.cancel.cancelJob({ jobId: newJobId, timeoutMs: timeouts.cancelMs });
    return finish('rolled-back', {}, 'unchanged');
  }

  const decidedAt = Date.now();
  const handoff = { previousTopic, newTopic, overlapFrom };
  moveTo('taking-over');
  let models: readonly string[];
  try {
    models = (await activities.takeover.handOverFeatures({
      ...handoff,
      updatedBy: `workflow:flink-deploy:${spec.jobName}`,
      reason: `feature job ${spec.jobName} upgraded blue/green from ${previous.spec.version} to ${spec.version}: features move from ${previousTopic} to ${newTopic}`,
    })).models;
  } catch (error) {
    return finish('takeover-failed', {
      error: `moving the models from ${previousTopic} to ${newTopic} failed, so jobs ${previous.jobId} (${previous.spec.version}) and ${newJobId} (${spec.version}) both keep running; ` +
        `models moved before the failure read ${newTopic} (see their deployments); move the rest, or move them back and cancel ${newJobId}: ${describeFailure(error)}`,
    }, 'unchanged');
  }
  update({ handoff: { ...handoff, models } });

  moveTo('stopping-previous');
  try {
    await activities.savepoint.stopWithSavepoint({ jobName: spec.jobName, jobId: previous.jobId, version: previous.spec.version, drain: false, timeoutMs: timeouts.savepointMs });
    // The savepoint completes first; the job then commits its last transactions and finishes.
    const ended = await activities.wait.waitForEnd({ jobId: previous.jobId, timeoutMs: timeouts.cancelMs });
    update({ takeoverMs: ended.endedAt - decidedAt });
  } catch (error) {
    // Nobody reads its topic any more: a job that will not stop with a savepoint is cancelled instead.
    const cancelled = await activities.cancel.cancelJob({ jobId: previous.jobId, timeoutMs: timeouts.cancelMs });
    update({ takeoverMs: cancelled.stoppedAt - decidedAt, error: `the takeover happened, but stopping job ${previous.jobId} with a savepoint failed, so it was cancelled: ${describeFailure(error)}` });
  }
  return finish('deployed', {}, { jobId: newJobId, spec: submitted, since: attempt.runningAt ?? decidedAt, restoredFrom: savepoint, deployedBy: steps.deployedBy });
}
