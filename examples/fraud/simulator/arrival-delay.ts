import type { Random } from './prng.js';
import type { CompiledSimulatorOptions } from './simulator-options.js';

export type DisorderPolicy = Pick<CompiledSimulatorOptions, 'outOfOrderMs' | 'outOfOrderShare' | 'lateShare' | 'lateByMs'>;

/**
 * How long after its event time a transaction is emitted: 0 for most; up to `outOfOrderMs` for an
 * `outOfOrderShare` of them (disorder a watermark of `outOfOrderMs` absorbs); and `outOfOrderMs`
 * plus `lateByMs` for a `lateShare` of them (late: behind such a watermark when they arrive).
 */
export function sampleArrivalDelay(random: Random, policy: DisorderPolicy): number {
  const draw = random.next();
  if (draw < policy.lateShare) return policy.outOfOrderMs + random.integerBetween(policy.lateByMs.min, policy.lateByMs.max);
  if (draw < policy.lateShare + policy.outOfOrderShare && policy.outOfOrderMs > 0) return random.integerBetween(1, policy.outOfOrderMs);
  return 0;
}
