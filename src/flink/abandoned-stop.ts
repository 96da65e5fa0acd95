/**
 * A stop-with-savepoint that was given up on (it timed out, failed, or its activity was lost):
 * what became of the job, and how a person is told. Pure, so the flinkDeploy workflow words its
 * outcome with the same text the activity does.
 */
import { FlinkError } from './errors.js';
import type { JobState } from './flink-rest-client.js';

/** What became of the job after {@link import('./flink-service.js').FlinkService.abandonStopWithSavepoint}. */
export type AbandonedStop =
  /** The job runs and nothing pending will stop it: the stop failed, or never started. */
  | { readonly outcome: 'running' }
  /** The job was asked to run again (the operator's `state: running`): it keeps running, or restarts from the savepoint if the stop had already happened. */
  | { readonly outcome: 'resumed' }
  /** Flink still works on the stop and cannot be told to give up (REST): the job runs now, and stops if the savepoint completes. */
  | { readonly outcome: 'pending'; readonly triggerId: string }
  /** The stop completed after all: the job stopped, and its state is in this savepoint. */
  | { readonly outcome: 'stopped'; readonly savepoint: string }
  /** The job is not running: it ended, or the cluster does not know it. */
  | { readonly outcome: 'ended'; readonly state: JobState | 'UNKNOWN' };

/** What runs after the stop of job `jobId` of `jobName` was given up on, and what to do, as one clause. */
export function describeAbandonedStop(jobName: string, jobId: string, abandoned: AbandonedStop): string {
  switch (abandoned.outcome) {
    case 'running':
      return `job ${jobId} keeps running`;
    case 'resumed':
      return `its FlinkDeployment was set back to state running, so the operator keeps job ${jobId} running (or restarts it from the savepoint it took, had it stopped already)`;
    case 'pending':
      return `job ${jobId} still runs, but Flink cannot withdraw a stop-with-savepoint: the job stops if savepoint ${abandoned.triggerId} still completes (Flink fails it at the job's checkpoint timeout otherwise, and the job keeps running); ` +
        `check with \`tributary flink status ${jobName}\`, and if the job stopped, restore its state with \`tributary flink deploy ${jobName} --from-savepoint <path>\` (the path of its newest savepoint in the Flink UI's checkpoint history)`;
    case 'stopped':
      return `job ${jobId} stopped after all, and its state is in savepoint ${abandoned.savepoint}`;
    case 'ended':
      return `job ${jobId} is ${abandoned.state}, not running; restore its state with \`tributary flink deploy ${jobName} --from-savepoint <path>\` (the newest savepoint of \`tributary flink history ${jobName}\`, or a retained checkpoint)`;
  }
}

/** A stop-with-savepoint did not complete in time and was given up on; the message says what runs now. Retriable: a new attempt stops the job again (or resumes a stop Flink still works on). */
export class StopWithSavepointAbandonedError extends FlinkError {
  override readonly name = 'StopWithSavepointAbandonedError';

  constructor(readonly jobName: string, jobId: string, triggerId: string, readonly abandoned: AbandonedStop, cause: Error) {
    super(`${cause.message}; the stop-with-savepoint was given up on: ${describeAbandonedStop(jobName, jobId, abandoned)}`, { jobId, triggerId, retriable: true, cause });
  }
}
