/**
 * A small seeded pseudo-random generator, so that batch order and synthetic data repeat exactly
 * for a given seed (Math.random cannot be seeded).
 */

/** Returns uniform numbers in [0, 1) from a 32-bit seed (mulberry32: fast, and plenty for shuffling). */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Mixes a seed with integers (an epoch, a batch index) into a new non-zero 32-bit seed, so each
 * epoch or batch gets its own stream that depends on nothing but the seed and its position.
 * Non-zero because TensorFlow.js treats a seed of 0 as "unseeded".
 */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let hash = seed >>> 0;
  for (const part of parts) hash = Math.imul(hash ^ (part >>> 0), 0x9e3779b1) ^ (hash >>> 16);
  hash = Math.imul(hash ^ (hash >>> 15), 0x85ebca6b);
  return ((hash ^ (hash >>> 13)) >>> 0) || 1;
}

/** A uniformly random permutation of 0..count-1 (Fisher-Yates). */
export function shuffledIndices(count: number, random: () => number): Int32Array {
  const indices = Int32Array.from({ length: count }, (_, index) => index);
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const held = indices[index]!;
    indices[index] = indices[other]!;
    indices[other] = held;
  }
  return indices;
}
