import { createHash } from 'node:crypto';

/** Lowercase hex sha256 of some bytes: how the registry identifies an artifact. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
