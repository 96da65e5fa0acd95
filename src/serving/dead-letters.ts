/**
 * Dead letters of the scorer (schemas/dead-letter.avsc): a features record the scorer could not
 * score, kept with its original key and value bytes, where it was read, and why, so nothing is
 * lost and nothing is silently dropped. Someone can read the reason, fix the cause and replay it.
 */
import type { KeyedRecord } from '../streaming/avro-producer.js';
import type { MessageSource } from '../streaming/errors.js';

/** The `component` of every dead letter the scorer writes. */
export const SCORER_COMPONENT = 'scorer';

/** Why a record was dead-lettered: a decode failure class, `NULL_VALUE` for a tombstone, or what scoring refused (e.g. `INVALID_FEATURES`). */
export type DeadLetterErrorType = string;

/** A record the scorer gives up on, as it was read. */
export interface DeadLetterInput {
  readonly source: MessageSource;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly errorType: DeadLetterErrorType;
  /** For a person: what was wrong, with which value. */
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly failedAt: number;
}

/** The Avro value of schemas/dead-letter.avsc, as avsc encodes it. */
export interface DeadLetterValue {
  readonly source_topic: string;
  readonly source_partition: number;
  readonly source_offset: number;
  readonly original_key: Buffer | null;
  readonly original_value: Buffer | null;
  readonly error_type: string;
  readonly reason: string;
  readonly component: string;
  readonly failed_at: number;
}

/**
 * The dlq record of one failed input, keyed by its source position (`<topic>:<partition>:<offset>`):
 * unique per input, so a replay tool can tell each one apart and find it in the source topic.
 */
export function scorerDeadLetter(input: DeadLetterInput): KeyedRecord<DeadLetterValue> {
  const { source } = input;
  return {
    key: `${source.topic}:${source.partition}:${source.offset}`,
    value: {
      source_topic: source.topic,
      source_partition: source.partition,
      source_offset: Number(source.offset),
      original_key: input.key,
      original_value: input.value,
      error_type: input.errorType,
      reason: input.reason,
      component: SCORER_COMPONENT,
      failed_at: input.failedAt,
    },
  };
}
