/**
 * Which variant decides a record: a stable hash of its entity key (the field the pipeline names as
 * `features.entityKey`: a customer, a machine, the card hash in examples/fraud) puts every key in a
 * fixed bucket in [0, 1), and SPLIT sends the keys whose bucket is below the challenger's share to the challenger.
 * One entity therefore always sees one variant while the share stands, and raising the share only
 * moves entities from the champion to the challenger, never back.
 */
import type { ChallengerMode } from './model-deployment.js';

export type Variant = 'champion' | 'challenger';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_TO_THE_32 = 2 ** 32;

/**
 * Stable bucket in [0, 1) of an entity key: same key → same bucket, on every machine
 * and release. The hash is 32-bit FNV-1a over the key's UTF-8 bytes followed by MurmurHash3's
 * fmix32 finaliser (FNV alone mixes the last bytes of a key poorly into the high bits, and keys
 * that differ only in their last character would land in neighbouring buckets). Both are fixed,
 * public algorithms, so any language can reproduce the assignment; changing this function
 * reassigns entities mid-rollout, so the unit test pins known values.
 */
export function entityBucket(entityKey: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(entityKey, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / TWO_TO_THE_32;
}

/** SPLIT: challenger when bucket < share. NONE/SHADOW: champion decides. */
export function decidingVariant(entityKey: string, mode: ChallengerMode, challengerShare: number): Variant {
  if (mode !== 'SPLIT') return 'champion';
  return entityBucket(entityKey) < challengerShare ? 'challenger' : 'champion';
}
