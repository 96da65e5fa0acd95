import { FlinkError, type FlinkErrorContext } from './errors.js';

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
 * jobs write the same topics. Cancel it, or submit with `force` (e.g. blue/green with an
 * explicit job id).
 */
export class FeatureJobAlreadyRunningError extends FlinkError {
  override readonly name = 'FeatureJobAlreadyRunningError';

  constructor(readonly jobName: string, jobId: string, state: string) {
    super(`feature job "${jobName}" is already ${state} as job ${jobId}; cancel it first (tributary flink cancel) or submit with --force`, {
      jobId,
      retriable: false,
    });
  }
}

/** No running job has the feature job's name (e.g. cancel when nothing runs). */
export class FeatureJobNotRunningError extends FlinkError {
  override readonly name = 'FeatureJobNotRunningError';

  constructor(readonly jobName: string, context: FlinkErrorContext = {}) {
    super(`no feature job named "${jobName}" is running`, { retriable: false, ...context });
  }
}
