/**
 * The hash of hashed categories, `fnv1a-32` in a spec: 32-bit FNV-1a (offset basis 2166136261,
 * prime 16777619) over the UTF-8 bytes of the value's text, as an unsigned integer; the bucket is
 * that integer modulo the bucket count. A string or enum symbol is hashed as it is, an integer as
 * its decimal digits (with `-` when negative), and null as the single byte 0xFF, which no UTF-8
 * text contains, so null shares a bucket with no value by construction.
 *
 * FNV-1a because it is a few lines in any language (a Python trainer reproduces it without a
 * library) and stable across runtimes, unlike a language's built-in string hash.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const NULL_BYTES = Uint8Array.of(0xff);
const utf8 = new TextEncoder();

/** 32-bit FNV-1a of `bytes`, unsigned. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    // Math.imul keeps the product to 32 bits, as the C definition's uint32 overflow does.
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The bucket, 0 to `buckets` − 1, of a category value (a string, a safe integer, or null). */
export function hashBucket(value: string | number | null, buckets: number): number {
  const bytes = value === null ? NULL_BYTES : utf8.encode(typeof value === 'string' ? value : String(value));
  return fnv1a32(bytes) % buckets;
}
