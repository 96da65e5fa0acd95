/**
 * Reads exact, pinned offset ranges of a topic — what a training run is reproducible from — and
 * snapshots where a topic's committed data ends. Nothing here commits a consumer-group offset:
 * "what has been trained on" is recorded by the caller (the training lineage), never by Kafka,
 * so an offset can never be marked done before the work that used it is.
 *
 * End offsets: kafkajs' `admin.fetchTopicOffsets` sends ListOffsets (v2+) with the protocol's
 * default isolation level, READ_COMMITTED, so the `high` it returns is the last stable offset
 * (LSO), not the high watermark: records of a transaction still open are beyond it. The
 * integration test pins this down with an open transaction.
 *
 * Reading: kafkajs has no `assign()`, so each read joins a consumer group of its own (a unique
 * id, one member, `autoCommit: false`) and seeks every partition to the start of its range. A
 * range [from, to) may hold offsets with no visible record — transaction markers and aborted
 * records — so a partition is done when the consumer's position (the last offset of a fetched
 * batch, markers and aborted records included, plus one) reaches `to`, never by counting records.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import { kafkaAccessError } from './kafka-client.js';
import { MessageDecodeError, StreamingError, type DecodeFailureCode, type MessageSource } from './errors.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Half-open range [fromOffset, toOffset) of one partition; offsets are 64-bit, so strings. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: string;
  readonly toOffset: string;
}

/** Where one partition's retained, committed data starts and ends when the snapshot was taken. */
export interface PartitionEndOffset {
  readonly topic: string;
  readonly partition: number;
  /** The log start offset: the oldest offset still retained. */
  readonly startOffset: string;
  /** The last stable offset: everything below it is committed or aborted, nothing is pending. */
  readonly endOffset: string;
}

/** A record whose value could not be decoded: counted and returned with its position, never dropped. */
export interface UndecodableRecord extends MessageSource {
  readonly code: DecodeFailureCode | 'NULL_VALUE';
  readonly reason: string;
}

/** A decoded record and where it was read. */
export interface DecodedRecord<Value> {
  readonly value: Value;
  readonly source: MessageSource;
}

/** Everything a read found, in partition then offset order. */
export interface RangeReadResult<Value> {
  readonly records: readonly DecodedRecord<Value>[];
  readonly undecodable: readonly UndecodableRecord[];
}

/** Progress of a read, for heartbeats. */
export interface RangeReadProgress {
  readonly recordsRead: number;
  readonly undecodable: number;
  readonly partitionsDone: number;
  readonly partitions: number;
}

/**
 * Turns a message value into a record. Throw a {@link MessageDecodeError} for a value that cannot
 * be decoded (it is counted as undecodable); any other error ends the read.
 */
export type RecordDecoder<Value> = (value: Buffer, source: MessageSource) => Promise<Value>;

export interface ReadRangeOptions {
  /** The read fails with {@link OffsetRangeReadTimeoutError} when it has not reached every range's end by then. @default 120_000 */
  readonly timeoutMs?: number;
  /** Ends the read early with the signal's reason (an activity's cancellation). */
  readonly signal?: AbortSignal;
  /** Called after every fetched batch. */
  readonly onProgress?: (progress: RangeReadProgress) => void;
}

export interface OffsetRangeReaderOptions {
  /** Prefix of the throw-away consumer group of each read. @default 'tributary-range-read' */
  readonly groupIdPrefix?: string;
  /** How long the broker may hold a fetch open waiting for data. @default 250 */
  readonly maxWaitTimeInMs?: number;
}

/** Snapshots end offsets and reads exact ranges; see the module comment for the guarantees. */
export interface OffsetRangeReader {
  /** Every partition's log start and last stable offset. Throws {@link OffsetSnapshotError}. */
  snapshotEndOffsets(topic: string): Promise<PartitionEndOffset[]>;
  /**
   * Reads exactly the given ranges (empty ranges are skipped) as a read_committed consumer,
   * decoding each value. Throws {@link OffsetRangeUnavailableError} when a range starts below the
   * retained log or ends beyond the committed data, {@link OffsetRangeReadTimeoutError} when it
   * does not finish in time, and whatever `decode` throws that is not a decode error.
   */
  readRange<Value>(ranges: readonly PartitionRange[], decode: RecordDecoder<Value>, options?: ReadRangeOptions): Promise<RangeReadResult<Value>>;
}

