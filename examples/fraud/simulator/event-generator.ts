import { sampleArrivalDelay } from './arrival-delay.js';
import { ArrivalClock } from './daily-rhythm.js';
import { DeviceIssuer } from './devices.js';
import { FraudInjector } from './fraud-injector.js';
import { scheduleLabel } from './label-scheduler.js';
import { LegitimateSpending } from './legitimate-spending.js';
import { createPopulation } from './population.js';
import { Random } from './prng.js';
import { PriorityQueue } from './priority-queue.js';
import type { SimulatedEvent, Transaction } from './simulated-event.js';
import { compileSimulatorOptions, type CompiledSimulatorOptions, type SimulatorOptions } from './simulator-options.js';
import type { TransactionDraft } from './transaction-draft.js';

/**
 * The simulated stream of card transactions and their labels, in emission order: transactions
 * emitted up to `outOfOrderMs` after their event time (a few later still, see `lateShare`), and
 * each label at its `label_time`, after its transaction. Pure and deterministic: no clock, no I/O,
 * no `Math.random`; the same options give the same events.
 *
 * Ends after `count` transactions and their pending labels; never ends without `count`.
 * @throws SimulatorOptionsError at once (not on the first `next()`) when the options are invalid.
 */
export function simulateEvents(input: SimulatorOptions): IterableIterator<SimulatedEvent> {
  return eventStream(compileSimulatorOptions(input));
}

interface PendingEvent {
  readonly emitAt: number;
  readonly event: SimulatedEvent;
}

/** A UUID (version 4 layout) drawn from `random`, so ids repeat with the seed. */
function transactionId(random: Random): string {
  const hex = random.hex(32);
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function* eventStream(options: CompiledSimulatorOptions): Generator<SimulatedEvent, void, undefined> {
  const devices = new DeviceIssuer();
  // The population has its own stream, so it stays the same whatever the event options are.
  const population = createPopulation(Random.forStream(options.seed, 'population'), options, devices);
  const random = Random.forStream(options.seed, 'events');
  const arrivals = new ArrivalClock(options.startTime, options.rate);
  const spending = new LegitimateSpending(population, devices);
  const fraud = new FraudInjector(population, devices, options.fraudRate);
  const pending = new PriorityQueue<PendingEvent>((p) => p.emitAt);

  let nextPurchaseAt = arrivals.next(random);
  /** The next transaction in event-time order: a scheduled fraudulent one if due first, else a purchase. */
  const nextTransaction = (generated: number): { draft: TransactionDraft; isFraud: boolean } => {
    const fraudDueAt = fraud.nextDueAt();
    const fraudulent = fraudDueAt !== undefined && fraudDueAt <= nextPurchaseAt ? fraud.takeNext() : undefined;
    if (fraudulent) return { draft: fraudulent, isFraud: true };
    const { card, draft } = spending.purchase(random, nextPurchaseAt);
    const drifted = options.driftAfter !== undefined && generated >= options.driftAfter;
    fraud.afterPurchase(random, card, spending.whereaboutsOf(card), nextPurchaseAt, drifted);
    nextPurchaseAt = arrivals.next(random);
    return { draft, isFraud: false };
  };

  for (let generated = 0; options.count === undefined || generated < options.count; generated++) {
    const { draft, isFraud } = nextTransaction(generated);
    const transaction: Transaction = { transaction_id: transactionId(random), ...draft };
    const emittedAt = transaction.event_time + sampleArrivalDelay(random, options);
    pending.push({ emitAt: emittedAt, event: { topic: 'transactions', key: transaction.card_number, value: transaction } });
    const label = scheduleLabel(random, options, { transactionId: transaction.transaction_id, eventTime: transaction.event_time, isFraud, emittedAt });
    if (label) pending.push({ emitAt: label.label_time, event: { topic: 'labels', key: label.transaction_id, value: label } });

    // Whatever comes later is emitted at or after this event time, so everything due by then can go.
    while ((pending.peekPriority() ?? Number.POSITIVE_INFINITY) <= transaction.event_time) {
      const due = pending.pop();
      if (due) yield due.event;
    }
  }
  for (let due = pending.pop(); due; due = pending.pop()) yield due.event;
}
