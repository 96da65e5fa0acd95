/**
 * The records the simulator produces, field for field as `schemas/transaction.avsc` and
 * `schemas/label.avsc` define them (snake_case; times are epoch milliseconds).
 */

export type Channel = 'CARD_PRESENT' | 'ONLINE';
export type LabelSource = 'CHARGEBACK' | 'CONFIRMED_LEGITIMATE';

export interface Transaction {
  readonly transaction_id: string;
  /** PII: the full card number (16 digits, valid Luhn check digit). */
  readonly card_number: string;
  /** PII: the card holder's email. */
  readonly email: string;
  readonly merchant_id: string;
  readonly merchant_category: string;
  /** In the major unit of `currency`, rounded to cents. */
  readonly amount: number;
  readonly currency: string;
  /** ISO 3166-1 alpha-2 country of the merchant. */
  readonly country: string;
  /** Where the purchase was made: the merchant for CARD_PRESENT, the buyer's device for ONLINE. */
  readonly latitude: number;
  readonly longitude: number;
  /** The buyer's device for ONLINE; the merchant's terminal (`pos-<merchant_id>`) for CARD_PRESENT. */
  readonly device_id: string;
  readonly channel: Channel;
  readonly event_time: number;
}

export interface Label {
  readonly transaction_id: string;
  readonly is_fraud: boolean;
  readonly source: LabelSource;
  /** When the outcome became known; never before the transaction's `event_time`. */
  readonly label_time: number;
}

/**
 * One record in emission order, ready for a producer.
 *
 * Keys: a transaction is keyed by its card number so that one card's transactions stay in one
 * partition, in order. That puts PII in the key, which the raw `transactions` topic is allowed to
 * carry (its schema already holds the card number); everything downstream keys by a hash instead.
 * A label is keyed by its `transaction_id`, which carries no PII.
 */
export type SimulatedEvent =
  | { readonly topic: 'transactions'; readonly key: string; readonly value: Transaction }
  | { readonly topic: 'labels'; readonly key: string; readonly value: Label };
