import { FlinkError, type FlinkErrorContext } from './errors.js';

/** The deployment record file cannot be read or parsed. Not retriable: a person fixes or moves the file. */
export class DeploymentRecordError extends FlinkError {
  override readonly name = 'DeploymentRecordError';

  constructor(readonly jobName: string, readonly file: string, problem: string, cause?: unknown) {
    super(`the deployment record of "${jobName}" at ${file} ${problem}`, { retriable: false, cause });
  }
}

/**
 * Jobs of the deployment's name run that its deployment record does not know, and the deployment
 * cannot tell which one to upgrade: several run, or one runs beside the recorded job, or a
 * blue/green upgrade would start beside a job whose spec is unknown. Not retriable. One
 * unrecorded job alone is no error: a savepoint deployment adopts it.
 */
export class UnrecordedJobError extends FlinkError {
  override readonly name = 'UnrecordedJobError';

  constructor(readonly jobName: string, readonly jobIds: readonly string[], readonly situation: 'several' | 'blue-green', readonly recordedJobId?: string) {
    super(
      situation === 'several'
        ? `job(s) ${jobIds.join(', ')} run as "${jobName}" ${recordedJobId ? `beside the recorded job ${recordedJobId}` : 'and no deployment recorded them'}, so it is unknown which one to upgrade; ` +
            `keep one: stop each of the others with \`tributary flink cancel --job-name ${jobName} --job-id <id>\` (it takes a savepoint and prints the command that resumes from it), then deploy again`
        : `job ${jobIds.join(', ')} runs as "${jobName}" but no deployment recorded it, so a blue/green upgrade cannot start beside it; ` +
            'deploy with --mode savepoint first (it stops that job with a savepoint and starts the new version from it)',
      { jobId: jobIds[0], retriable: false },
    );
  }
}

/**
 * A savepoint upgrade found no running job to take the savepoint of. It never falls back to
 * an older checkpoint: the newest savepoint of the history is named, to resume from explicitly.
 */
export class NoRunningJobError extends FlinkError {
  override readonly name = 'NoRunningJobError';

  constructor(readonly jobName: string, jobId: string, readonly state: string, readonly newestSavepoint?: string) {
    super(
      `the current job of "${jobName}" (${jobId}) is ${state}, so there is no running job to take a savepoint of, and an upgrade never falls back to an older checkpoint; ` +
        (newestSavepoint
          ? `resume its state with \`tributary flink deploy ${jobName} --from-savepoint ${newestSavepoint}\` (the newest savepoint of \`tributary flink history ${jobName}\`)`
          : `resume from a savepoint or retained checkpoint with \`tributary flink deploy ${jobName} --from-savepoint <path>\``),
      { jobId, retriable: false },
    );
  }
}

/** `--from-savepoint` starts a job that is not running; with a job of the name running, it would run a second copy. */
export class RestoreBesideRunningJobError extends FlinkError {
  override readonly name = 'RestoreBesideRunningJobError';

  constructor(readonly jobName: string, jobId: string, readonly savepointPath: string) {
    super(
      `job ${jobId} runs as "${jobName}", so restoring ${savepointPath} would start a second copy writing the same topics; ` +
        `to upgrade the running job, deploy without --from-savepoint (it takes a fresh savepoint of the running job and starts from that)`,
      { jobId, retriable: false },
    );
  }
}

/** A blue/green upgrade needs a running job to start beside; a first deployment has none. */
export class NothingToRunBesideError extends FlinkError {
  override readonly name = 'NothingToRunBesideError';

  constructor(readonly jobName: string) {
    super(`no deployment of "${jobName}" is recorded, so a blue/green upgrade has no running job to start beside; deploy the first version with --mode savepoint`, { retriable: false });
  }
}

/** Flink could not dispose of a savepoint; the entry stays out of the history, the files may remain. */
export class SavepointDisposalError extends FlinkError {
  override readonly name = 'SavepointDisposalError';

  constructor(readonly savepointPath: string, context: FlinkErrorContext = {}) {
    super(`disposing savepoint ${savepointPath} failed${context.flinkErrors?.length ? `: ${context.flinkErrors.join('\n')}` : ''}`, { retriable: true, ...context });
  }
}

/** A deployment of the job is already running (one workflow per job); the new one was not started. */
export class DeploymentAlreadyRunningError extends FlinkError {
  override readonly name = 'DeploymentAlreadyRunningError';

  constructor(readonly jobName: string, readonly workflowId: string, readonly runningRunId: string | undefined, readonly uiUrl: string) {
    super(`a deployment of "${jobName}" is already running (workflow ${workflowId}${runningRunId ? `, run ${runningRunId}` : ''}); wait for it to end or follow it at ${uiUrl}`, { retriable: false });
  }
}

/** A blue/green upgrade could not prepare or read an output topic. */
export class OutputTopicError extends FlinkError {
  override readonly name = 'OutputTopicError';

  constructor(readonly topic: string, problem: string, retriable: boolean, cause?: unknown) {
    super(`output topic ${topic} ${problem}`, { retriable, cause });
  }
}