/** Snapshotting end offsets failed (unknown topic, unreachable cluster). */
export class OffsetSnapshotError extends StreamingError {
  override readonly name = 'OffsetSnapshotError';

  constructor(topic: string, reason: string, context: { readonly retriable: boolean; readonly cause: unknown }) {
    super(`cannot snapshot the end offsets of ${topic}: ${reason}`, { topic, ...context });
  }
}

/** A requested range is not (or no longer) readable as asked: deleted by retention, or not committed yet. Not retriable. */
export class OffsetRangeUnavailableError extends StreamingError {
  override readonly name = 'OffsetRangeUnavailableError';

  constructor(range: PartitionRange, problem: string) {
    super(`cannot read ${range.topic} partition ${range.partition} [${range.fromOffset}, ${range.toOffset}): ${problem}`, {
      topic: range.topic,
      partition: range.partition,
      offset: range.fromOffset,
    });
  }
}

/** Where a partition's read stood when it gave up. */
export interface StalledPartition {
  readonly partition: number;
  /** Next offset the reader would have read. */
  readonly position: string;
  readonly toOffset: string;
}

/** A read did not reach the end of every range in time. Retriable: a slow broker may do better next time. */
export class OffsetRangeReadTimeoutError extends StreamingError {
  override readonly name = 'OffsetRangeReadTimeoutError';

