/**
 * Reads the one partition of a registry topic in order and knows how far it has read, so a caller
 * can wait until everything committed before a moment has been handed over ("caught up").
 * kafkajs has no manual partition assignment, so this is a consumer in a group of its own that
 * never commits: every follower reads from where it was told to start, and its group vanishes
 * when it stops.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { RegistryReadTimeoutError, RegistryStorageError } from './errors.js';
import { reasonOf } from '../errors/tributary-error.js';
import { kafkaAccessError } from '../streaming/kafka-client.js';

export interface PartitionFollowerOptions {
  readonly kafka: Kafka;
  /** Asks for the end offset; it lists offsets read_committed, so an open transaction's records are not waited for. */
  readonly admin: Admin;
  readonly topic: string;
  /** Prefix of the follower's throwaway consumer group. */
  readonly groupIdPrefix: string;
  /** First offset to read. @default the beginning of the partition */
  readonly fromOffset?: string;
  /**
   * Called for every committed record from `fromOffset` on, in offset order (a record may come
   * twice when the first fetch raced the seek); the position moves past it only after this returns.
   */
  readonly onMessage: (message: KafkaMessage) => void | Promise<void>;
}

interface Waiter {
  readonly target: bigint;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const PARTITION = 0;
const isUnknownTopic = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'type' in error && error.type === 'UNKNOWN_TOPIC_OR_PARTITION';

export class PartitionFollower {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  /** The next offset to read: one past the last record (or transaction marker) handed over. */
  private position: bigint;
  private failure: unknown;
  private waiters: Waiter[] = [];

  private constructor(private readonly options: PartitionFollowerOptions) {
    this.groupId = `${options.groupIdPrefix}-${randomUUID()}`;
    this.position = BigInt(options.fromOffset ?? '0');
    // read_committed: an aborted registration (a fenced writer) is never seen.
    this.consumer = options.kafka.consumer({ groupId: this.groupId, readUncommitted: false, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  }

  /** Joins a fresh group and starts reading from `fromOffset` (or the beginning). */
  static async start(options: PartitionFollowerOptions): Promise<PartitionFollower> {
    const follower = new PartitionFollower(options);
    await follower.run();
    return follower;
  }

  private async run(): Promise<void> {
    const { topic, fromOffset, onMessage } = this.options;
    try {
      // Every batch, including one holding only a transaction marker, moves the position past its last offset.
      this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => this.advanceTo(BigInt(payload.lastOffset) + 1n));
      // kafkajs restarts the consumer after a retriable crash; only a crash it gives up on ends the follower.
      this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) this.fail(payload.error);
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topic, fromBeginning: true });
      const first = BigInt(fromOffset ?? '0');
      // A fetch from the beginning may run before the seek below takes effect: records before fromOffset are not handed over.
      await this.consumer.run({ autoCommit: false, eachMessage: async ({ message }) => (BigInt(message.offset) < first ? undefined : onMessage(message)) });
      if (fromOffset !== undefined) this.consumer.seek({ topic, partition: PARTITION, offset: fromOffset });
    } catch (error) {
      await this.consumer.disconnect();
      if (isUnknownTopic(error)) {
        throw new RegistryStorageError(`starting to read ${topic}`, 'the topic does not exist; create it with `tributary topics ensure`', { cause: error, retriable: false });
      }
      throw this.storageError(`starting to read ${topic}`, error);
    }
  }

  /**
   * Resolves once every record committed on the partition when this is called has been handed to
   * `onMessage`. Throws {@link RegistryReadTimeoutError} after `timeoutMs`.
   */
  async catchUp(timeoutMs: number): Promise<void> {
    const { topic, admin } = this.options;
    let target: bigint;
    try {
      const [end] = await admin.fetchTopicOffsets(topic);
      target = BigInt(end?.offset ?? '0');
    } catch (error) {
      throw this.storageError(`asking for the end offset of ${topic}`, error);
    }
    await this.reach(target, timeoutMs);
  }

  /**
   * Resolves once the record at `offset` (and everything before it) has been handed to
   * `onMessage`, or skipped as aborted. A writer waits on its own record this way: right after a
   * commit the broker may not have written the commit marker yet, so the end offset can still be
   * below the record. Throws {@link RegistryReadTimeoutError} after `timeoutMs`.
   */
  async readPast(offset: string, timeoutMs: number): Promise<void> {
    await this.reach(BigInt(offset) + 1n, timeoutMs);
  }

  private async reach(target: bigint, timeoutMs: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.position >= target) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        reject(new RegistryReadTimeoutError(this.options.topic, String(target), String(this.position), timeoutMs));
      }, timeoutMs);
      const entry: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(entry);
    });
  }

  /** Stops reading and leaves the group, which has no committed offsets and so disappears. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.fail(new RegistryStorageError(`reading ${this.options.topic}`, 'the reader was stopped'));
  }

  private advanceTo(next: bigint): void {
    if (next <= this.position) return;
    this.position = next;
    const reached = this.waiters.filter((waiter) => waiter.target <= next);
    this.waiters = this.waiters.filter((waiter) => waiter.target > next);
    for (const waiter of reached) waiter.resolve();
  }

  /** Retriable, unless the broker refused these credentials or this principal: then it says who was refused what, and retrying cannot help. */
  private storageError(action: string, error: unknown): RegistryStorageError {
    const refusal = kafkaAccessError(this.options.kafka, error, { operation: 'read', topics: [this.options.topic], group: this.groupId });
    if (refusal) return new RegistryStorageError(action, refusal.message, { cause: refusal, retriable: false });
    return new RegistryStorageError(action, reasonOf(error), { cause: error, retriable: true });
  }

  private fail(error: unknown): void {
    this.failure = error instanceof RegistryStorageError ? error : this.storageError(`reading ${this.options.topic}`, error);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) waiter.reject(this.failure);
  }
}
