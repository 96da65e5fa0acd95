import type { Random } from './prng.js';
import type { Label } from './simulated-event.js';
import type { CompiledSimulatorOptions, LogNormalDelay } from './simulator-options.js';

export type LabelPolicy = Pick<CompiledSimulatorOptions, 'labelShare' | 'chargebackDelay' | 'legitimateLabelDelay' | 'labelDelayScale'>;

/** What is known about the transaction being labelled. */
export interface LabelledTransaction {
  readonly transactionId: string;
  readonly eventTime: number;
  readonly isFraud: boolean;
  /** When the transaction reached the stream; a label is never known before that. */
  readonly emittedAt: number;
}

function delayMs(random: Random, delay: LogNormalDelay, scale: number): number {
  return Math.round(random.logNormal(delay.medianMs * scale, delay.sigma));
}

/**
 * The label a transaction will get, if any: every fraudulent one a CHARGEBACK, a `labelShare` of
 * legitimate ones a CONFIRMED_LEGITIMATE, each after a log-normal delay. The label time is at least
 * the transaction's emission time, so a label never overtakes its transaction.
 */
export function scheduleLabel(random: Random, policy: LabelPolicy, transaction: LabelledTransaction): Label | undefined {
  if (!transaction.isFraud && !random.chance(policy.labelShare)) return undefined;
  const delay = delayMs(random, transaction.isFraud ? policy.chargebackDelay : policy.legitimateLabelDelay, policy.labelDelayScale);
  return {
    transaction_id: transaction.transactionId,
    is_fraud: transaction.isFraud,
    source: transaction.isFraud ? 'CHARGEBACK' : 'CONFIRMED_LEGITIMATE',
    label_time: Math.max(transaction.eventTime + delay, transaction.emittedAt),
  };
}
