/**
 * Splits labelled examples by event time into train, validation and test, oldest to newest.
 * Never randomly: a model is used on events newer than any it learned from, so it is evaluated the
 * same way, and no entity's later behaviour leaks into the training of its past.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { DatasetSplitError, InvalidOptionsError, type OptionIssue, type SplitCounts } from './errors.js';
import type { TrainingExample } from './training-example.js';

/** The three splits, oldest first. */
export type SplitName = 'train' | 'validation' | 'test';

/** Shares of the examples for each split, oldest first; each above 0, together 1. */
export interface SplitFractions {
  /** @default 0.7 */
  readonly train: number;
  /** @default 0.15 */
  readonly validation: number;
  /** @default 0.15 */
  readonly test: number;
}

/** The fractions used when none are given. */
export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

/**
 * Where the splits lie in event time (epoch milliseconds), for lineage: train holds
 * `[start, validationStart)`, validation `[validationStart, testStart)`, test `[testStart, end]`.
 */
export interface SplitBoundaries {
  /** Event time of the oldest example. */
  readonly start: number;
  /** Event time of the oldest validation example. */
  readonly validationStart: number;
  /** Event time of the oldest test example. */
  readonly testStart: number;
  /** Event time of the newest example. */
  readonly end: number;
}

/** The examples of each split, each in event-time order, with the boundaries and counts. */
export interface DatasetSplit<Example> {
  readonly train: readonly Example[];
  readonly validation: readonly Example[];
  readonly test: readonly Example[];
  readonly boundaries: SplitBoundaries;
  readonly counts: Readonly<Record<SplitName, SplitCounts>>;
}

/** What the split reads of an example. */
export type SplittableExample = Pick<TrainingExample, 'id' | 'eventTime' | 'label'>;

/**
 * Sorts the examples by event time (ties by event id, so input order never matters) and
 * cuts at the given fractions. Examples sharing the event time at a cut all go to the later
 * split, so the splits never overlap in time. Throws {@link InvalidOptionsError} for bad
 * fractions and {@link DatasetSplitError} when a split would be empty or, for a classifier, lack
 * either class.
 */
export function splitByEventTime<Example extends SplittableExample>(
  examples: readonly Example[],
  fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS,
  task: ModelTask = 'binary-classification',
): DatasetSplit<Example> {
  checkFractions(fractions);
  const ordered = [...examples].sort(
    (a, b) => a.eventTime - b.eventTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const validationCut = cutBeforeTies(ordered, Math.round(ordered.length * fractions.train));
  const testCut = cutBeforeTies(ordered, Math.max(validationCut, Math.round(ordered.length * (fractions.train + fractions.validation))));
  const train = ordered.slice(0, validationCut);
  const validation = ordered.slice(validationCut, testCut);
  const test = ordered.slice(testCut);

  const countOf = task === 'regression' ? regressionCountOf : classifierCountOf;
  const counts = { train: countOf(train), validation: countOf(validation), test: countOf(test) };
  const names = ['train', 'validation', 'test'] as const;
  for (const name of names) if (counts[name].examples === 0) throw new DatasetSplitError(name, 'would be empty', counts);
  for (const name of names) {
    const { examples: size, positives } = counts[name];
    if (positives === 0) throw new DatasetSplitError(name, `has no positive label among its ${size} examples`, counts);
    if (positives === size) throw new DatasetSplitError(name, `has no negative label among its ${size} examples`, counts);
  }
  return {
    train,
    validation,
    test,
    boundaries: {
      start: train[0]!.eventTime,
      validationStart: validation[0]!.eventTime,
      testStart: test[0]!.eventTime,
      end: test[test.length - 1]!.eventTime,
    },
    counts,
  };
}

/** Moves a cut back before every example that shares the event time of the first one after it. */
function cutBeforeTies(ordered: readonly SplittableExample[], cut: number): number {
  let index = cut;
  while (index > 0 && index < ordered.length && ordered[index - 1]!.eventTime === ordered[index]!.eventTime) index -= 1;
  return index;
}

function classifierCountOf(examples: readonly SplittableExample[]): SplitCounts {
  return { examples: examples.length, positives: examples.filter((example) => example.label === 1).length };
}

/** A regression's labels have no classes to count. */
function regressionCountOf(examples: readonly SplittableExample[]): SplitCounts {
  return { examples: examples.length };
}

function checkFractions(fractions: SplitFractions): void {
  const issues: OptionIssue[] = [];
  for (const name of ['train', 'validation', 'test'] as const) {
    const value = fractions[name];
    if (typeof value !== 'number' || !(value > 0 && value < 1)) issues.push({ option: name, value, expected: 'a number above 0 and below 1' });
  }
  const total = fractions.train + fractions.validation + fractions.test;
  if (issues.length === 0 && Math.abs(total - 1) > 1e-9) {
    issues.push({ option: 'train + validation + test', value: total, expected: 'fractions that add up to 1' });
  }
  if (issues.length > 0) throw new InvalidOptionsError('split fractions', issues);
}
