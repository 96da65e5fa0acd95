/**
 * The worker's handoff steps alone: a fake admin answers the group's committed offsets, a fake
 * reader counts the records of each range, and a fake back-off records the waits.
 */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { NOTHING_TO_SKIP } from '../../src/serving/features-handoff.js';
import type { ModelDeployment } from '../../src/serving/model-deployment.js';
import { retryDelay } from '../../src/serving/retry-backoff.js';
import { ScorerHandoff } from '../../src/serving/scorer-handoff.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { KafkaAccessAttempt } from '../../src/streaming/errors.js';
import type { OffsetRangeReader, PartitionRange } from '../../src/streaming/offset-range-reader.js';
import { deploymentOf } from '../helpers/scoring-models.js';
import { recordingBackoff } from '../fakes/recording-backoff.js';

const GROUP = 'tributary.scorer.fraud';
const PREVIOUS = 'tributary.features.v1';

interface Harness {
  readonly handoff: ScorerHandoff;
  readonly log: string[];
  readonly waits: number[];
  readonly readers: string[];
  readonly snapshots: { count: number };
  readonly ranges: PartitionRange[][];
  readonly refusalChecks: KafkaAccessAttempt[];
}

/**
 * `committed`: the group's committed offsets of partitions 0 and 1, one pair per look (the last
 * one repeats). The topic ends at 10 and 4 when the move arrives, at 20 and 8 afterwards.
 * `snapshotFailures`: how many end-offset snapshots fail first.
 */
function harness(options: { committed: [string, string][]; snapshotFailures?: number; refused?: boolean; stopped?: boolean }): Harness {
  const log: string[] = [];
  const waits: number[] = [];
  const readers: string[] = [];
  const snapshots = { count: 0 };
  const ranges: PartitionRange[][] = [];
  const refusalChecks: KafkaAccessAttempt[] = [];
  let looks = 0;
  const admin = {
    fetchOffsets: ({ topics }: { topics: string[] }) => {
      const [p0, p1] = options.committed[Math.min(looks, options.committed.length - 1)]!;
      looks += 1;
      return Promise.resolve([{ topic: topics[0], partitions: [{ partition: 0, offset: p0 }, { partition: 1, offset: p1 }] }]);
    },
    describeGroups: () => Promise.resolve({ groups: [{ members: [] }] }),
  } as unknown as Admin;
  const reader: OffsetRangeReader = {
    snapshotEndOffsets: (topic) => {
      snapshots.count += 1;
      if (snapshots.count <= (options.snapshotFailures ?? 0)) return Promise.reject(new Error('the cluster is unreachable'));
      const [end0, end1] = snapshots.count === (options.snapshotFailures ?? 0) + 1 ? ['10', '4'] : ['20', '8'];
      return Promise.resolve([
        { topic, partition: 0, startOffset: '0', endOffset: end0 },
        { topic, partition: 1, startOffset: '0', endOffset: end1 },
      ]);
    },
    async readRange(asked, decode) {
      ranges.push([...asked]);
      const records = [];
      for (const range of asked) {
        for (let offset = Number(range.fromOffset); offset < Number(range.toOffset); offset += 1) {
          const source = { topic: range.topic, partition: range.partition, offset: String(offset) };
          records.push({ value: await decode(Buffer.from(`t-${range.partition}-${offset}`), source), source });
        }
      }
      return { records, undecodable: [] };
    },
  };
  const decoder: AvroDecoder = { decode: (value) => Promise.resolve({ schemaId: 1, value: { order_id: value.toString() } }) };
  const backoff = recordingBackoff(waits, options.stopped ?? false);
  const handoff = new ScorerHandoff({
    admin,
    openReader: (prefix) => {
      readers.push(prefix);
      return reader;
    },
    decoder,
    groupId: GROUP,
    log: (line) => log.push(line),
    backoff,
    stopIfRefused: (_error, attempt) => {
      refusalChecks.push(attempt);
      return Promise.resolve(options.refused ?? false);
    },
    eventIdField: () => 'order_id',
  });
  return { handoff, log, waits, readers, snapshots, ranges, refusalChecks };
}

