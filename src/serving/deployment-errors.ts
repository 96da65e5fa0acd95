import { TributaryError, type TributaryErrorOptions } from '../errors/tributary-error.js';

/** A deployment change that breaks a rule, or the `deployments` topic that cannot be read or written. */
export class DeploymentError extends TributaryError {
  override readonly name: string = 'DeploymentError';

  constructor(
    readonly model: string,
    problem: string,
    options: TributaryErrorOptions = {},
  ) {
    super(`deployment of ${model}: ${problem}`, options);
  }
}

/** Another writer of the model's deployment took over while this one wrote; trying again reads its change first. */
export class DeploymentConflictError extends DeploymentError {
  override readonly name = 'DeploymentConflictError';
}
