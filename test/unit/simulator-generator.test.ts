import { beforeAll, describe, expect, it } from 'vitest';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import { VICTIM_COOLDOWN_MS } from '../../examples/fraud/simulator/fraud-injector.js';
import { ACCOUNT_TAKEOVER, CARD_TESTING, FRAUD_MIX_AFTER_DRIFT, FRAUD_MIX_BEFORE_DRIFT, HIGH_VALUE_SPREE, LOW_AND_SLOW } from '../../examples/fraud/simulator/fraud-patterns.js';
import { distanceKm } from '../../examples/fraud/simulator/geography.js';
import { MAX_HOLDER_SPEED_KMH } from '../../examples/fraud/simulator/legitimate-spending.js';
import { passesLuhn } from '../../examples/fraud/simulator/luhn.js';
import type { Label, SimulatedEvent, Transaction } from '../../examples/fraud/simulator/simulated-event.js';
import type { SimulatorOptions } from '../../examples/fraud/simulator/simulator-options.js';

const START = Date.UTC(2025, 0, 15); // a Wednesday, 00:00 UTC
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** One run, split the ways the assertions need it. */
interface Run {
  readonly events: readonly SimulatedEvent[];
  /** In emission order. */
  readonly transactions: readonly Transaction[];
  readonly labels: readonly Label[];
  readonly fraudIds: ReadonlySet<string>;
  /** Each card's transactions in event-time order. */
  readonly byCard: ReadonlyMap<string, readonly Transaction[]>;
  readonly endTime: number;
}

function run(options: Omit<SimulatorOptions, 'startTime'>): Run {
  const events = [...simulateEvents({ startTime: START, ...options })];
  const transactions = events.flatMap((e) => (e.topic === 'transactions' ? [e.value] : []));
  const labels = events.flatMap((e) => (e.topic === 'labels' ? [e.value] : []));
  const byCard = new Map<string, Transaction[]>();
  for (const t of [...transactions].sort((a, b) => a.event_time - b.event_time)) {
    const list = byCard.get(t.card_number) ?? [];
    list.push(t);
    byCard.set(t.card_number, list);
  }
  const fraudIds = new Set(labels.filter((l) => l.is_fraud).map((l) => l.transaction_id));
  return { events, transactions, labels, fraudIds, byCard, endTime: transactions.reduce((latest, t) => Math.max(latest, t.event_time), -Infinity) };
}

/** Four standard deviations of a binomial share: a correct generator fails this about once in 16,000 runs. */
const binomialTolerance = (share: number, trials: number): number => 4 * Math.sqrt((share * (1 - share)) / trials);

const speedKmh = (from: Transaction, to: Transaction): number => distanceKm(from, to) / ((to.event_time - from.event_time) / HOUR);

/** A card's fraudulent transactions: one episode per card, since a card is spared for a day after one and these runs are shorter. */
interface Episode {
  readonly card: string;
  readonly transactions: readonly Transaction[];
  /** The card's transactions before the episode's first, in event-time order. */
  readonly before: readonly Transaction[];
}

function episodes(r: Run): Episode[] {
  expect(r.endTime - START).toBeLessThan(VICTIM_COOLDOWN_MS);
  return [...r.byCard].flatMap(([card, list]) => {
    const fraudulent = list.filter((t) => r.fraudIds.has(t.transaction_id));
    const first = fraudulent[0];
    return first ? [{ card, transactions: fraudulent, before: list.slice(0, list.indexOf(first)) }] : [];
  });
}

const span = (ts: readonly Transaction[]): number => (ts.at(-1)?.event_time ?? 0) - (ts[0]?.event_time ?? 0);
const devicesOf = (ts: readonly Transaction[]): Set<string> => new Set(ts.map((t) => t.device_id));
const allOnline = (ts: readonly Transaction[]): boolean => ts.every((t) => t.channel === 'ONLINE');
const gaps = (ts: readonly Transaction[]): number[] => ts.slice(1).map((t, i) => t.event_time - (ts[i] as Transaction).event_time);

