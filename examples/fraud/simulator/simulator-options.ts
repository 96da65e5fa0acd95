import { SimulatorOptionsError, type SimulatorOptionIssue } from './errors.js';
import { MIN_MERCHANT_COUNT } from './population.js';

/** A log-normal delay: half the delays are shorter than `medianMs`; `sigma` is the spread of ln(delay). */
export interface LogNormalDelay {
  readonly medianMs: number;
  readonly sigma: number;
}

/** How the simulated stream looks. Compile with {@link compileSimulatorOptions}. */
export interface SimulatorOptions {
  /** Seed of every random draw: the same seed and options give the same events. A whole number in [0, 2^32). @default 1 */
  readonly seed?: number;
  /** Start of the simulated clock, epoch milliseconds. Required: the generator reads no clock (the CLI passes "now"). */
  readonly startTime: number;
  /** Transactions to generate; labels still pending after the last one follow it. @default undefined (no end) */
  readonly count?: number;
  /** Mean transactions per second of simulated time, averaged over a day (fewer at night, more at midday). @default 50 */
  readonly rate?: number;
  /** Cards in the population. @default 10_000 */
  readonly cardCount?: number;
  /** Merchants in the population; at least one per city and category (140). @default 2_000 */
  readonly merchantCount?: number;
  /** Share of transactions that are fraudulent, in [0, 0.2]; 0.005–0.02 is realistic. @default 0.01 */
  readonly fraudRate?: number;
  /** After this many transactions, new fraud episodes follow the drifted pattern mix. @default undefined (no drift) */
  readonly driftAfter?: number;
  /** Share of legitimate transactions that later get a CONFIRMED_LEGITIMATE label, in [0, 1]. @default 0.3 */
  readonly labelShare?: number;
  /** Time from a fraudulent transaction to its CHARGEBACK label. @default { medianMs: 1_200_000, sigma: 0.9 } (20 minutes; 90 % between 5 minutes and 1.5 hours) */
  readonly chargebackDelay?: Partial<LogNormalDelay>;
  /** Time from a legitimate transaction to its CONFIRMED_LEGITIMATE label. @default { medianMs: 1_800_000, sigma: 0.6 } */
  readonly legitimateLabelDelay?: Partial<LogNormalDelay>;
  /** Multiplies every label delay, e.g. 0.1 for a quick demo. @default 1 */
  readonly labelDelayScale?: number;
  /** Bound of ordinary out-of-orderness: a disordered transaction is emitted up to this much after its event time. @default 2_000 */
  readonly outOfOrderMs?: number;
  /** Share of transactions emitted out of order, within {@link outOfOrderMs}. @default 0.1 */
  readonly outOfOrderShare?: number;
  /** Share of transactions emitted late, beyond {@link outOfOrderMs} by {@link lateByMs}. @default 0.002 */
  readonly lateShare?: number;
  /**
   * How far past the out-of-orderness bound a late transaction is emitted (uniform in [min, max]),
   * so a watermark of `outOfOrderMs` has passed it. @default { min: 5_000, max: 60_000 }
   */
  readonly lateByMs?: { readonly min?: number; readonly max?: number };
}

/** {@link SimulatorOptions} validated, with every default filled in. */
export interface CompiledSimulatorOptions {
  readonly seed: number;
  readonly startTime: number;
  readonly count: number | undefined;
  readonly rate: number;
  readonly cardCount: number;
  readonly merchantCount: number;
  readonly fraudRate: number;
  readonly driftAfter: number | undefined;
  readonly labelShare: number;
  readonly chargebackDelay: LogNormalDelay;
  readonly legitimateLabelDelay: LogNormalDelay;
  readonly labelDelayScale: number;
  readonly outOfOrderMs: number;
  readonly outOfOrderShare: number;
  readonly lateShare: number;
  readonly lateByMs: { readonly min: number; readonly max: number };
}

/** Every default, as the TSDoc of {@link SimulatorOptions} states them. */
export const SIMULATOR_DEFAULTS: Omit<CompiledSimulatorOptions, 'startTime'> = {
  seed: 1,
  count: undefined,
  rate: 50,
  cardCount: 10_000,
  merchantCount: 2_000,
  fraudRate: 0.01,
  driftAfter: undefined,
  labelShare: 0.3,
  chargebackDelay: { medianMs: 1_200_000, sigma: 0.9 },
  legitimateLabelDelay: { medianMs: 1_800_000, sigma: 0.6 },
  labelDelayScale: 1,
  outOfOrderMs: 2_000,
  outOfOrderShare: 0.1,
  lateShare: 0.002,
  lateByMs: { min: 5_000, max: 60_000 },
};

/** The highest fraud rate accepted; beyond it fraud stops being a rare class. */
const MAX_FRAUD_RATE = 0.2;

