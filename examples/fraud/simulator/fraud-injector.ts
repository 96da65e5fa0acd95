import type { DeviceIssuer } from './devices.js';
import { FRAUD_MIX_AFTER_DRIFT, FRAUD_MIX_BEFORE_DRIFT, meanEpisodeSize, type FraudMix, type FraudPattern } from './fraud-patterns.js';
import type { Whereabouts } from './legitimate-spending.js';
import type { Card, Population } from './population.js';
import type { Random } from './prng.js';
import { PriorityQueue } from './priority-queue.js';
import type { TransactionDraft } from './transaction-draft.js';
import { WeightedTable } from './weighted-table.js';

/** A card defrauded once is left alone for this long after the episode's last transaction. */
export const VICTIM_COOLDOWN_MS = 24 * 3_600_000;

interface MixPlan {
  readonly patterns: WeightedTable<FraudPattern>;
  /** Chance that one legitimate purchase is followed by the start of an episode. */
  readonly startProbability: number;
}

function mixPlan(mix: FraudMix, fraudRate: number): MixPlan {
  // Episodes start after legitimate purchases. With L purchases, F = L·p·(mean size) fraudulent
  // transactions follow; F / (L + F) = fraudRate gives p = fraudRate / (1 − fraudRate) / mean size.
  return {
    patterns: new WeightedTable(mix),
    startProbability: fraudRate / (1 - fraudRate) / meanEpisodeSize(mix),
  };
}

/** Starts fraud episodes against cards at the configured rate and hands out their transactions in event-time order. */
export class FraudInjector {
  private readonly scheduled = new PriorityQueue<TransactionDraft>((draft) => draft.event_time);
  private readonly spareUntil = new Map<number, number>();
  private readonly beforeDrift: MixPlan;
  private readonly afterDrift: MixPlan;
  /** Episodes decided on but not yet started because the card at hand was being spared. */
  private owedEpisodes = 0;

  constructor(
    private readonly population: Population,
    private readonly devices: DeviceIssuer,
    fraudRate: number,
  ) {
    this.beforeDrift = mixPlan(FRAUD_MIX_BEFORE_DRIFT, fraudRate);
    this.afterDrift = mixPlan(FRAUD_MIX_AFTER_DRIFT, fraudRate);
  }

  /**
   * Called after each legitimate purchase: may start an episode against the card that just paid
   * (fraudsters strike active cards), following the drifted pattern mix once `drifted`.
   */
  afterPurchase(random: Random, card: Card, holder: Readonly<Whereabouts>, time: number, drifted: boolean): void {
    const plan = drifted ? this.afterDrift : this.beforeDrift;
    if (random.chance(plan.startProbability)) this.owedEpisodes++;
    if (this.owedEpisodes === 0 || (this.spareUntil.get(card.index) ?? time) > time) return;
    this.owedEpisodes--;
    const pattern = plan.patterns.pick(random);
    const size = random.integerBetween(pattern.size.min, pattern.size.max);
    const drafts = pattern.plan({ random, population: this.population, devices: this.devices, card, holder, startsAt: time, size });
    for (const draft of drafts) this.scheduled.push(draft);
    this.spareUntil.set(card.index, (drafts.at(-1)?.event_time ?? time) + VICTIM_COOLDOWN_MS);
  }

  /** Event time of the next fraudulent transaction, or undefined when none is scheduled. */
  nextDueAt(): number | undefined {
    return this.scheduled.peekPriority();
  }

  /** Removes and returns the next fraudulent transaction. */
  takeNext(): TransactionDraft | undefined {
    return this.scheduled.pop();
  }
}
