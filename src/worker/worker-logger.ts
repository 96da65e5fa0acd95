import { DefaultLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';

/** What the SDK says of every worker without workflows; the training worker runs activities only, by design. */
const ACTIVITY_ONLY_WARNING = 'No workflows registered, not polling for workflow tasks';

/** The SDK's logger, without the one warning that describes Tributary's design rather than a problem. */
export class WorkerLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (level === 'WARN' && message === ACTIVITY_ONLY_WARNING) return;
    super.log(level, message, meta);
  }
}
