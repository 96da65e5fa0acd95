import { FlinkError, type FlinkErrorContext } from './errors.js';

/** The deployment record file cannot be read or parsed. Not retriable: a person fixes or moves the file. */
export class DeploymentRecordError extends FlinkError {
  override readonly name = 'DeploymentRecordError';

  constructor(readonly jobName: string, readonly file: string, problem: string, cause?: unknown) {
    super(`the deployment record of "${jobName}" at ${file} ${problem}`, { retriable: false, cause });
  }
}

/**
 * A job of the deployment's name runs that its deployment record does not know, so nobody
 * knows its spec and a rollback could not restore it. Not retriable.
 */
export class UnrecordedJobError extends FlinkError {
  override readonly name = 'UnrecordedJobError';

  constructor(readonly jobName: string, readonly jobIds: readonly string[]) {
    super(
      `job(s) ${jobIds.join(', ')} run as "${jobName}" but no deployment recorded them, so their spec is unknown and a rollback could not restore them; ` +
        'stop them (tributary flink cancel, or stop with a savepoint and deploy from it) and deploy through `tributary flink deploy`',
      { jobId: jobIds[0], retriable: false },
    );
  }
}

/**
 * A savepoint upgrade found no running job to take the savepoint of. It never falls back to
 * an older checkpoint: deploy in stateless mode, or restore a savepoint of the history by hand.
 */
export class NoRunningJobError extends FlinkError {
  override readonly name = 'NoRunningJobError';

  constructor(readonly jobName: string, jobId: string, readonly state: string) {
    super(
      `the current job of "${jobName}" (${jobId}) is ${state}, so there is no running job to take a savepoint of; ` +
        'a savepoint or blue/green upgrade never falls back to an older checkpoint: deploy with --mode stateless, or submit from a savepoint in `tributary flink history`',
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
