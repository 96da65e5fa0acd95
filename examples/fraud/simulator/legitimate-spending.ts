import { drawAmount } from './amounts.js';
import type { DeviceIssuer } from './devices.js';
import { CITIES, distanceKm, type City, type GeoPoint } from './geography.js';
import type { MerchantCategory } from './merchant-categories.js';
import type { Card, Merchant, Population } from './population.js';
import type { Random } from './prng.js';
import { draftPurchase, type TransactionDraft } from './transaction-draft.js';

/** Where a card holder is and what they use; changes as they shop and travel. */
export interface Whereabouts {
  /** The city they shop in person in: home, or a trip's destination. */
  city: City;
  /** Where they last were: home, or the last merchant they paid in person. */
  position: GeoPoint;
  /** Event time of their last legitimate purchase; undefined before the first. */
  lastSeenAt: number | undefined;
  /** Devices they have used or own; the first is the one they use most. */
  readonly devices: [string, ...string[]];
}

/**
 * The fastest a holder moves between two in-person purchases (an airliner, door to door). Legitimate
 * purchases never imply more, so "impossible travel" is a fraud signal, not noise.
 */
export const MAX_HOLDER_SPEED_KMH = 800;

const MIN_AMOUNT = 0.5;
/** A trip ends with this probability at each purchase away from home. */
const TRIP_END_PROBABILITY = 0.1;
/** Share of online purchases made on a device the holder never used before (a new phone). */
const NEW_DEVICE_PROBABILITY = 0.002;
const PRIMARY_DEVICE_PROBABILITY = 0.7;
/** Share of online purchases at merchants in the holder's home country, when it has any. */
const DOMESTIC_ONLINE_PROBABILITY = 0.85;

/** The purchases card holders make themselves: who buys what, where, how and for how much. */
export class LegitimateSpending {
  private readonly whereabouts: Whereabouts[];

  constructor(
    private readonly population: Population,
    private readonly devices: DeviceIssuer,
  ) {
    this.whereabouts = population.cards.map((card) => ({ city: card.homeCity, position: card.home, lastSeenAt: undefined, devices: [...card.devices] }));
  }

  whereaboutsOf(card: Card): Readonly<Whereabouts> {
    return this.holder(card);
  }

  /**
   * A purchase at `time` by a holder chosen in proportion to how often they shop. In person when
   * the category and holder favour it and the holder can have got to the merchant since their last
   * purchase; online otherwise.
   */
  purchase(random: Random, time: number): { readonly card: Card; readonly draft: TransactionDraft } {
    const card = this.population.pickActiveCard(random);
    const holder = this.holder(card);
    this.travel(random, card, holder);
    const category = card.categories.pick(random);
    const amount = drawAmount(random, category.medianAmount * card.spendScale, category.amountSigma, MIN_AMOUNT);
    const inPerson = !random.chance(Math.min(1, category.onlineShare * card.onlineAffinity));
    const merchant = inPerson ? random.pick(this.population.localMerchants(holder.city, category)) : undefined;

    let draft: TransactionDraft;
    if (merchant && canReach(holder, merchant.location, time)) {
      draft = draftPurchase({ card, merchant, amount, time, channel: 'CARD_PRESENT' });
      holder.position = merchant.location;
    } else {
      const device = this.onlineDevice(random, holder);
      draft = draftPurchase({ card, merchant: this.onlineMerchant(random, card, category), amount, time, channel: 'ONLINE', device, place: holder.position });
    }
    holder.lastSeenAt = time;
    return { card, draft };
  }

  private holder(card: Card): Whereabouts {
    const holder = this.whereabouts[card.index];
    if (!holder) throw new RangeError(`card ${card.index} is not in this population`);
    return holder;
  }

  /** Trips start and end at purchases; the holder's position follows once they pay in person there. */
  private travel(random: Random, card: Card, holder: Whereabouts): void {
    if (holder.city !== card.homeCity) {
      if (random.chance(TRIP_END_PROBABILITY)) holder.city = card.homeCity;
    } else if (random.chance(card.travelPropensity)) {
      holder.city = random.pick(CITIES.filter((city) => city !== card.homeCity));
    }
  }

  private onlineDevice(random: Random, holder: Whereabouts): string {
    if (random.chance(NEW_DEVICE_PROBABILITY)) {
      const device = this.devices.issue(random);
      holder.devices.push(device);
      return device;
    }
    return random.chance(PRIMARY_DEVICE_PROBABILITY) ? holder.devices[0] : random.pick(holder.devices);
  }

  private onlineMerchant(random: Random, card: Card, category: MerchantCategory): Merchant {
    const domestic = this.population.onlineMerchants(category, card.homeCity.country);
    return random.pick(domestic.length > 0 && random.chance(DOMESTIC_ONLINE_PROBABILITY) ? domestic : this.population.onlineMerchants(category));
  }
}

function canReach(holder: Whereabouts, destination: GeoPoint, time: number): boolean {
  if (holder.lastSeenAt === undefined) return true;
  const hours = (time - holder.lastSeenAt) / 3_600_000;
  return distanceKm(holder.position, destination) <= MAX_HOLDER_SPEED_KMH * hours;
}
