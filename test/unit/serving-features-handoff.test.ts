import type { Admin } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import { UndecodableError } from '../../src/streaming/errors.js';
import type { OffsetRangeReader, PartitionRange, RecordDecoder } from '../../src/streaming/offset-range-reader.js';
import { FeaturesHandoffError, scoredBeforeHandoff, scoredOverlapRanges } from '../../src/serving/features-handoff.js';
import type { FeaturesHandoff } from '../../src/serving/model-deployment.js';

const handoff: FeaturesHandoff = {
  previousTopic: 'tributary.features.v1',
  overlapFrom: [
    { partition: 0, offset: '100' },
    { partition: 1, offset: '50' },
    { partition: 2, offset: '10' },
  ],
};

describe('scoredOverlapRanges', () => {
  it('covers [overlapFrom, committed) per partition and nothing where the group committed nothing past the overlap', () => {
    const committed = [
      { partition: 0, offset: '130' },
      { partition: 1, offset: '50' },
      { partition: 2, offset: '-1' },
    ];
    expect(scoredOverlapRanges(handoff, committed)).toEqual([{ topic: 'tributary.features.v1', partition: 0, fromOffset: '100', toOffset: '130' }]);
  });

  it('leaves out a partition the group has no offset for', () => {
    expect(scoredOverlapRanges(handoff, [{ partition: 1, offset: '52' }])).toEqual([{ topic: 'tributary.features.v1', partition: 1, fromOffset: '50', toOffset: '52' }]);
  });
});

/** Records of the previous topic, by partition and offset; `bad` stands for bytes that do not decode. */
const previousTopic: Record<number, Record<number, string>> = { 0: { 100: 't-100', 101: 'bad', 102: 't-102' }, 1: { 50: 't-50' } };

function fakeReader(): OffsetRangeReader & { readonly asked: PartitionRange[][] } {
  const asked: PartitionRange[][] = [];
  return {
    asked,
    snapshotEndOffsets: () => Promise.reject(new Error('not used')),
    async readRange<Value>(ranges: readonly PartitionRange[], decode: RecordDecoder<Value>) {
      asked.push([...ranges]);
      const records = [];
      const undecodable = [];
      for (const range of ranges) {
        for (let offset = Number(range.fromOffset); offset < Number(range.toOffset); offset += 1) {
          const source = { topic: range.topic, partition: range.partition, offset: String(offset) };
          try {
            records.push({ value: await decode(Buffer.from(previousTopic[range.partition]?.[offset] ?? ''), source), source });
          } catch (error) {
            undecodable.push({ ...source, code: 'UNDECODABLE' as const, reason: String(error) });
          }
        }
      }
      return { records, undecodable };
    },
  };
}

const decoder: AvroDecoder = {
  decode: (value, source) => (value.toString() === 'bad' ? Promise.reject(new UndecodableError('bad bytes', source)) : Promise.resolve({ schemaId: 1, value: { order_id: value.toString(), customer_hash: 'c-1' } })),
};

function fakeAdmin(memberTopics: string[][]): Admin {
  let describeCalls = 0;
  return {
    describeGroups: () => {
      // The other member reads the previous topic on the first look, and has moved on by the second.
      const members = describeCalls === 0 ? memberTopics : [];
      describeCalls += 1;
      return Promise.resolve({
        groups: [{ members: members.map((topics, index) => ({ memberId: `member-${index}`, memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) })) }],
      });
    },
    fetchOffsets: () => Promise.resolve([{ topic: 'tributary.features.v1', partitions: [{ partition: 0, offset: '103' }, { partition: 1, offset: '51' }, { partition: 2, offset: '-1' }] }]),
  } as unknown as Admin;
}

describe('scoredBeforeHandoff', () => {
  it('waits for members still reading the previous topic, then collects the event ids (the named field) the group committed from the overlap on', async () => {
    const reader = fakeReader();
    const lines: string[] = [];
    const skip = await scoredBeforeHandoff({ admin: fakeAdmin([['tributary.features.v1']]), reader, decoder }, 'scorers', handoff, { eventId: 'order_id' }, { log: (line) => lines.push(line) });
    expect([...skip.eventIds].sort()).toEqual(['t-100', 't-102', 't-50']);
    expect(skip.previousTopic).toBe('tributary.features.v1');
    expect(reader.asked).toEqual([
      [
        { topic: 'tributary.features.v1', partition: 0, fromOffset: '100', toOffset: '103' },
        { topic: 'tributary.features.v1', partition: 1, fromOffset: '50', toOffset: '51' },
      ],
    ]);
    expect(lines).toEqual(['waiting for 1 member(s) of group scorers to stop reading tributary.features.v1 before taking over']);
  });

  it('gives up with a retriable error naming the members that never moved on', async () => {
    // A fresh fake per look: the member reads the previous topic every time.
    const stuckForever = { describeGroups: () => fakeAdmin([['tributary.features.v1']]).describeGroups([]) } as unknown as Admin;
    const failure = scoredBeforeHandoff({ admin: stuckForever, reader: fakeReader(), decoder }, 'scorers', handoff, { eventId: 'order_id' }, { membersLeaveTimeoutMs: 0 });
    await expect(failure).rejects.toBeInstanceOf(FeaturesHandoffError);
    await expect(failure).rejects.toThrow(
      'members member-0 of group scorers still read tributary.features.v1 after 0 ms; they have not applied the deployment that moved the features topic',
    );
    await expect(failure).rejects.toMatchObject({ retriable: true });
  });
});
