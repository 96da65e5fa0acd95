import type { ComponentName } from './stack-layout.js';
import { TributaryError } from '../errors/tributary-error.js';

export interface StackErrorContext {
  /** The component the error is about, if any. */
  readonly component?: ComponentName;
  /** Whether trying the same command again may succeed without a change by the person. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Thrown by `tributary stack` commands; the message is what the person reads. */
export class StackError extends TributaryError {
  override readonly name: string = 'StackError';
  readonly component: ComponentName | undefined;

  constructor(message: string, context: StackErrorContext = {}) {
    super(message, context);
    this.component = context.component;
  }
}

/** A port the stack needs is held by a process the stack did not start. */
export class PortInUseError extends StackError {
  override readonly name = 'PortInUseError';

  constructor(
    readonly port: number,
    component: ComponentName,
    readonly holder: string | undefined,
  ) {
    super(
      `port ${port} needed by ${component} is already in use${holder ? ` by ${holder}` : ''}; ` +
        'stop that process or free the port, then run `tributary stack up` again',
      { component, retriable: false },
    );
  }
}

/** A component did not become healthy in time, or exited while starting. */
export class ComponentStartError extends StackError {
  override readonly name = 'ComponentStartError';

  constructor(
    component: ComponentName,
    reason: string,
    readonly logFile: string,
    readonly logTail: string,
  ) {
    super(`${component} failed to start: ${reason}\n--- last lines of ${logFile} ---\n${logTail}`, {
      component,
      retriable: true,
    });
  }
}

/** A step of installing or preparing a component failed (download, build, unpack, format). */
export class SetupStepError extends StackError {
  override readonly name = 'SetupStepError';

  constructor(subject: string, step: string, detail: string, cause?: unknown) {
    super(`${subject}: ${step} failed: ${detail}`, { retriable: true, cause });
  }
}
