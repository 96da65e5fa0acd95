import type { DeviceIssuer } from './devices.js';
import { CITIES, pointNear, type City, type GeoPoint } from './geography.js';
import { luhnCheckDigit } from './luhn.js';
import { MERCHANT_CATEGORIES, type MerchantCategory } from './merchant-categories.js';
import type { Random } from './prng.js';
import { WeightedTable } from './weighted-table.js';

/** A card and its holder's habits, fixed for the whole run. */
export interface Card {
  /** Position in {@link Population.cards}. */
  readonly index: number;
  /** 16 digits with a valid Luhn check digit, Visa-like (4…) or Mastercard-like (51…–55…). */
  readonly number: string;
  readonly email: string;
  readonly homeCity: City;
  readonly home: GeoPoint;
  /** The holder's devices when the run starts; the first is the one used most. */
  readonly devices: readonly [string, ...string[]];
  /** Multiplies every category's median amount: some holders spend more than others. */
  readonly spendScale: number;
  /** Multiplies every category's online share. */
  readonly onlineAffinity: number;
  /** Probability that a purchase at home comes with a trip to another city. */
  readonly travelPropensity: number;
  /** Which categories this holder buys in, and how often. */
  readonly categories: WeightedTable<MerchantCategory>;
}

export interface Merchant {
  /** `m-` and a six-digit number. */
  readonly id: string;
  readonly category: MerchantCategory;
  readonly city: City;
  readonly location: GeoPoint;
}

export interface PopulationSize {
  readonly cardCount: number;
  /** At least {@link MIN_MERCHANT_COUNT}, so every city has a merchant of every category. */
  readonly merchantCount: number;
}

/** One merchant per city and category, so a holder can buy anything in person wherever they are. */
export const MIN_MERCHANT_COUNT = CITIES.length * MERCHANT_CATEGORIES.length;

const CARD_HOME_RADIUS_KM = 10;
const MERCHANT_RADIUS_KM = 8;
const FIRST_NAMES = ['alex', 'maria', 'james', 'sofia', 'liam', 'emma', 'noah', 'olivia', 'lucas', 'mia', 'ethan', 'chloe', 'leo', 'ava', 'omar', 'hana', 'ivan', 'zoe', 'raj', 'nina'];
const LAST_NAMES = ['smith', 'garcia', 'muller', 'rossi', 'dubois', 'jones', 'brown', 'kim', 'singh', 'lopez', 'martin', 'silva', 'novak', 'walsh', 'chen', 'evans', 'costa', 'fischer', 'moreau', 'taylor'];
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example', 'inbox.example'];
const CITY_BY_WEIGHT = new WeightedTable(CITIES.map((city) => [city, city.weight] as const));

/** Cards and merchants, with the lookups the event generator needs. */
export class Population {
  private readonly byActivity: WeightedTable<Card>;
  private readonly local = new Map<string, Merchant[]>();
  private readonly online = new Map<string, Merchant[]>();

  constructor(
    readonly cards: readonly Card[],
    readonly merchants: readonly Merchant[],
    activity: readonly number[],
  ) {
    this.byActivity = new WeightedTable(cards.map((card, i) => [card, activity[i] ?? 0] as const));
    for (const merchant of merchants) {
      append(this.local, localKey(merchant.city, merchant.category), merchant);
      append(this.online, merchant.category.name, merchant);
      append(this.online, onlineKey(merchant.category, merchant.city.country), merchant);
    }
  }

  /** A card in proportion to how often its holder shops. */
  pickActiveCard(random: Random): Card {
    return this.byActivity.pick(random);
  }

  /** Merchants of `category` in `city`; never empty (see {@link MIN_MERCHANT_COUNT}). */
  localMerchants(city: City, category: MerchantCategory): readonly Merchant[] {
    return this.local.get(localKey(city, category)) ?? [];
  }

  /** Merchants of `category` anywhere, or in `country` when given (empty if it has none). */
  onlineMerchants(category: MerchantCategory, country?: string): readonly Merchant[] {
    return this.online.get(country === undefined ? category.name : onlineKey(category, country)) ?? [];
  }
}

const localKey = (city: City, category: MerchantCategory): string => `${city.name}|${category.name}`;
const onlineKey = (category: MerchantCategory, country: string): string => `${category.name}|${country}`;

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function cardNumber(random: Random): string {
  let digits = random.chance(0.6) ? '4' : `5${random.integerBetween(1, 5)}`;
  while (digits.length < 15) digits += String(random.integerBetween(0, 9));
  return `${digits}${luhnCheckDigit(digits)}`;
}

function email(random: Random): string {
  const suffix = random.chance(0.5) ? String(random.integerBetween(1, 99)) : '';
  return `${random.pick(FIRST_NAMES)}.${random.pick(LAST_NAMES)}${suffix}@${random.pick(EMAIL_DOMAINS)}`;
}

function createCard(random: Random, index: number, number: string, devices: DeviceIssuer): Card {
  const homeCity = CITY_BY_WEIGHT.pick(random);
  return {
    index,
    number,
    email: email(random),
    homeCity,
    home: pointNear(random, homeCity, CARD_HOME_RADIUS_KM),
    devices: [devices.issue(random), ...Array.from({ length: random.integerBetween(0, 2) }, () => devices.issue(random))],
    spendScale: random.logNormal(1, 0.4),
    onlineAffinity: random.logNormal(1, 0.3),
    travelPropensity: random.between(0, 0.01),
    categories: new WeightedTable(MERCHANT_CATEGORIES.map((category) => [category, category.popularity * random.logNormal(1, 0.6)] as const)),
  };
}

/** Builds the cards and merchants of one run from `random` (use a stream of its own). */
export function createPopulation(random: Random, size: PopulationSize, devices: DeviceIssuer): Population {
  const numbers = new Set<string>();
  const cards: Card[] = [];
  const activity: number[] = [];
  while (cards.length < size.cardCount) {
    const number = cardNumber(random);
    if (numbers.has(number)) continue;
    numbers.add(number);
    cards.push(createCard(random, cards.length, number, devices));
    activity.push(random.logNormal(1, 0.7));
  }

  const categoryByPopularity = new WeightedTable(MERCHANT_CATEGORIES.map((category) => [category, category.popularity] as const));
  const merchants = Array.from({ length: size.merchantCount }, (_, i): Merchant => {
    // The first merchants cover every city and category once; the rest follow population and popularity.
    const covering = i < MIN_MERCHANT_COUNT;
    const city = covering ? (CITIES[i % CITIES.length] as City) : CITY_BY_WEIGHT.pick(random);
    const category = covering ? (MERCHANT_CATEGORIES[Math.floor(i / CITIES.length)] as MerchantCategory) : categoryByPopularity.pick(random);
    return { id: `m-${String(i).padStart(6, '0')}`, category, city, location: pointNear(random, city, MERCHANT_RADIUS_KM) };
  });
  return new Population(cards, merchants, activity);
}
