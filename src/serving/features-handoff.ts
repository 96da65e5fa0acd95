/**
 * The scorer's side of a blue/green feature-job upgrade. When a deployment moves the features
 * topic, records of the previous topic from `overlapFrom` on may reappear in the new topic (both
 * jobs ran for a while). The events the scorer group already scored from the previous topic
 * are exactly those between `overlapFrom` and the group's committed offsets there (what was
 * committed is what was scored: scores and offsets commit together). Reading that range gives
 * the set of event ids to skip in the new topic; everything else in the new topic is scored.
 *
 * The committed offsets only stop moving when no member of the group reads the previous topic any
 * more, so the set is built after every member has moved on (each worker follows the same
 * deployment record, so they all do). Before a worker moves, it drains the previous topic to
 * where it ended when the move arrived ({@link unscoredBefore}): records the old job committed
 * before its savepoint are only there.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AssignerProtocol, type Admin } from 'kafkajs';
import { reasonOf } from '../errors/tributary-error.js';
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange } from '../streaming/offset-range-reader.js';
import { ServingError } from './errors.js';
import type { FeaturesHandoff, PartitionOffset } from './model-deployment.js';

/** Event ids (the values of the served model's `features.eventId` field) already scored from the previous features topic. */
export interface HandoffSkipSet {
  readonly previousTopic: string;
  readonly eventIds: ReadonlySet<string>;
}

/** No handoff: nothing is skipped. */
export const NOTHING_TO_SKIP: HandoffSkipSet = { previousTopic: '', eventIds: new Set() };

/** Building the skip set failed; the scorer does not consume the new topic until it succeeds. */
export class FeaturesHandoffError extends ServingError {
  override readonly name = 'FeaturesHandoffError';
}

/**
 * Per partition of the previous topic, the range [overlapFrom, committed): records the group
 * scored that may reappear. A partition without a committed offset (the group never scored it) or
 * committed at or before its overlap start contributes nothing.
 */
export function scoredOverlapRanges(handoff: FeaturesHandoff, committed: readonly PartitionOffset[]): PartitionRange[] {
  const committedByPartition = new Map(committed.map(({ partition, offset }) => [partition, BigInt(offset)]));
  return handoff.overlapFrom.flatMap(({ partition, offset }) => {
    const to = committedByPartition.get(partition);
    if (to === undefined || to < 0n || to <= BigInt(offset)) return [];
    return [{ topic: handoff.previousTopic, partition, fromOffset: offset, toOffset: to.toString() }];
  });
}

/** The value of `field` in a decoded record, as the scorer reads an event id (a string or a whole number). */
const eventIdIn = (value: unknown, field: string): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Readonly<Record<string, unknown>>)[field];
  return typeof id === 'string' ? id : typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : undefined;
};

export interface HandoffDependencies {
  readonly admin: Admin;
  readonly reader: OffsetRangeReader;
  readonly decoder: AvroDecoder;
}

export interface HandoffOptions {
  /** How long to wait for the group's other members to stop reading the previous topic. @default 60_000 */
  readonly membersLeaveTimeoutMs?: number;
  /** @default 120_000 */
  readonly readTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** A skip set's read: the field of a features record that holds its event id. */
export interface HandoffRecordFields {
  readonly eventId: string;
}

/**
 * Committed records of `topic` the group has not scored, per partition below `ends` (the ends
 * taken when the features topic moved). A scorer drains the previous topic to those ends before
 * it moves: the records the old feature job committed before its savepoint are only there, and
 * the skip set covers exactly what was scored, so leaving any behind would leave a gap.
 */
export async function unscoredBefore(dependencies: Pick<HandoffDependencies, 'admin' | 'reader'>, groupId: string, topic: string, ends: readonly PartitionOffset[]): Promise<number> {
  const [offsets] = await dependencies.admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
  const ranges = ends.flatMap(({ partition, offset }) => {
    const from = committed.get(partition) ?? -1n;
    // -1: the group never committed here; everything retained is unscored.
    const start = from < 0n ? 0n : from;
    return start < BigInt(offset) ? [{ topic, partition, fromOffset: start.toString(), toOffset: offset }] : [];
  });
  if (ranges.length === 0) return 0;
  // Transaction markers hold offsets too: only real records count.
  const read = await dependencies.reader.readRange(ranges, () => Promise.resolve(undefined), { timeoutMs: 60_000 });
  return read.records.length + read.undecodable.length;
}

/**
 * Waits until no member of `groupId` subscribes to the previous topic, then reads what the group
 * scored there from the overlap on. Records that do not decode were dead-lettered, never scored,
 * and are not in the set.
 */
export async function scoredBeforeHandoff(
  dependencies: HandoffDependencies,
  groupId: string,
  handoff: FeaturesHandoff,
  fields: HandoffRecordFields,
  options: HandoffOptions = {},
): Promise<HandoffSkipSet> {
  const { admin, reader, decoder } = dependencies;
  const log = options.log ?? (() => undefined);
  try {
    await waitUntilNoMemberReads(admin, groupId, handoff.previousTopic, options.membersLeaveTimeoutMs ?? 60_000, log);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [handoff.previousTopic] });
    const committed = (offsets?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
    const ranges = scoredOverlapRanges(handoff, committed);
    const read = await reader.readRange(ranges, async (value, source) => eventIdIn((await decoder.decode(value, source)).value, fields.eventId), {
      timeoutMs: options.readTimeoutMs ?? 120_000,
    });
    const eventIds = new Set(read.records.map((record) => record.value).filter((id): id is string => id !== undefined));
    return { previousTopic: handoff.previousTopic, eventIds };
  } catch (error) {
    if (error instanceof FeaturesHandoffError) throw error;
    throw new FeaturesHandoffError(`cannot tell which events of ${handoff.previousTopic} group ${groupId} already scored: ${reasonOf(error)}`, { retriable: true, cause: error });
  }
}

/** Members of the group whose subscription names `topic`. */
async function membersReading(admin: Admin, groupId: string, topic: string): Promise<string[]> {
  const { groups } = await admin.describeGroups([groupId]);
  return (groups[0]?.members ?? [])
    .filter((member) => {
      if (member.memberMetadata.length === 0) return false;
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      return metadata?.topics.includes(topic) ?? false;
    })
    .map((member) => member.memberId);
}

async function waitUntilNoMemberReads(admin: Admin, groupId: string, topic: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reported = false;
  for (;;) {
    const members = await membersReading(admin, groupId, topic);
    if (members.length === 0) return;
    if (Date.now() > deadline) {
      throw new FeaturesHandoffError(`members ${members.join(', ')} of group ${groupId} still read ${topic} after ${timeoutMs} ms; they have not applied the deployment that moved the features topic`, { retriable: true });
    }
    if (!reported) log(`waiting for ${members.length} member(s) of group ${groupId} to stop reading ${topic} before taking over`);
    reported = true;
    await delay(500);
  }
}