interface Rule {
  readonly accepts: (value: unknown) => boolean;
  readonly expected: string;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER, expected = `a whole number ≥ ${min}`): Rule => ({
  accepts: (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
  expected,
});
const numberFromTo = (min: number, max: number, expected = `a number from ${min} to ${max}`): Rule => ({
  accepts: (value) => isFiniteNumber(value) && value >= min && value <= max,
  expected,
});
const POSITIVE: Rule = { accepts: (value) => isFiniteNumber(value) && value > 0, expected: 'a number > 0' };
const SHARE = numberFromTo(0, 1, 'a share from 0 to 1');
const MAX_SIGMA = 3;

const KNOWN_KEYS: readonly (keyof SimulatorOptions)[] = [
  'seed',
  'startTime',
  'count',
  'rate',
  'cardCount',
  'merchantCount',
  'fraudRate',
  'driftAfter',
  'labelShare',
  'chargebackDelay',
  'legitimateLabelDelay',
  'labelDelayScale',
  'outOfOrderMs',
  'outOfOrderShare',
  'lateShare',
  'lateByMs',
];

/** Collects issues while reading values, so every bad key is reported in one error. */
class OptionReader {
  readonly issues: SimulatorOptionIssue[] = [];

  /** `value` when it obeys `rule`, `fallback` when it is undefined; a bad value is recorded and returned as is. */
  read<T>(key: string, value: unknown, fallback: T, rule: Rule): T {
    if (value === undefined) return fallback;
    if (!rule.accepts(value)) this.issues.push({ key, value, expected: rule.expected });
    return value as T;
  }

  /** A nested options object; anything else is recorded as an issue and read as empty. */
  object(key: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issues.push({ key, value, expected: `an object with ${keys.join(', ')}` });
      return {};
    }
    this.unknownKeys(value as Record<string, unknown>, keys, `${key}.`);
    return value as Record<string, unknown>;
  }

  unknownKeys(object: Record<string, unknown>, known: readonly string[], prefix = ''): void {
    for (const [key, value] of Object.entries(object)) {
      if (!known.includes(key)) this.issues.push({ key: `${prefix}${key}`, value, expected: `one of the known options: ${known.join(', ')}` });
    }
  }

  delay(key: string, value: unknown, fallback: LogNormalDelay): LogNormalDelay {
    const given = this.object(key, value, ['medianMs', 'sigma']);
    return {
      medianMs: this.read(`${key}.medianMs`, given.medianMs, fallback.medianMs, POSITIVE),
      sigma: this.read(`${key}.sigma`, given.sigma, fallback.sigma, numberFromTo(0, MAX_SIGMA)),
    };
  }
}

/**
 * Validates `input` and fills in defaults, once, before any event is generated.
 * @throws SimulatorOptionsError listing every bad option, one per line.
 */
export function compileSimulatorOptions(input: SimulatorOptions): CompiledSimulatorOptions {
  const reader = new OptionReader();
  const d = SIMULATOR_DEFAULTS;
  reader.unknownKeys(input as unknown as Record<string, unknown>, KNOWN_KEYS);
  const given = input as unknown as Record<keyof SimulatorOptions, unknown>;
  const startTime = given.startTime;
  if (!Number.isSafeInteger(startTime) || (startTime as number) < 0) {
    reader.issues.push({ key: 'startTime', value: startTime, expected: 'epoch milliseconds, a whole number ≥ 0' });
  }

  const late = reader.object('lateByMs', given.lateByMs, ['min', 'max']);
  const options: CompiledSimulatorOptions = {
    seed: reader.read('seed', given.seed, d.seed, wholeNumber(0, 0xffff_ffff, 'a whole number from 0 to 4294967295')),
    startTime: startTime as number,
    count: reader.read('count', given.count, d.count, wholeNumber(0)),
    rate: reader.read('rate', given.rate, d.rate, POSITIVE),
    cardCount: reader.read('cardCount', given.cardCount, d.cardCount, wholeNumber(1)),
    merchantCount: reader.read('merchantCount', given.merchantCount, d.merchantCount, wholeNumber(MIN_MERCHANT_COUNT, undefined, `a whole number ≥ ${MIN_MERCHANT_COUNT} (one merchant per city and category)`)),
    fraudRate: reader.read('fraudRate', given.fraudRate, d.fraudRate, numberFromTo(0, MAX_FRAUD_RATE)),
    driftAfter: reader.read('driftAfter', given.driftAfter, d.driftAfter, wholeNumber(0)),
    labelShare: reader.read('labelShare', given.labelShare, d.labelShare, SHARE),
    chargebackDelay: reader.delay('chargebackDelay', given.chargebackDelay, d.chargebackDelay),
    legitimateLabelDelay: reader.delay('legitimateLabelDelay', given.legitimateLabelDelay, d.legitimateLabelDelay),
    labelDelayScale: reader.read('labelDelayScale', given.labelDelayScale, d.labelDelayScale, POSITIVE),
    outOfOrderMs: reader.read('outOfOrderMs', given.outOfOrderMs, d.outOfOrderMs, wholeNumber(0)),
    outOfOrderShare: reader.read('outOfOrderShare', given.outOfOrderShare, d.outOfOrderShare, SHARE),
    lateShare: reader.read('lateShare', given.lateShare, d.lateShare, SHARE),
    lateByMs: {
      min: reader.read('lateByMs.min', late.min, d.lateByMs.min, wholeNumber(1)),
      max: reader.read('lateByMs.max', late.max, d.lateByMs.max, wholeNumber(1)),
    },
  };

  const alreadyBad = new Set(reader.issues.map((issue) => issue.key));
  if (!alreadyBad.has('outOfOrderShare') && !alreadyBad.has('lateShare') && options.outOfOrderShare + options.lateShare > 1) {
    reader.issues.push({ key: 'lateShare', value: options.lateShare, expected: `a share from 0 to ${Math.round((1 - options.outOfOrderShare) * 1e9) / 1e9} (1 − outOfOrderShare)` });
  }
  if (!alreadyBad.has('lateByMs.min') && !alreadyBad.has('lateByMs.max') && options.lateByMs.max < options.lateByMs.min) {
    reader.issues.push({ key: 'lateByMs.max', value: options.lateByMs.max, expected: `a whole number ≥ lateByMs.min (${options.lateByMs.min})` });
  }
  if (reader.issues.length > 0) throw new SimulatorOptionsError(reader.issues);
  return options;
}
