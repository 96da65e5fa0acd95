/**
 * Labelled examples of the fraud example (examples/fraud) with one planted, learnable fraud
 * pattern — a purchase far above the card's 24-hour mean on a device the card has not used — for
 * tests and benchmarks of the training and serving code. Not a realistic simulation of card
 * traffic (that is the event simulator's job). The records have the shape of
 * `examples/fraud/schemas/training-example.avsc` as avsc decodes it.
 */
import { createSeededRandom } from '../../src/training/seeded-random.js';

/**
 * Per-transaction behavioural features of a card, as the Flink feature job writes them
 * (`examples/fraud/schemas/feature.avsc`). A type literal rather than an interface, so a record is also a
 * `FeatureRecord` (field name to value) as the vectoriser reads it.
 */
export type FraudFeatureRecord = {
  readonly transaction_id: string;
  readonly card_hash: string;
  readonly email_hash: string;
  readonly merchant_id: string;
  readonly merchant_category: string;
  readonly amount: number;
  /** Epoch milliseconds. */
  readonly event_time: number;
  readonly txn_count_10m: number;
  readonly amount_sum_10m: number;
  readonly amount_mean_10m: number;
  readonly amount_max_10m: number;
  readonly txn_count_1h: number;
  readonly amount_sum_1h: number;
  readonly amount_mean_1h: number;
  readonly amount_max_1h: number;
  readonly txn_count_24h: number;
  readonly amount_sum_24h: number;
  readonly amount_mean_24h: number;
  readonly amount_max_24h: number;
  readonly distinct_merchants_1h: number;
  /** Null for the card's first transaction. */
  readonly seconds_since_prev: number | null;
  readonly amount_to_mean_24h: number;
  readonly distance_km_from_prev: number | null;
  readonly speed_kmh_from_prev: number | null;
  readonly is_new_device: boolean;
  /** 0-23, UTC. */
  readonly hour_of_day: number;
  readonly feature_job_version: string;
};

/** A feature record joined with the label that arrived for its transaction (`examples/fraud/schemas/training-example.avsc`). */
export type FraudExampleRecord = FraudFeatureRecord & {
  readonly is_fraud: boolean;
  /** `CHARGEBACK` or `CONFIRMED_LEGITIMATE`. */
  readonly label_source: string;
  /** Epoch milliseconds. */
  readonly label_time: number;
};

export interface SyntheticExampleOptions {
  /** Number of examples. */
  readonly count: number;
  /** Share of examples drawn from the fraud pattern. @default 0.05 */
  readonly fraudRate?: number;
  /** Share of fraud-pattern examples labelled legitimate anyway, so the task is not trivially separable. @default 0.05 */
  readonly labelNoise?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Event time of the first example, epoch milliseconds. @default 1704067200000 (2024-01-01T00:00:00Z) */
  readonly startTime?: number;
  /** Event-time step between consecutive examples. @default 60000 */
  readonly intervalMs?: number;
}

/** Generates `count` examples in event-time order; the same options always give the same examples. */
export function generateSyntheticExamples(options: SyntheticExampleOptions): FraudExampleRecord[] {
  const { count, fraudRate = 0.05, labelNoise = 0.05, seed = 1, startTime = Date.UTC(2024, 0, 1), intervalMs = 60_000 } = options;
  const random = createSeededRandom(seed);
  const between = (low: number, high: number): number => low + (high - low) * random();
  const logNormal = (median: number, spread: number): number => median * Math.exp(spread * gaussian(random));
  return Array.from({ length: count }, (_, index): FraudExampleRecord => {
    const draw = random();
    const fraudPattern = draw < fraudRate;
    // Decoys show one half of the pattern each, so neither feature alone separates the classes.
    const decoy = !fraudPattern && draw < fraudRate + 0.1;
    const highRatio = fraudPattern || (decoy && random() < 0.5);
    const amountToMean = highRatio ? between(3, 10) : between(0.5, 1.5);
    const isNewDevice = fraudPattern ? random() < 0.95 : decoy ? !highRatio : random() < 0.03;
    const isFraud = fraudPattern && random() >= labelNoise;
    const mean24h = logNormal(50, 0.5);
    const count24h = 1 + Math.floor(random() * 20);
    const firstTransaction = random() < 0.05;
    const secondsSincePrevious = firstTransaction ? null : logNormal(fraudPattern ? 120 : 7200, 1);
    const distance = firstTransaction ? null : logNormal(5, 1.5);
    const eventTime = startTime + index * intervalMs;
    return {
      transaction_id: `synthetic-${seed}-${index}`,
      card_hash: `card-${Math.floor(random() * 1000)}`,
      email_hash: `email-${Math.floor(random() * 1000)}`,
      merchant_id: `merchant-${Math.floor(random() * 200)}`,
      merchant_category: 'grocery',
      amount: amountToMean * mean24h,
      event_time: eventTime,
      txn_count_10m: 1 + Math.floor(random() * 2),
      amount_sum_10m: amountToMean * mean24h,
      amount_mean_10m: amountToMean * mean24h,
      amount_max_10m: amountToMean * mean24h,
      txn_count_1h: 1 + Math.floor(random() * 3),
      amount_sum_1h: mean24h * 2,
      amount_mean_1h: mean24h,
      amount_max_1h: amountToMean * mean24h,
      txn_count_24h: count24h,
      amount_sum_24h: mean24h * count24h,
      amount_mean_24h: mean24h,
      amount_max_24h: Math.max(mean24h, amountToMean * mean24h),
      distinct_merchants_1h: 1 + Math.floor(random() * 3),
      seconds_since_prev: secondsSincePrevious,
      amount_to_mean_24h: amountToMean,
      distance_km_from_prev: distance,
      speed_kmh_from_prev: distance === null || secondsSincePrevious === null ? null : distance / (secondsSincePrevious / 3600),
      is_new_device: isNewDevice,
      hour_of_day: new Date(eventTime).getUTCHours(),
      feature_job_version: 'synthetic',
      is_fraud: isFraud,
      label_source: isFraud ? 'CHARGEBACK' : 'CONFIRMED_LEGITIMATE',
      label_time: eventTime + 86_400_000,
    };
  });
}

/** A standard normal draw (Box-Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