/** The signatures a rule (or a model's features) can see in the data; each episode should show exactly one. */
const SIGNATURES = {
  // ≥ 6 payments under 10 at as many merchants within 12 minutes, online, from one device the card never used.
  'card-testing': (e: Episode) =>
    e.transactions.length >= 6 &&
    allOnline(e.transactions) &&
    e.transactions.every((t) => t.amount < 10) &&
    new Set(e.transactions.map((t) => t.merchant_id)).size === e.transactions.length &&
    span(e.transactions) <= 12 * MINUTE &&
    devicesOf(e.transactions).size === 1 &&
    !devicesOf(e.before).has(e.transactions[0]?.device_id ?? ''),
  // A jump of over 1,000 km faster than 900 km/h from the card's previous transaction, on a device
  // the card never used, then more purchases. (The distance keeps a few kilometres across town in a
  // few seconds, which the other patterns show, from counting as travel.)
  'account-takeover': (e: Episode) => {
    const previous = e.before.at(-1);
    const first = e.transactions[0];
    return (
      previous !== undefined &&
      first !== undefined &&
      e.transactions.length >= 3 &&
      distanceKm(previous, first) > 1_000 &&
      speedKmh(previous, first) > 900 &&
      allOnline(e.transactions) &&
      devicesOf(e.transactions).size === 1 &&
      !devicesOf(e.before).has(first.device_id) &&
      e.transactions.every((t) => t.amount >= 10)
    );
  },
  // ≥ 3 amounts of 500 or more in electronics or jewellery within 65 minutes.
  'high-value-spree': (e: Episode) =>
    e.transactions.length >= 3 &&
    e.transactions.every((t) => t.amount >= 500 && ['electronics', 'jewellery'].includes(t.merchant_category)) &&
    span(e.transactions) <= 65 * MINUTE,
  // ≥ 4 online purchases of 25–400 in everyday categories, at least 10 minutes apart.
  'low-and-slow': (e: Episode) =>
    e.transactions.length >= 4 &&
    allOnline(e.transactions) &&
    e.transactions.every((t) => t.amount >= 25 && t.amount <= 400 && ['grocery', 'health', 'restaurants', 'fashion'].includes(t.merchant_category)) &&
    gaps(e.transactions).every((gap) => gap >= 10 * MINUTE),
};
type Signature = keyof typeof SIGNATURES;

function signaturesOf(e: Episode): Signature[] {
  return (Object.keys(SIGNATURES) as Signature[]).filter((name) => SIGNATURES[name](e));
}

