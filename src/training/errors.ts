import { shownValue } from '../errors/shown-value.js';
import { TributaryError } from '../errors/tributary-error.js';
/** Where a training-layer error applies; every field is optional because each error knows only part of it. */
export interface TrainingErrorContext {
  /** The transaction whose record is at fault. */
  readonly transactionId?: string;
  /** The record field, option or metric input the error is about. */
  readonly field?: string;
  /** The dataset split the error is about. */
  readonly split?: string;
  /** Whether trying the same call again may succeed without a change by the caller. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/**
 * Base of every error the training layer throws; the message is what a person reads.
 * Training is deterministic given its input, so none of these is retriable: the same data
 * and options fail the same way again.
 */
export class TrainingError extends TributaryError {
  override readonly name: string = 'TrainingError';
  readonly transactionId: string | undefined;
  readonly field: string | undefined;
  readonly split: string | undefined;

  constructor(message: string, context: TrainingErrorContext = {}) {
    super(message, context);
    this.transactionId = context.transactionId;
    this.field = context.field;
    this.split = context.split;
  }
}

/**
 * A feature field of a record is missing, not finite, of the wrong type or out of range, so the
 * record cannot become a feature vector. The scorer routes such a record to the DLQ with this
 * message; training refuses the dataset.
 */
export class FeatureValueError extends TrainingError {
  override readonly name = 'FeatureValueError';

  constructor(
    transactionId: string,
    field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`invalid feature in transaction ${transactionId}: ${field}=${shownValue(value, '(missing)')}, expected ${expected}`, {
      transactionId,
      field,
    });
  }
}

/**
 * An example record lacks a readable event id, event time or label (the fields the definition
 * names), so it cannot be split or learned from. The records of pinned offset ranges never change,
 * so training refuses them until the producer of the examples topic is fixed.
 */
export class ExampleFieldError extends TrainingError {
  override readonly name = 'ExampleFieldError';

  constructor(
    readonly where: string,
    field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`training example at ${where}: ${field}=${shownValue(value, '(missing)')}, expected ${expected}`, { field });
  }
}

/**
 * A model's vectoriser cannot read an example of a split: a value its spec does not accept (a
 * null in a field that was never null in training, text where a number was). Naming the split,
 * the example and the vectoriser's own reason.
 */
export class ExampleVectorError extends TrainingError {
  override readonly name = 'ExampleVectorError';

  constructor(split: string, exampleId: string, problem: string) {
    super(`the ${split} example ${exampleId} cannot be vectorised: ${problem}`, { split });
  }
}

/** A training run names a pipeline that has no applied definition: nothing says what its model reads. */
export class PipelineNotAppliedError extends TrainingError {
  override readonly name = 'PipelineNotAppliedError';

  constructor(readonly pipeline: string) {
    super(`pipeline ${pipeline} has no applied definition, so nothing says what its model reads; apply it first: \`tributary pipeline apply <file>\``);
  }
}

/** One bad option: its name, the value given, and what would have been accepted. */
export interface OptionIssue {
  readonly option: string;
  readonly value: unknown;
  readonly expected: string;
}

/** Options that cannot be compiled; carries every problem found, one line each, so all are fixed in one go. */
export class InvalidOptionsError extends TrainingError {
  override readonly name = 'InvalidOptionsError';

  constructor(
    /** What the options configure, e.g. `training options`. */
    readonly subject: string,
    readonly issues: readonly OptionIssue[],
  ) {
    super(
      [`invalid ${subject} (${issues.length} problem${issues.length === 1 ? '' : 's'}):`]
        .concat(issues.map((issue) => `  ${issue.option}=${shownValue(issue.value, '(missing)')}: expected ${issue.expected}`))
        .join('\n'),
      { field: issues[0]?.option },
    );
  }
}

/** Examples and positive labels in one split. */
export interface SplitCounts {
  readonly examples: number;
  /** Absent for a regression, whose labels have no classes. */
  readonly positives?: number;
}

/** A split by event time would leave one split empty or, for a classifier, without one of the two classes. */
export class DatasetSplitError extends TrainingError {
  override readonly name = 'DatasetSplitError';

  constructor(
    split: string,
    problem: string,
    readonly counts: Readonly<Record<'train' | 'validation' | 'test', SplitCounts>>,
  ) {
    const shown = (['train', 'validation', 'test'] as const)
      .map((name) => `${name} ${counts[name].examples}${counts[name].positives === undefined ? '' : ` (${counts[name].positives} positive)`}`)
      .join(', ');
    super(`cannot split the dataset: the ${split} split ${problem} [${shown}]; gather more labelled examples or change the split fractions`, {
      split,
    });
  }
}

/** A metric was asked of inputs it is not defined on: mismatched lengths, one class only, a score out of range. */
export class MetricInputError extends TrainingError {
  override readonly name = 'MetricInputError';

  constructor(
    readonly metric: string,
    problem: string,
  ) {
    super(`cannot compute ${metric}: ${problem}`, { field: metric });
  }
}

/** No threshold meets the requested operating point while flagging anything. */
export class UnreachableTargetError extends TrainingError {
  override readonly name = 'UnreachableTargetError';

  constructor(
    readonly target: string,
    problem: string,
  ) {
    super(`no threshold reaches ${target}: ${problem}`, { field: target });
  }
}

/**
 * A checkpoint, candidate file or model does not fit what it is used with: another input width,
 * other weight shapes, or a serialised form that does not parse.
 */
export class IncompatibleArtifactError extends TrainingError {
  override readonly name = 'IncompatibleArtifactError';

  constructor(
    readonly artifact: string,
    problem: string,
  ) {
    super(`${artifact} cannot be used: ${problem}`);
  }
}
