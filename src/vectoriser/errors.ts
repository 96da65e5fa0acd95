/**
 * Errors of the vectoriser layer. A record that cannot be vectorised is not one of them: the
 * compiled vectoriser returns a `VectorProblem` for it (`field-values.ts`), so the scorer
 * dead-letters that record and scores the rest. These are for a spec that cannot be used and for
 * fitting that cannot be done; neither is retriable, since the same spec or rows fail the same way.
 */
import { TributaryError, type TributaryErrorOptions } from '../errors/tributary-error.js';
import type { VectorProblem } from './field-values.js';

/** Base of the errors this layer throws. */
export class VectoriserError extends TributaryError {
  override readonly name: string = 'VectoriserError';

  constructor(message: string, options: TributaryErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * A stored spec is refused: not a spec, of a layout version this build does not read, or
 * inconsistent (columns that its entries do not make, a repeated vocabulary value). The model it
 * belongs to needs a build that reads its version, or retraining with this one.
 */
export class VectoriserSpecError extends VectoriserError {
  override readonly name = 'VectoriserSpecError';

  /** `problem`: what is wrong, starting with its place in the spec, e.g. `inputs[2].scale.std must be > 0`. */
  constructor(readonly problem: string) {
    super(`vectoriser spec refused: ${problem}`);
  }
}

/**
 * The inputs cannot be fitted: no training rows, an input whose field is not among the features
 * fields or of a type its encoding cannot read, or a training row with a value the input cannot
 * read (then `row` and `recordProblem` say which and why).
 */
export class VectoriserFitError extends VectoriserError {
  override readonly name = 'VectoriserFitError';

  constructor(
    message: string,
    readonly field: string | undefined,
    readonly row?: number,
    readonly recordProblem?: VectorProblem,
  ) {
    super(message);
  }
}