describe('ScorerHandoff.drain', () => {
  it('looks again every 500 ms until the group has scored up to where the topic ended when the move arrived, not where it ends later', async () => {
    // First look: partition 0 committed 6 of 10 (4 left), partition 1 all 4. Second look: 10 and 4, nothing left.
    const { handoff, log, waits, readers, snapshots, ranges } = harness({ committed: [['6', '4'], ['10', '4']] });
    await handoff.drain(PREVIOUS);
    expect(readers).toEqual([`${GROUP}.drain`]);
    expect(snapshots.count).toBe(1);
    expect(ranges).toEqual([[{ topic: PREVIOUS, partition: 0, fromOffset: '6', toOffset: '10' }]]);
    expect(log).toEqual([`draining ${PREVIOUS} before moving: 4 committed record(s) not scored yet`]);
    expect(waits).toEqual([500]);
  });

  it('counts every retained record of a partition the group never committed (-1)', async () => {
    const { handoff, log } = harness({ committed: [['10', '-1'], ['10', '4']] });
    await handoff.drain(PREVIOUS);
    expect(log).toEqual([`draining ${PREVIOUS} before moving: 4 committed record(s) not scored yet`]);
  });

  it('tries again after 200 then 400 ms when it cannot tell what is left', async () => {
    const { handoff, log, waits, refusalChecks } = harness({ committed: [['10', '4']], snapshotFailures: 2 });
    await handoff.drain(PREVIOUS);
    expect(waits).toEqual([200, 400]);
    expect(log).toEqual([1, 2].map((attempt) => `cannot tell whether ${PREVIOUS} is drained (attempt ${attempt}): the cluster is unreachable; trying again in ${retryDelay(attempt, 10_000)} ms`));
    expect(refusalChecks).toEqual([1, 2].map(() => ({ operation: 'read', topics: [PREVIOUS], group: GROUP })));
  });

  it('gives up at once when the broker refuses the read, and does not start once the worker stops', async () => {
    const refused = harness({ committed: [['10', '4']], snapshotFailures: 1, refused: true });
    await refused.handoff.drain(PREVIOUS);
    expect([refused.snapshots.count, refused.waits]).toEqual([1, []]);

    const stopped = harness({ committed: [['0', '0']], stopped: true });
    await stopped.handoff.drain(PREVIOUS);
    expect([stopped.snapshots.count, stopped.log]).toEqual([0, []]);
  });
});

describe('ScorerHandoff.skipSetFor', () => {
  it('skips nothing, reading nothing, without a handoff or when the handoff names the same topic', async () => {
    const { handoff, readers } = harness({ committed: [['0', '0']] });
    const plain = deploymentOf({ revision: 1, champion: null });
    expect(await handoff.skipSetFor(plain)).toBe(NOTHING_TO_SKIP);
    expect(await handoff.skipSetFor({ ...plain, featuresHandoff: { previousTopic: plain.featuresTopic, overlapFrom: [] } })).toBe(NOTHING_TO_SKIP);
    expect(readers).toEqual([]);
  });

  it('collects the events (by the champion\'s event id field) the group scored in the previous topic from the overlap on', async () => {
    const { handoff, readers, log } = harness({ committed: [['3', '1']] });
    const moved: ModelDeployment = {
      ...deploymentOf({ revision: 2, champion: null }),
      featuresTopic: 'tributary.features.v2',
      featuresHandoff: { previousTopic: PREVIOUS, overlapFrom: [{ partition: 0, offset: '1' }, { partition: 1, offset: '1' }] },
    };
    const skip = await handoff.skipSetFor(moved);
    // Partition 0 from 1 up to its committed 3: offsets 1 and 2; partition 1 committed 1, nothing past the overlap.
    expect([...skip.eventIds]).toEqual(['t-0-1', 't-0-2']);
    expect(readers).toEqual([`${GROUP}.handoff`]);
    expect(log).toEqual([`handoff from ${PREVIOUS}: 2 events scored there from the overlap on are skipped in tributary.features.v2`]);
  });
});