  constructor(
    topic: string,
    timeoutMs: number,
    readonly stalled: readonly StalledPartition[],
  ) {
    const shown = stalled.map(({ partition, position, toOffset }) => `partition ${partition} at ${position} of ${toOffset}`).join(', ');
    super(`reading ${topic} did not finish within ${timeoutMs} ms (${shown})`, { topic, retriable: true });
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Creates a reader on `kafka`; each call connects its own clients and disconnects them. */
export function createOffsetRangeReader(kafka: Kafka, options: OffsetRangeReaderOptions = {}): OffsetRangeReader {
  const { groupIdPrefix = 'tributary-range-read', maxWaitTimeInMs = 250 } = options;

  async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async function snapshotEndOffsets(topic: string): Promise<PartitionEndOffset[]> {
    try {
      const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
      return offsets
        .map(({ partition, high, low }) => ({ topic, partition, startOffset: low, endOffset: high }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      const refusal = kafkaAccessError(kafka, error, { operation: 'read', topics: [topic] });
      if (refusal) throw refusal;
      const reason = reasonOf(error);
      const unknownTopic = (error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
      throw new OffsetSnapshotError(topic, unknownTopic ? 'the topic does not exist' : reason, { retriable: !unknownTopic, cause: error });
    }
  }

  async function readRange<Value>(ranges: readonly PartitionRange[], decode: RecordDecoder<Value>, readOptions: ReadRangeOptions = {}): Promise<RangeReadResult<Value>> {
    const wanted = ranges.filter((range) => BigInt(range.toOffset) > BigInt(range.fromOffset));
    const topics = [...new Set(wanted.map((range) => range.topic))];
    if (topics.length > 1) throw new StreamingError(`one read covers one topic; got ${topics.join(', ')}`);
    const topic = topics[0];
    if (topic === undefined) return { records: [], undecodable: [] };
    await checkAvailable(topic, wanted);
    const groupId = `${groupIdPrefix}-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs, allowAutoTopicCreation: false });
    try {
      await consumer.connect();
      return await readWith(consumer, topic, wanted, decode, readOptions);
    } catch (error) {
      throw kafkaAccessError(kafka, error, { operation: 'read', topics: [topic], group: groupId }) ?? error;
    } finally {
      await consumer.disconnect();
    }
  }

  /** Refuses ranges that start below the retained log or end beyond the committed data, before reading a byte. */
  async function checkAvailable(topic: string, ranges: readonly PartitionRange[]): Promise<void> {
    const snapshot = await snapshotEndOffsets(topic);
    for (const range of ranges) {
      const partition = snapshot.find((offsets) => offsets.partition === range.partition);
      if (partition === undefined) throw new OffsetRangeUnavailableError(range, `the topic has no partition ${range.partition}`);
      if (BigInt(range.fromOffset) < BigInt(partition.startOffset)) {
        throw new OffsetRangeUnavailableError(range, `offsets below ${partition.startOffset} were deleted by retention`);
      }
      if (BigInt(range.toOffset) > BigInt(partition.endOffset)) {
        throw new OffsetRangeUnavailableError(range, `the committed data ends at ${partition.endOffset}`);
      }
    }
  }

  return { snapshotEndOffsets, readRange };
}

/** One partition's read state. */
interface PartitionCursor {
  readonly range: PartitionRange;
  readonly from: bigint;
  readonly to: bigint;
  /** Next offset not yet seen, aborted records and markers included. */
  position: bigint;
  /** Highest offset taken as a record or an undecodable one; a re-fetch after the seek skips what it already took. */
  taken: bigint;
  readonly records: DecodedRecord<unknown>[];
  readonly undecodable: UndecodableRecord[];
}

async function readWith<Value>(
  consumer: Consumer,
  topic: string,
  ranges: readonly PartitionRange[],
  decode: RecordDecoder<Value>,
  options: ReadRangeOptions,
): Promise<RangeReadResult<Value>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cursors = new Map<number, PartitionCursor>(
    ranges.map((range) => {
      const from = BigInt(range.fromOffset);
      return [range.partition, { range, from, to: BigInt(range.toOffset), position: from, taken: from - 1n, records: [], undecodable: [] }];
    }),
  );
  const isDone = (cursor: PartitionCursor): boolean => cursor.position >= cursor.to;
  const doneCount = (): number => [...cursors.values()].filter(isDone).length;

  let settle: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });

  const advance = (partition: number, lastOffset: string): void => {
    const cursor = cursors.get(partition);
    if (cursor === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > cursor.position) cursor.position = next;
    if (isDone(cursor)) consumer.pause([{ topic, partitions: [partition] }]);
    options.onProgress?.({
      recordsRead: [...cursors.values()].reduce((sum, each) => sum + each.records.length, 0),
      undecodable: [...cursors.values()].reduce((sum, each) => sum + each.undecodable.length, 0),
      partitionsDone: doneCount(),
      partitions: cursors.size,
    });
    if (doneCount() === cursors.size) settle();
  };
  // Emitted for every fetched batch, also one holding only aborted records or transaction markers,
  // which never reaches eachBatch: that is how a range ending in such offsets completes.
  const stopListening = consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) advance(payload.partition, payload.lastOffset);
  });

  const timer = setTimeout(() => {
    const stalled = [...cursors.values()]
      .filter((cursor) => !isDone(cursor))
      .map((cursor) => ({ partition: cursor.range.partition, position: cursor.position.toString(), toOffset: cursor.range.toOffset }));
    settle(new OffsetRangeReadTimeoutError(topic, timeoutMs, stalled));
  }, timeoutMs);
  const onAbort = (): void => settle(options.signal?.reason ?? new StreamingError(`reading ${topic} was cancelled`, { topic }));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // Resolving (in memory only: nothing is committed) moves the fetch position past the batch;
      // unresolved, kafkajs fetches the same first megabyte of the partition again and again.
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        try {
          await takeBatch(batch, cursors.get(batch.partition), decode);
        } catch (error) {
          // Thrown into kafkajs it would be retried by restarting the consumer; the read fails instead.
          settle(error);
        }
      },
    });
    for (const cursor of cursors.values()) consumer.seek({ topic, partition: cursor.range.partition, offset: cursor.range.fromOffset });
    await finished;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    stopListening();
    await consumer.stop();
  }
  const ordered = [...cursors.values()].sort((a, b) => a.range.partition - b.range.partition);
  return {
    records: ordered.flatMap((cursor) => cursor.records) as DecodedRecord<Value>[],
    undecodable: ordered.flatMap((cursor) => cursor.undecodable),
  };
}

/** Decodes the batch's records that fall in the cursor's range and were not taken before. */
async function takeBatch<Value>(batch: Batch, cursor: PartitionCursor | undefined, decode: RecordDecoder<Value>): Promise<void> {
  if (cursor === undefined) return;
  for (const message of batch.messages) {
    const offset = BigInt(message.offset);
    if (offset < cursor.from || offset >= cursor.to || offset <= cursor.taken) continue;
    cursor.taken = offset;
    const source: MessageSource = { topic: batch.topic, partition: batch.partition, offset: message.offset };
    if (message.value === null) {
      cursor.undecodable.push({ ...source, code: 'NULL_VALUE', reason: 'the record has no value (a tombstone)' });
      continue;
    }
    try {
      cursor.records.push({ value: await decode(message.value, source), source });
    } catch (error) {
      if (!(error instanceof MessageDecodeError)) throw error;
      cursor.undecodable.push({ ...source, code: error.code, reason: error.message });
    }
  }
}
