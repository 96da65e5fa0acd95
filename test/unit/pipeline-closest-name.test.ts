import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, editDistance } from '../../src/pipelines/closest-name.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['amount', 'amount', 0],
    ['amout', 'amount', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['flaw', 'lawn', 2],
  ])('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestName', () => {
  const fields = ['amount', 'amount_sum_1h', 'card_hash', 'event_time'];

  it('suggests the nearest name within a third of its length', () => {
    expect(closestName('amout', fields)).toBe('amount');
    expect(closestName('evnt_tme', fields)).toBe('event_time');
  });

  it('ignores case', () => {
    expect(closestName('Card_Hash', fields)).toBe('card_hash');
  });

  it('suggests nothing for a name that is not near any (an edit for every three characters at most)', () => {
    // "amnt" is 2 edits from "amount", whose 6 letters allow 2; "merchant" and "at" are further from every field.
    expect(closestName('merchant', fields)).toBeUndefined();
    expect(closestName('amnt', fields)).toBe('amount');
    expect(closestName('at', fields)).toBeUndefined();
  });

  it('never suggests the name itself, and prefers the first of equally near names', () => {
    expect(closestName('amount', ['amount'])).toBeUndefined();
    expect(closestName('cat', ['bat', 'hat'])).toBe('bat');
  });

  it('phrases the suggestion, or nothing', () => {
    expect(didYouMean('amout', fields)).toBe(' (did you mean "amount"?)');
    expect(didYouMean('merchant', fields)).toBe('');
  });
});