describe('simulateEvents: determinism', () => {
  const first5000 = (seed: number): SimulatedEvent[] => [...simulateEvents({ startTime: START, seed, count: 4_000 })].slice(0, 5_000);

  it('gives the same events, byte for byte, for the same seed and options', () => {
    const a = first5000(7);
    const b = first5000(7);
    expect(a).toHaveLength(5_000);
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('gives different events for a different seed', () => {
    const a = first5000(7);
    const b = first5000(8);
    expect(b).not.toEqual(a);
    const ids = new Set(a.map((e) => e.value.transaction_id));
    expect(b.filter((e) => ids.has(e.value.transaction_id))).toEqual([]);
  });
});

// 200,000 transactions at 5/s: about 14 hours of simulated time from midnight, at 2 % fraud.
describe('simulateEvents: a long run with default disorder and labels', () => {
  const FRAUD_RATE = 0.02;
  const longestSpan = Math.max(CARD_TESTING.maxSpanMs, ACCOUNT_TAKEOVER.maxSpanMs, HIGH_VALUE_SPREE.maxSpanMs);
  let r: Run;
  let allEpisodes: Episode[];
  /** Episodes that began early enough to finish before the run ended. */
  let complete: Episode[];
  beforeAll(() => {
    r = run({ seed: 42, count: 200_000, rate: 5, fraudRate: FRAUD_RATE });
    allEpisodes = episodes(r);
    complete = allEpisodes.filter((e) => (e.transactions[0]?.event_time ?? 0) < r.endTime - longestSpan);
  });

  it('emits the requested number of transactions, each with a unique id, a 16-digit card number passing Luhn, and the schema fields', () => {
    expect(r.transactions).toHaveLength(200_000);
    expect(new Set(r.transactions.map((t) => t.transaction_id)).size).toBe(200_000);
    expect(r.transactions.every((t) => /^\d{16}$/.test(t.card_number) && passesLuhn(t.card_number))).toBe(true);
    expect(Object.keys(r.transactions[0] ?? {})).toEqual([
      'transaction_id', 'card_number', 'email', 'merchant_id', 'merchant_category', 'amount', 'currency', 'country', 'latitude', 'longitude', 'device_id', 'channel', 'event_time',
    ]);
    expect(r.events.every((e) => e.key === (e.topic === 'transactions' ? e.value.card_number : e.value.transaction_id))).toBe(true);
  });

  it('keeps the fraud share at the configured rate in the steady state', () => {
    // Count transactions between the first and the last longest episode span, where no episode is cut short.
    const inWindow = r.transactions.filter((t) => t.event_time >= START + longestSpan && t.event_time < r.endTime - longestSpan);
    const fraud = inWindow.filter((t) => r.fraudIds.has(t.transaction_id)).length;
    // Fraud comes in episodes, so the count varies more than a binomial one: a compound Poisson
    // count has variance E[episodes]·E[size²]. Sizes are uniform 6–12 (card testing, share 0.4,
    // E[size²] = 85), 3–6 (takeover and spree, 0.3 each, E[size²] = 21.5): mean size 6.3, E[size²] 46.9.
    const expectedFraud = FRAUD_RATE * inWindow.length;
    const tolerance = 4 * Math.sqrt((expectedFraud / 6.3) * 46.9);
    expect(inWindow.length).toBeGreaterThan(150_000);
    expect(Math.abs(fraud - expectedFraud)).toBeLessThan(tolerance); // seed 42: 0.0192 of 163,391, tolerance ±0.0038
  });

  it('starts one episode per this many legitimate purchases, as a binomial count', () => {
    const legitimate = r.transactions.length - r.fraudIds.size;
    const p = FRAUD_RATE / (1 - FRAUD_RATE) / 6.3;
    const started = allEpisodes.length / legitimate;
    expect(Math.abs(started - p)).toBeLessThan(binomialTolerance(p, legitimate));
  });

  it('gives every fraudulent transaction exactly one CHARGEBACK, later in event time and emitted after it', () => {
    const position = new Map(r.events.map((e, i) => [e.topic === 'transactions' ? e.value.transaction_id : `label:${e.value.transaction_id}`, i]));
    const transactionById = new Map(r.transactions.map((t) => [t.transaction_id, t]));
    const chargebacks = r.labels.filter((l) => l.source === 'CHARGEBACK');
    expect(chargebacks.every((l) => l.is_fraud)).toBe(true);
    expect(new Set(chargebacks.map((l) => l.transaction_id)).size).toBe(chargebacks.length);
    expect(r.fraudIds.size).toBeGreaterThan(3_000);
    for (const label of chargebacks) {
      const transaction = transactionById.get(label.transaction_id);
      expect(transaction).toBeDefined();
      expect(label.label_time).toBeGreaterThan(transaction?.event_time ?? Infinity);
      expect(position.get(`label:${label.transaction_id}`)).toBeGreaterThan(position.get(label.transaction_id) ?? Infinity);
    }
    // Every transaction of an episode is fraudulent: no episode transaction went without its chargeback.
    const episodeTransactions = allEpisodes.reduce((sum, e) => sum + e.transactions.length, 0);
    expect(episodeTransactions).toBe(r.fraudIds.size);
  });

  it('confirms the configured share of legitimate transactions, at most once each, and emits labels in label-time order', () => {
    const confirmed = r.labels.filter((l) => l.source === 'CONFIRMED_LEGITIMATE');
    expect(confirmed.every((l) => !l.is_fraud && !r.fraudIds.has(l.transaction_id))).toBe(true);
    expect(new Set(confirmed.map((l) => l.transaction_id)).size).toBe(confirmed.length);
    const legitimate = r.transactions.length - r.fraudIds.size;
    expect(Math.abs(confirmed.length / legitimate - 0.3)).toBeLessThan(binomialTolerance(0.3, legitimate)); // ±0.0041
    expect(r.labels.every((l, i) => i === 0 || l.label_time >= (r.labels[i - 1] as Label).label_time)).toBe(true);
  });

  it('delays labels log-normally with the configured median and spread', () => {
    const transactionById = new Map(r.transactions.map((t) => [t.transaction_id, t]));
    const logDelays = (source: Label['source']) =>
      r.labels.filter((l) => l.source === source).map((l) => Math.log(l.label_time - (transactionById.get(l.transaction_id)?.event_time ?? NaN)));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = (xs: number[]) => {
      const m = mean(xs);
      return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    };
    // ln(delay) is normal(ln median, sigma): its sample mean has standard error sigma/√n, its sample
    // standard deviation about sigma/√(2n). Defaults: chargebacks 20 min, 0.9; confirmations 30 min, 0.6.
    for (const [source, median, sigma] of [['CHARGEBACK', 20 * MINUTE, 0.9], ['CONFIRMED_LEGITIMATE', 30 * MINUTE, 0.6]] as const) {
      const xs = logDelays(source);
      expect(Math.abs(mean(xs) - Math.log(median))).toBeLessThan((4 * sigma) / Math.sqrt(xs.length));
      expect(Math.abs(sd(xs) - sigma)).toBeLessThan((4 * sigma) / Math.sqrt(2 * xs.length));
    }
  });

  it('bounds out-of-orderness by outOfOrderMs except for the configured share of late transactions', () => {
    // Lateness: how far a transaction's event time is behind the newest one emitted before it.
    let newest = -Infinity;
    const lateness = r.transactions.map((t) => {
      const behind = newest - t.event_time;
      newest = Math.max(newest, t.event_time);
      return behind;
    });
    const disordered = lateness.filter((ms) => ms > 0 && ms <= 2_000).length;
    const late = lateness.filter((ms) => ms > 2_000).length;
    expect(lateness.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(2_000 + 60_000);
    expect(disordered / r.transactions.length).toBeGreaterThan(0.03);
    expect(Math.abs(late / r.transactions.length - 0.002)).toBeLessThan(binomialTolerance(0.002, r.transactions.length)); // ±0.0004
  });

  it('makes every complete fraud episode recognisable as exactly one of the three patterns, in the configured mix', () => {
    const unrecognised = complete.filter((e) => signaturesOf(e).length !== 1);
    expect(unrecognised.map((e) => ({ card: e.card, signatures: signaturesOf(e), transactions: e.transactions }))).toEqual([]);
    expect(complete.length).toBeGreaterThan(400);
    for (const [pattern, share] of FRAUD_MIX_BEFORE_DRIFT) {
      const found = complete.filter((e) => SIGNATURES[pattern.name as Signature](e)).length / complete.length;
      expect(Math.abs(found - share), pattern.name).toBeLessThan(binomialTolerance(share, complete.length));
    }
  });

  it('never moves a holder faster than an airliner between their own purchases', () => {
    const speeds = [...r.byCard.values()].flatMap((list) => {
      const own = list.filter((t) => !r.fraudIds.has(t.transaction_id));
      return own.slice(1).flatMap((t, i) => (distanceKm(own[i] as Transaction, t) === 0 ? [] : [speedKmh(own[i] as Transaction, t)]));
    });
    expect(speeds.length).toBeGreaterThan(50_000);
    expect(speeds.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(MAX_HOLDER_SPEED_KMH);
  });

  it('shops less at night than by day, and both in person and online', () => {
    const perHour = (hour: number) => r.transactions.filter((t) => new Date(t.event_time).getUTCHours() === hour).length;
    expect(perHour(3)).toBeLessThan(perHour(10) / 5);
    const online = r.transactions.filter((t) => t.channel === 'ONLINE').length / r.transactions.length;
    expect(online).toBeGreaterThan(0.2);
    expect(online).toBeLessThan(0.6);
  });
});

describe('simulateEvents: drift', () => {
  // 200,000 transactions at 3/s: about 19 hours from midnight, drifting at 80,000 (about 10 a.m.).
  const DRIFT_AFTER = 80_000;
  const MAX_FIRST_DELAY = 10 * MINUTE; // no pattern waits longer than this for its first transaction
  const firstAt = (e: Episode) => e.transactions[0]?.event_time ?? 0;
  /** Episodes that certainly started, and ended, before the switch. */
  let before: Episode[];
  /** Episodes that certainly started after the switch and ended before the run did. */
  let after: Episode[];
  beforeAll(() => {
    const r = run({ seed: 3, count: 200_000, rate: 3, fraudRate: 0.02, driftAfter: DRIFT_AFTER });
    const driftTime = ([...r.transactions].sort((a, b) => a.event_time - b.event_time)[DRIFT_AFTER - 1] as Transaction).event_time;
    const all = episodes(r);
    before = all.filter((e) => firstAt(e) <= driftTime - HIGH_VALUE_SPREE.maxSpanMs);
    after = all.filter((e) => firstAt(e) > driftTime + MAX_FIRST_DELAY && firstAt(e) < r.endTime - LOW_AND_SLOW.maxSpanMs);
  });

  it('switches the pattern mix for episodes that start after the switch point', () => {
    expect(before.length).toBeGreaterThan(150); // measured 192
    expect(after.length).toBeGreaterThan(120); // measured 167, 89 of them low and slow
    expect(before.filter((e) => SIGNATURES['low-and-slow'](e))).toEqual([]);
    expect(after.filter((e) => signaturesOf(e).length !== 1)).toEqual([]);
    for (const [pattern, share] of FRAUD_MIX_AFTER_DRIFT) {
      const found = after.filter((e) => SIGNATURES[pattern.name as Signature](e)).length / after.length;
      expect(Math.abs(found - share), pattern.name).toBeLessThan(binomialTolerance(share, after.length));
    }
  });

  it('moves fraud into everyday categories and mid-size amounts', () => {
    const fraudIn = (es: Episode[]) => es.flatMap((e) => e.transactions);
    const share = (ts: Transaction[], test: (t: Transaction) => boolean) => ts.filter(test).length / ts.length;
    const everyday = (t: Transaction) => ['grocery', 'health', 'restaurants'].includes(t.merchant_category);
    const highValue = (t: Transaction) => ['electronics', 'jewellery'].includes(t.merchant_category);
    expect(share(fraudIn(before), everyday)).toBe(0);
    // Expected about 0.43: low and slow is 0.6 of episodes and 3.6 of 6.3 transactions per episode, 3 of its 4 categories everyday.
    expect(share(fraudIn(after), everyday)).toBeGreaterThan(0.25);
    expect(share(fraudIn(after), highValue)).toBeLessThan(share(fraudIn(before), highValue) / 2);
  });
});

describe('simulateEvents: options', () => {
  it('emits transactions in event-time order when no disorder is configured', () => {
    const r = run({ seed: 5, count: 20_000, outOfOrderShare: 0, lateShare: 0 });
    expect(r.transactions.every((t, i) => i === 0 || t.event_time >= (r.transactions[i - 1] as Transaction).event_time)).toBe(true);
  });

  it('emits no fraud at rate 0 and no confirmations at label share 0', () => {
    const r = run({ seed: 5, count: 20_000, fraudRate: 0, labelShare: 0 });
    expect(r.labels).toEqual([]);
  });

  it('scales label delays by labelDelayScale', () => {
    const r = run({ seed: 5, count: 20_000, labelDelayScale: 0.1, fraudRate: 0, labelShare: 1 });
    const eventTime = new Map(r.transactions.map((t) => [t.transaction_id, t.event_time]));
    const logs = r.labels.map((l) => Math.log(l.label_time - (eventTime.get(l.transaction_id) ?? NaN)));
    const meanLog = logs.reduce((s, x) => s + x, 0) / logs.length;
    expect(Math.abs(meanLog - Math.log(3 * MINUTE))).toBeLessThan((4 * 0.6) / Math.sqrt(logs.length));
  });

  it('starts the clock at startTime and ends after count transactions and their labels', () => {
    const r = run({ seed: 5, count: 1_000, rate: 10 });
    expect(r.transactions).toHaveLength(1_000);
    expect(Math.min(...r.transactions.map((t) => t.event_time))).toBeGreaterThanOrEqual(START);
    expect(r.events.at(-1)?.topic).toBe('labels');
    expect([...simulateEvents({ startTime: START, count: 0 })]).toEqual([]);
  });
});
