import { FlinkError, type FlinkErrorContext } from './errors.js';
import { FEATURE_JOB_NAME } from './job-spec.js';

/**
 * Maven could not build the feature job's jar. Carries the module folder, Maven's exit and
 * the tail of its output (compiler errors, missing dependencies). Not retriable: fix the
 * sources, or run the build once with network access to fill the Maven cache.
 */
export class JarBuildError extends FlinkError {
  override readonly name = 'JarBuildError';

  constructor(
    readonly moduleDir: string,
    readonly outcome: string,
    readonly outputTail: string,
    cause?: unknown,
  ) {
    super(`building the jar in ${moduleDir} failed (${outcome}); Maven's output ends with:\n${outputTail.trim() || '(no output)'}`, {
      retriable: false,
      cause,
    });
  }
}

/**
 * A feature job with the same name is already running, so a second submit would make two
 * jobs write the same topics. The message names the paths that keep the running job's state:
 * upgrade it by savepoint, or stop it with one.
 */
export class FeatureJobAlreadyRunningError extends FlinkError {
  override readonly name = 'FeatureJobAlreadyRunningError';

  constructor(readonly jobName: string, jobId: string, state: string) {
    super(
      `feature job "${jobName}" is already ${state} as job ${jobId}; to run another version, upgrade it with its state: ` +
        `\`tributary flink deploy ${jobName} --job-version <version>\`; to stop it, \`tributary flink cancel${jobName === FEATURE_JOB_NAME ? '' : ` --job-name ${jobName}`}\` (takes a savepoint and prints the command that resumes from it)`,
      { jobId, retriable: false },
    );
  }
}

/** No running job has the feature job's name (e.g. cancel when nothing runs). */
export class FeatureJobNotRunningError extends FlinkError {
  override readonly name = 'FeatureJobNotRunningError';

  constructor(readonly jobName: string, context: FlinkErrorContext = {}) {
    super(`no feature job named "${jobName}" is running`, { retriable: false, ...context });
  }
}
