import { drawAmount } from './amounts.js';
import type { DeviceIssuer } from './devices.js';
import { CITIES, distanceKm, pointNear, type GeoPoint } from './geography.js';
import type { Whereabouts } from './legitimate-spending.js';
import { merchantCategory, type MerchantCategory } from './merchant-categories.js';
import type { Card, Merchant, Population } from './population.js';
import type { Random } from './prng.js';
import { draftPurchase, type TransactionDraft } from './transaction-draft.js';

export type FraudPatternName = 'card-testing' | 'account-takeover' | 'high-value-spree' | 'low-and-slow';

/** Everything a pattern needs to plan one episode against one card. */
export interface EpisodeSetting {
  readonly random: Random;
  readonly population: Population;
  readonly devices: DeviceIssuer;
  readonly card: Card;
  readonly holder: Readonly<Whereabouts>;
  /** When the fraudster strikes; the episode's first transaction is at or after it. */
  readonly startsAt: number;
  /** How many transactions the episode has, within the pattern's {@link FraudPattern.size}. */
  readonly size: number;
}

/** A recognisable way of defrauding one card, as a burst of transactions (an episode). */
export interface FraudPattern {
  readonly name: FraudPatternName;
  /** Fewest and most transactions in one episode; sizes are uniform in between. */
  readonly size: { readonly min: number; readonly max: number };
  /** Longest time from {@link EpisodeSetting.startsAt} to the episode's last transaction. */
  readonly maxSpanMs: number;
  /** The episode's transactions in event-time order. */
  plan(setting: EpisodeSetting): TransactionDraft[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** When each transaction happens: a first delay after the start, then gaps, each uniform in its range. */
interface Cadence {
  readonly firstDelayMs: readonly [min: number, max: number];
  readonly gapMs: readonly [min: number, max: number];
}

function times(random: Random, startsAt: number, size: number, cadence: Cadence): number[] {
  let time = startsAt + random.integerBetween(...cadence.firstDelayMs);
  const result = [time];
  while (result.length < size) result.push((time += random.integerBetween(...cadence.gapMs)));
  return result;
}

/** The size range of a pattern and the longest span its cadence allows at the largest size. */
function extent(cadence: Cadence, min: number, max: number): Pick<FraudPattern, 'size' | 'maxSpanMs'> {
  return { size: { min, max }, maxSpanMs: cadence.firstDelayMs[1] + (max - 1) * cadence.gapMs[1] };
}

/** `count` different merchants drawn from `candidates` (which must hold at least that many). */
function distinctMerchants(random: Random, candidates: readonly Merchant[], count: number): Merchant[] {
  const chosen = new Set<Merchant>();
  while (chosen.size < count) chosen.add(random.pick(candidates));
  return [...chosen];
}

/** Somewhere a fraudster operates from: near any city. */
const anywhere = (random: Random): GeoPoint => pointNear(random, random.pick(CITIES), 20);

const categories = (...names: string[]): readonly MerchantCategory[] => names.map(merchantCategory);

const CARD_TESTING_CADENCE: Cadence = { firstDelayMs: [0, MINUTE], gapMs: [5 * SECOND, MINUTE] };
const CARD_TESTING_CATEGORIES = categories('digital_goods', 'entertainment');

/**
 * Card testing: a bot checks that stolen card details work with several tiny online payments
 * (0.50–9.99) at as many different merchants within minutes, all from one new device.
 */
export const CARD_TESTING: FraudPattern = {
  name: 'card-testing',
  ...extent(CARD_TESTING_CADENCE, 6, 12),
  plan({ random, population, devices, card, startsAt, size }) {
    const device = devices.issue(random);
    const place = anywhere(random);
    const merchants = distinctMerchants(random, CARD_TESTING_CATEGORIES.flatMap((c) => population.onlineMerchants(c)), size);
    return times(random, startsAt, size, CARD_TESTING_CADENCE).map((time, i) =>
      draftPurchase({ card, merchant: merchants[i] as Merchant, amount: drawAmount(random, 1.5, 0.7, 0.5, 9.99), time, channel: 'ONLINE', device, place }),
    );
  },
};

/** How far from the holder an account takeover happens, at least. */
const TAKEOVER_MIN_DISTANCE_KM = 2000;
const TAKEOVER_RADIUS_KM = 15;
const TAKEOVER_CADENCE: Cadence = { firstDelayMs: [2 * MINUTE, 10 * MINUTE], gapMs: [MINUTE, 8 * MINUTE] };
const TAKEOVER_CATEGORIES = categories('electronics', 'travel', 'fashion', 'digital_goods');

/**
 * Account takeover: minutes after the holder's own purchase, someone on a new device at least
 * {@link TAKEOVER_MIN_DISTANCE_KM} away (an impossible speed) makes a few mid-to-high online purchases.
 */
export const ACCOUNT_TAKEOVER: FraudPattern = {
  name: 'account-takeover',
  ...extent(TAKEOVER_CADENCE, 3, 6),
  plan({ random, population, devices, card, holder, startsAt, size }) {
    const device = devices.issue(random);
    const farAway = CITIES.filter((city) => distanceKm(city, holder.position) >= TAKEOVER_MIN_DISTANCE_KM + TAKEOVER_RADIUS_KM);
    const place = pointNear(random, random.pick(farAway), TAKEOVER_RADIUS_KM);
    return times(random, startsAt, size, TAKEOVER_CADENCE).map((time) => {
      const merchant = random.pick(population.onlineMerchants(random.pick(TAKEOVER_CATEGORIES)));
      return draftPurchase({ card, merchant, amount: drawAmount(random, 250, 0.6, 20, 3000), time, channel: 'ONLINE', device, place });
    });
  },
};

const SPREE_CADENCE: Cadence = { firstDelayMs: [0, 5 * MINUTE], gapMs: [4 * MINUTE, 12 * MINUTE] };
const SPREE_CATEGORIES = categories('electronics', 'jewellery');

/**
 * High-value spree: several large purchases (500–8,000) in electronics and jewellery within an
 * hour, close to the holder so geography gives nothing away: half the time in person with a
 * cloned card in the holder's city, otherwise online from a new device behind a proxy where the
 * holder is.
 */
export const HIGH_VALUE_SPREE: FraudPattern = {
  name: 'high-value-spree',
  ...extent(SPREE_CADENCE, 3, 6),
  plan({ random, population, devices, card, holder, startsAt, size }) {
    const online = random.chance(0.5) ? { device: devices.issue(random), place: holder.position } : undefined;
    return times(random, startsAt, size, SPREE_CADENCE).map((time) => {
      const category = random.pick(SPREE_CATEGORIES);
      const amount = drawAmount(random, 1200, 0.5, 500, 8000);
      return online
        ? draftPurchase({ card, merchant: random.pick(population.onlineMerchants(category)), amount, time, channel: 'ONLINE', ...online })
        : draftPurchase({ card, merchant: random.pick(population.localMerchants(holder.city, category)), amount, time, channel: 'CARD_PRESENT' });
    });
  },
};

const LOW_AND_SLOW_CADENCE: Cadence = { firstDelayMs: [0, 10 * MINUTE], gapMs: [10 * MINUTE, 30 * MINUTE] };
const LOW_AND_SLOW_CATEGORIES = categories('grocery', 'health', 'restaurants', 'fashion');

/**
 * Low and slow (appears with drift): a hijacked session on the holder's own device, at home, buys
 * everyday goods for mid-size amounts (25–400) from merchants abroad, spaced 10–30 minutes apart.
 * Nothing a model learnt from the other three patterns looks for.
 */
export const LOW_AND_SLOW: FraudPattern = {
  name: 'low-and-slow',
  ...extent(LOW_AND_SLOW_CADENCE, 4, 8),
  plan({ random, population, card, holder, startsAt, size }) {
    const [device] = holder.devices;
    return times(random, startsAt, size, LOW_AND_SLOW_CADENCE).map((time) => {
      const abroad = population.onlineMerchants(random.pick(LOW_AND_SLOW_CATEGORIES)).filter((m) => m.city.country !== card.homeCity.country);
      return draftPurchase({ card, merchant: random.pick(abroad), amount: drawAmount(random, 90, 0.5, 25, 400), time, channel: 'ONLINE', device, place: holder.position });
    });
  },
};

/** Which patterns occur, by share of episodes. */
export type FraudMix = readonly (readonly [pattern: FraudPattern, share: number])[];

export const FRAUD_MIX_BEFORE_DRIFT: FraudMix = [
  [CARD_TESTING, 0.4],
  [ACCOUNT_TAKEOVER, 0.3],
  [HIGH_VALUE_SPREE, 0.3],
];

/** After drift, most fraud is {@link LOW_AND_SLOW}: new categories, mid-size amounts, slower timing. */
export const FRAUD_MIX_AFTER_DRIFT: FraudMix = [
  [LOW_AND_SLOW, 0.6],
  [CARD_TESTING, 0.2],
  [ACCOUNT_TAKEOVER, 0.1],
  [HIGH_VALUE_SPREE, 0.1],
];

/** Mean transactions per episode under `mix`. */
export function meanEpisodeSize(mix: FraudMix): number {
  return mix.reduce((sum, [pattern, share]) => sum + share * ((pattern.size.min + pattern.size.max) / 2), 0);
}
