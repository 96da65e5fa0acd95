import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decidingVariant, entityBucket } from '../../src/serving/variant-router.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';

/** 20,000 keys shaped like card hashes (hex HMAC-SHA256), from a seeded source so a failure reproduces. */
const random = createSeededRandom(42);
const keys = Array.from({ length: 20_000 }, () => createHash('sha256').update(String(random())).digest('hex'));

const challengerShareOf = (share: number): number => keys.filter((key) => decidingVariant(key, 'SPLIT', share) === 'challenger').length / keys.length;

describe('entityBucket', () => {
  it('is pinned: changing the hash would move cards between variants mid-rollout (values from an independent Python implementation)', () => {
    expect(entityBucket('')).toBe(0.6689221884589642);
    expect(entityBucket('card-1')).toBe(0.37532693427056074);
    expect(entityBucket('4f2a9c0e7b1d')).toBe(0.13287447509355843);
    expect(entityBucket('ü€')).toBe(0.2545593767426908);
  });

  it('lies in [0, 1) and spreads keys that differ only in their last character', () => {
    const buckets = keys.map(entityBucket);
    expect(buckets.every((bucket) => bucket >= 0 && bucket < 1)).toBe(true);
    const neighbours = Array.from({ length: 10 }, (_, digit) => entityBucket(`card-12${digit}`));
    const tenths = new Set(neighbours.map((bucket) => Math.floor(bucket * 10)));
    expect(tenths.size).toBeGreaterThanOrEqual(5);
  });
});

describe('decidingVariant', () => {
  it.each([0.1, 0.25, 0.5, 0.9])('sends %f of 20,000 keys to the challenger in SPLIT, within ±2 %%', (share) => {
    expect(Math.abs(challengerShareOf(share) - share)).toBeLessThanOrEqual(0.02);
  });

  it('gives each key the same variant on every call while the share is unchanged', () => {
    const first = keys.map((key) => decidingVariant(key, 'SPLIT', 0.5));
    const second = keys.map((key) => decidingVariant(key, 'SPLIT', 0.5));
    expect(second).toEqual(first);
    expect(first).toContain('champion');
    expect(first).toContain('challenger');
  });

  it('only moves keys from the champion to the challenger as the share rises, never back', () => {
    const shares = [0, 0.1, 0.25, 0.5, 0.75, 1];
    for (let step = 1; step < shares.length; step += 1) {
      const before = shares[step - 1]!;
      const after = shares[step]!;
      const movedBack = keys.filter((key) => decidingVariant(key, 'SPLIT', before) === 'challenger' && decidingVariant(key, 'SPLIT', after) === 'champion');
      expect(movedBack).toEqual([]);
    }
    expect(challengerShareOf(0)).toBe(0);
    expect(challengerShareOf(1)).toBe(1);
  });

  it('lets the champion decide every key in NONE and SHADOW, whatever the share', () => {
    for (const mode of ['NONE', 'SHADOW'] as const) {
      expect(keys.slice(0, 1000).every((key) => decidingVariant(key, mode, 1) === 'champion')).toBe(true);
    }
  });
});
