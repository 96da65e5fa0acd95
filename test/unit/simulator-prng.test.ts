import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, passesLuhn } from '../../examples/fraud/simulator/luhn.js';
import { Random } from '../../examples/fraud/simulator/prng.js';
import { PriorityQueue } from '../../examples/fraud/simulator/priority-queue.js';
import { WeightedTable } from '../../examples/fraud/simulator/weighted-table.js';

const draws = (random: Random, n: number, draw: (r: Random) => number): number[] => Array.from({ length: n }, () => draw(random));
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('Random', () => {
  it('repeats its sequence for the same seed and stream, and differs across seeds and streams', () => {
    const sequence = (seed: number, stream: string) => draws(Random.forStream(seed, stream), 100, (r) => r.uint32());
    expect(sequence(1, 'events')).toEqual(sequence(1, 'events'));
    expect(sequence(1, 'events')).not.toEqual(sequence(2, 'events'));
    expect(sequence(1, 'events')).not.toEqual(sequence(1, 'population'));
  });

  it('draws uniform numbers in [0, 1) and whole numbers in [min, max], both ends reached', () => {
    const random = Random.forStream(9, 'test');
    const uniform = draws(random, 100_000, (r) => r.next());
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    // The mean of n uniforms has standard deviation √(1/12n) ≈ 0.0009 for n = 100,000.
    expect(Math.abs(mean(uniform) - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / 100_000));
    const dice = draws(random, 10_000, (r) => r.integerBetween(1, 6));
    expect(new Set(dice)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });

  it('draws log-normal values around their median and exponential values around their mean', () => {
    const random = Random.forStream(9, 'test');
    const logs = draws(random, 40_000, (r) => Math.log(r.logNormal(50, 0.5)));
    expect(Math.abs(mean(logs) - Math.log(50))).toBeLessThan((4 * 0.5) / Math.sqrt(40_000));
    const waits = draws(random, 40_000, (r) => r.exponential(200));
    expect(Math.abs(mean(waits) - 200)).toBeLessThan((4 * 200) / Math.sqrt(40_000));
  });

  it('writes hexadecimal strings of the requested length', () => {
    expect(Random.forStream(1, 'x').hex(12)).toMatch(/^[0-9a-f]{12}$/);
    expect(Random.forStream(1, 'x').hex(32)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('Luhn', () => {
  it('computes check digits of known card numbers', () => {
    expect(luhnCheckDigit('411111111111111')).toBe(1); // 4111 1111 1111 1111, the classic test Visa
    expect(luhnCheckDigit('555555555555444')).toBe(4); // 5555 5555 5555 4444, a test Mastercard
    expect(luhnCheckDigit('7992739871')).toBe(3); // the worked example on Wikipedia
  });

  it('accepts valid numbers and rejects a changed digit or non-digits', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('4111 1111 1111 1111')).toBe(false);
  });
});

describe('WeightedTable', () => {
  it('picks in proportion to weight and never picks a zero weight', () => {
    const table = new WeightedTable([['a', 1], ['never', 0], ['b', 3]] as const);
    const random = Random.forStream(3, 'test');
    const picks = Array.from({ length: 40_000 }, () => table.pick(random));
    expect(picks).not.toContain('never');
    const shareOfB = picks.filter((p) => p === 'b').length / picks.length;
    expect(Math.abs(shareOfB - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / 40_000));
  });

  it('refuses a table without a positive weight', () => {
    expect(() => new WeightedTable([['a', 0]])).toThrow('a weighted table needs at least one positive weight');
  });
});

describe('PriorityQueue', () => {
  it('pops the lowest priority first and equal priorities in insertion order', () => {
    const queue = new PriorityQueue<{ at: number; name: string }>((item) => item.at);
    for (const [at, name] of [[5, 'e'], [1, 'a1'], [3, 'c'], [1, 'a2'], [4, 'd'], [1, 'a3']] as const) queue.push({ at, name });
    expect(queue.peekPriority()).toBe(1);
    const names: string[] = [];
    for (let item = queue.pop(); item; item = queue.pop()) names.push(item.name);
    expect(names).toEqual(['a1', 'a2', 'a3', 'c', 'd', 'e']);
    expect(queue.size).toBe(0);
    expect(queue.peekPriority()).toBeUndefined();
  });
});
