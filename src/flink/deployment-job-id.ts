/**
 * The Flink job id of a deployment's submission, derived from the deployment run and the
 * submission's number. Pure and deterministic, so workflow code computes it, replay computes
 * the same, and a submit retried after a worker crash looks for the job under the id the first
 * attempt used instead of starting a second job.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a of the UTF-16 code units of `text`, started from `seed`. */
function fnv1a64(text: string, seed: bigint): bigint {
  let hash = seed;
  for (let index = 0; index < text.length; index++) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash;
}

/**
 * 32 hex characters (Flink's job id format) for the `submission`th job a deployment run
 * submits: 1 is the new version, 2 the rollback. Two halves hashed with different seeds, so
 * the id is as wide as Flink's.
 */
export function deploymentJobId(runId: string, submission: number): string {
  const key = `${runId}#${submission}`;
  const high = fnv1a64(key, FNV_OFFSET);
  const low = fnv1a64(`${key}#low`, high);
  return high.toString(16).padStart(16, '0') + low.toString(16).padStart(16, '0');
}
