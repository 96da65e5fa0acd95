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
