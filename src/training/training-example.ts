/**
 * The records the training layer reads, as avsc decodes them (`long` as number, a
 * `["null", "double"]` union as `number | null`). They mirror `schemas/feature.avsc` and
 * `schemas/training-example.avsc`; `test/unit/training-feature-vector.test.ts` keeps them in step.
 */

/** Per-transaction behavioural features of a card, as the Flink feature job writes them. */
export interface FeatureRecord {
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
}

/** A feature record joined with the label that arrived for its transaction. */
export interface TrainingExample extends FeatureRecord {
  readonly is_fraud: boolean;
  /** `CHARGEBACK` or `CONFIRMED_LEGITIMATE`. */
  readonly label_source: string;
  /** Epoch milliseconds. */
  readonly label_time: number;
}
