/**
 * Appending to a one-partition Kafka log as the only writer of a key (a pipeline, a model): the
 * model registry, the pipeline store and the deployments topic each fold their log into a table
 * and must not let two writers of one key decide on the same state. A transactional id per key
 * does that: starting a transaction fences every earlier producer with that id and aborts its
 * open transaction, and only then does the writer catch up, decide and append; read_committed
 * readers never see a fenced writer's records. After the commit the writer reads past its own
 * record, so the caller's table holds it when this returns.
 */
import type { Kafka, RetryOptions, Transaction } from 'kafkajs';
import { TransactionAbortError } from './errors.js';

/** Reads the log's partition in offset order, committed records only (src/registry/partition-follower.ts is one). */
export interface CommittedLogReader {
  /** Resolves once every record committed when this is called has been read; rejects after `timeoutMs`. */
  catchUp(timeoutMs: number): Promise<void>;
  /** Resolves once the record at `offset`, and everything before it, has been read; rejects after `timeoutMs`. */
  readPast(offset: string, timeoutMs: number): Promise<void>;
}

/** A record appended by {@link appendAsSingleWriter}: what the caller's `append` wrote, and its offset. */
export interface Appended<Written> {
  readonly written: Written;
  readonly offset: string;
}

export interface SingleWriterAppend<Decision, Written> {
  readonly kafka: Kafka;
  /** One per key written; the same id for every writer of that key, so the newest fences the others. */
  readonly transactionalId: string;
  /** How long the transaction may stay open before the broker aborts it. */
  readonly transactionTimeoutMs: number;
  /** The producer's retries. @default kafkajs's for an idempotent producer */
  readonly retry?: RetryOptions;
  /** The reader of the log appended to: `decide` reads the table it feeds. */
  readonly reader: CommittedLogReader;
  /** How long catching up before `decide`, and reading past the appended record after the commit, may each take. */
  readonly readTimeoutMs: number;
  /** Decides on the caught-up table what to append; undefined appends nothing and aborts the transaction. */
  readonly decide: () => Decision | undefined;
  /** Sends the decision in the open transaction; returns what it wrote and the offset of the record the reader must read past. */
  readonly append: (transaction: Transaction, decision: Decision) => Promise<Appended<Written>>;
  /**
   * The error to throw for a failure before the commit took effect: connecting, being fenced,
   * catching up, deciding, sending or committing. A failure whose abort failed too comes as a
   * {@link TransactionAbortError}. Reading past the committed record is not classified: the
   * reader's own errors say which offset it was waiting for.
   */
  readonly classifyFailure: (error: unknown) => unknown;
}

/**
 * Fences earlier writers of the transactional id, catches up, decides, appends and commits, then
 * reads past the appended record. Resolves undefined (nothing written) when `decide` does.
 */
export async function appendAsSingleWriter<Decision, Written>(write: SingleWriterAppend<Decision, Written>): Promise<Appended<Written> | undefined> {
  const { transactionalId, reader, readTimeoutMs } = write;
  const producer = write.kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: write.transactionTimeoutMs,
    retry: write.retry,
    allowAutoTopicCreation: false,
  });
  let appended: Appended<Written> | undefined;
  try {
    await producer.connect();
    // Starting the transaction registers this producer's epoch for the transactional id: an
    // earlier writer of the key is fenced and its open transaction aborted, before we read.
    const transaction = await producer.transaction();
    try {
      await reader.catchUp(readTimeoutMs);
      const decision = write.decide();
      if (decision !== undefined) appended = await write.append(transaction, decision);
      if (appended) await transaction.commit();
      else await transaction.abort();
    } catch (error) {
      const abortFailure = transaction.isActive() ? await transaction.abort().then(() => undefined, (abortError: unknown) => abortError) : undefined;
      throw abortFailure === undefined ? error : new TransactionAbortError(transactionalId, error, abortFailure);
    }
  } catch (error) {
    throw write.classifyFailure(error);
  } finally {
    await producer.disconnect();
  }
  if (!appended) return undefined;
  await reader.readPast(appended.offset, readTimeoutMs);
  return appended;
}

/** Kafka errors that mean another producer with the same transactional id took over. */
export const FENCED_ERROR_TYPES: ReadonlySet<string> = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);
