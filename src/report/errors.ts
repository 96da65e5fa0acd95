import { TributaryError } from '../errors/tributary-error.js';

/** Thrown when `tributary report` is asked about a model the registry does not hold; names the ones it does. */
export class UnknownModelError extends TributaryError {
  override readonly name: string = 'UnknownModelError';

  constructor(
    readonly model: string,
    readonly knownModels: readonly string[],
  ) {
    super(
      knownModels.length === 0
        ? `no model '${model}' in the registry: it holds no model yet (train one with tributary train, or let the threshold trigger do it)`
        : `no model '${model}' in the registry; known models: ${knownModels.join(', ')}`,
    );
  }
}

/** Thrown when the model's pipeline is not applied (or was deleted): its scores and labels topics and label fields are unknown. */
export class PipelineNotAppliedError extends TributaryError {
  override readonly name: string = 'PipelineNotAppliedError';

  constructor(readonly model: string) {
    super(`no pipeline named ${model} is applied, so the report cannot tell which scores and labels topics to read: apply its definition (tributary pipeline apply <file>) and run the report again`);
  }
}
