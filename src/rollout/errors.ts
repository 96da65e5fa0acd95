import { TributaryError, type TributaryErrorOptions } from '../errors/tributary-error.js';

/** A rollout that cannot start or act as asked: the version is not one that can be rolled out, the model has no champion, … */
export class RolloutError extends TributaryError {
  override readonly name: string = 'RolloutError';

  constructor(
    readonly model: string,
    problem: string,
    options: TributaryErrorOptions = {},
  ) {
    super(`rollout of ${model}: ${problem}`, options);
  }
}
