/**
 * Errors of the scoring worker. Each says which model and version it is about, so an operator
 * reading a log line or a metric label knows what to fix without opening the code.
 */
import { TributaryError } from '../errors/tributary-error.js';

/** What a serving error is about; every field is optional because each error knows only part of it. */
export interface ServingErrorContext {
  readonly model?: string;
  readonly version?: number;
  /** Whether trying the same call again may succeed without a change by the caller. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base of every error the scoring worker throws; the message is what a person reads. */
export class ServingError extends TributaryError {
  override readonly name: string = 'ServingError';
  readonly model: string | undefined;
  readonly version: number | undefined;

  constructor(message: string, context: ServingErrorContext = {}) {
    super(message, context);
    this.model = context.model;
    this.version = context.version;
  }
}

/**
 * A served model version could not be made ready to score: its artifact is missing, corrupt, of
 * another sha256 than the deployment names, of another feature layout, or it failed its warm-up.
 * The worker keeps serving what it served before. Retriable when the cause was (a registry read
 * that timed out), not when the bytes themselves are wrong.
 */
export class ModelLoadError extends ServingError {
  override readonly name = 'ModelLoadError';

  constructor(
    model: string,
    version: number,
    /** Why, in one line: the registry's or the loader's message. */
    readonly reason: string,
    options: { readonly retriable?: boolean; readonly cause?: unknown } = {},
  ) {
    super(`cannot serve ${model} version ${version}: ${reason}`, { model, version, ...options });
  }
}

/**
 * The scores topic's registered schema is not the score record this scorer writes (a registry kept
 * from a release before pipelines). Nothing is written and no offset is committed, so the records
 * wait; the message says the way out.
 */
export class ScoreSchemaMismatchError extends ServingError {
  override readonly name = 'ScoreSchemaMismatchError';

  constructor(
    readonly topic: string,
    advice: string,
  ) {
    super(`cannot write scores to ${topic}: ${advice}`, { retriable: false });
  }
}

/** A disposed model was asked to score: a lease was not held for the batch that used it. */
export class ModelDisposedError extends ServingError {
  override readonly name = 'ModelDisposedError';

  constructor(model: string, version: number) {
    super(`${model} version ${version} was disposed and can no longer score; hold a lease on the served models while a batch scores`, { model, version });
  }
}

/** A batch asked for the served models before any deployment was applied: there is nothing to score with yet. */
export class NothingServedError extends ServingError {
  override readonly name = 'NothingServedError';

  constructor() {
    super('no deployment has been applied yet, so no model is served; apply the model\'s deployment before scoring');
  }
}

/** The served models were used after close(). */
export class ServedModelsClosedError extends ServingError {
  override readonly name = 'ServedModelsClosedError';

  constructor(action: string) {
    super(`cannot ${action}: the served models are closed`);
  }
}

/** A deployment of another model was applied to served models that hold one model's versions. */
export class DeploymentModelMismatchError extends ServingError {
  override readonly name = 'DeploymentModelMismatchError';

  constructor(
    readonly servedModel: string,
    readonly deploymentModel: string,
  ) {
    super(`cannot apply a deployment of ${deploymentModel} to the served models of ${servedModel}: one scorer serves one model`, {
      model: deploymentModel,
    });
  }
}
