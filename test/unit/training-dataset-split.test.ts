import { describe, expect, it } from 'vitest';
import { splitByEventTime, type SplittableExample } from '../../src/training/dataset-split.js';
import { DatasetSplitError, InvalidOptionsError } from '../../src/training/errors.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Examples at hours 0..n-1, fraud at the given hours; handed over newest first so the split must sort. */
function examplesAtHours(count: number, fraudHours: readonly number[]): SplittableExample[] {
  return Array.from({ length: count }, (_, hour) => ({ id: `tx-${hour}`, eventTime: T0 + hour * HOUR, label: fraudHours.includes(hour) ? 1 : 0 })).reverse();
}

const hoursOf = (examples: readonly SplittableExample[]): number[] => examples.map((example) => (example.eventTime - T0) / HOUR);

describe('splitByEventTime', () => {
  it('cuts oldest to newest at the fractions and returns the time boundaries', () => {
    const split = splitByEventTime(examplesAtHours(20, [1, 13, 17]), { train: 0.6, validation: 0.2, test: 0.2 });

    expect(hoursOf(split.train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(hoursOf(split.validation)).toEqual([12, 13, 14, 15]);
    expect(hoursOf(split.test)).toEqual([16, 17, 18, 19]);
    expect(split.boundaries).toEqual({ start: T0, validationStart: T0 + 12 * HOUR, testStart: T0 + 16 * HOUR, end: T0 + 19 * HOUR });
    expect(split.counts).toEqual({ train: { examples: 12, positives: 1 }, validation: { examples: 4, positives: 1 }, test: { examples: 4, positives: 1 } });
  });

  it('uses 70/15/15 by default', () => {
    const split = splitByEventTime(examplesAtHours(20, [0, 15, 19]));
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([14, 3, 3]);
  });

  it('puts every example sharing the event time at a cut into the later split, so splits never overlap in time', () => {
    // Hours 0..9 then four examples at hour 10 where the 60 % cut (index 12 of 20) falls.
    const examples = [...examplesAtHours(10, [1]), ...['a', 'b', 'c', 'd'].map((id) => ({ id: `tie-${id}`, eventTime: T0 + 10 * HOUR, label: id === 'a' ? 1 : 0 }))];
    const later = Array.from({ length: 6 }, (_, index) => ({ id: `late-${index}`, eventTime: T0 + (11 + index) * HOUR, label: index === 4 ? 1 : 0 }));
    const split = splitByEventTime([...later, ...examples], { train: 0.6, validation: 0.2, test: 0.2 });

    expect(hoursOf(split.train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(split.validation.map((example) => example.id)).toEqual(['tie-a', 'tie-b', 'tie-c', 'tie-d', 'late-0', 'late-1']);
    expect(split.boundaries.validationStart).toBe(T0 + 10 * HOUR);
    expect(Math.max(...split.train.map((example) => example.eventTime))).toBeLessThan(split.boundaries.validationStart);
  });

  it('refuses a split without a positive label, naming it and every count', () => {
    const attempt = (): unknown => splitByEventTime(examplesAtHours(20, [1, 13]), { train: 0.6, validation: 0.2, test: 0.2 });
    expect(attempt).toThrow(DatasetSplitError);
    expect(attempt).toThrow(
      'cannot split the dataset: the test split has no positive label among its 4 examples [train 12 (1 positive), validation 4 (1 positive), test 4 (0 positive)]; gather more labelled examples or change the split fractions',
    );
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ split: 'test', retriable: false, counts: { test: { examples: 4, positives: 0 } } });
    }
  });

  it('refuses a split that would be empty', () => {
    expect(() => splitByEventTime(examplesAtHours(4, [0, 3]), { train: 0.8, validation: 0.1, test: 0.1 })).toThrow(
      'cannot split the dataset: the test split would be empty [train 3 (1 positive), validation 1 (1 positive), test 0 (0 positive)]',
    );
  });

  it('refuses a split of fraud only', () => {
    expect(() => splitByEventTime(examplesAtHours(10, [0, 5, 6, 7, 8, 9]), { train: 0.5, validation: 0.3, test: 0.2 })).toThrow(
      'the validation split has no negative label among its 3 examples',
    );
  });

  it('lists every bad fraction at once', () => {
    const attempt = (): unknown => splitByEventTime(examplesAtHours(10, [1]), { train: 1.2, validation: 0, test: 0.1 });
    expect(attempt).toThrow(InvalidOptionsError);
    expect(attempt).toThrow(
      ['invalid split fractions (2 problems):', '  train=1.2: expected a number above 0 and below 1', '  validation=0: expected a number above 0 and below 1'].join('\n'),
    );
    expect(() => splitByEventTime(examplesAtHours(10, [1]), { train: 0.5, validation: 0.25, test: 0.125 })).toThrow(
      'train + validation + test=0.875: expected fractions that add up to 1',
    );
  });
});
