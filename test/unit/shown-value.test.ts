import { describe, expect, it } from 'vitest';
import { shownValue } from '../../src/errors/shown-value.js';

describe('shownValue', () => {
  it('shows a value as a person would type it, and an absent one with the word the caller gives', () => {
    expect([NaN, Infinity, -0.5, 12n, null, 'text', { a: [1, 'b'] }, true].map((value) => shownValue(value, 'missing'))).toEqual([
      'NaN',
      'Infinity',
      '-0.5',
      '12',
      'null',
      '"text"',
      '{"a":[1,"b"]}',
      'true',
    ]);
    expect(shownValue(undefined, 'missing')).toBe('missing');
    expect(shownValue(undefined, '(missing)')).toBe('(missing)');
  });

  it('never throws: a BigInt inside or a cycle is shown as String() shows it', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(shownValue({ big: 1n }, 'missing')).toBe('[object Object]');
    expect(shownValue(cycle, 'missing')).toBe('[object Object]');
    expect(shownValue(() => 1, 'missing')).toBe('() => 1');
  });
});
