/**
 * Errors of `tributary models import` beyond those of the layers it calls (the ONNX model's, the
 * training layer's, the input check's, the registry's). None is retriable: the same file and the
 * same examples get the same answer.
 */
import { TributaryError } from '../errors/tributary-error.js';

/** Thrown when the gates given for an import are not numbers of the right range, or belong to the other task; nothing is read or registered. */
export class InvalidImportGatesError extends TributaryError {
  override readonly name = 'InvalidImportGatesError';

  constructor(
    readonly pipeline: string,
    /** One line per bad gate. */
    readonly problems: readonly string[],
  ) {
    super(`invalid gates for pipeline ${pipeline}: ${problems.join('; ')}`);
  }
}

/**
 * Thrown when an imported model misses a quality gate and the import did not ask to register it
 * anyway: nothing is registered. `failures` holds one sentence per gate missed, as a training run's
 * refusal words them.
 */
export class ImportRefusedByGatesError extends TributaryError {
  override readonly name = 'ImportRefusedByGatesError';

  constructor(
    readonly pipeline: string,
    readonly file: string,
    readonly failures: readonly string[],
  ) {
    super(`${file} fails ${failures.length === 1 ? 'a quality gate' : `${failures.length} quality gates`} of pipeline ${pipeline}: ${failures.join('; ')}`);
  }
}
