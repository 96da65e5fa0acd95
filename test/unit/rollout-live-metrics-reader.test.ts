import { describe, expect, it } from 'vitest';
import type { LiveMetricsScope, ScoreObservation } from '../../src/rollout/live-metrics.js';
import { createLiveMetricsReader, type LiveMetricsReader } from '../../src/rollout/live-metrics-reader.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange, RangeReadResult, RecordDecoder } from '../../src/streaming/offset-range-reader.js';

const TOPICS = { scores: 'scores', labels: 'labels', dlq: 'dlq' };
const FEATURES = 'features';
const SCOPE: LiveMetricsScope = { model: 'fraud', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 };

/** Topics of two partitions in memory, values as JSON; it counts the records every read returns. */
class InMemoryTopics implements OffsetRangeReader {
  readonly logs = new Map<string, Buffer[][]>(Object.values(TOPICS).map((topic) => [topic, [[], []]]));
  recordsRead = 0;
  readonly ranges: PartitionRange[][] = [];

  append(topic: string, partition: number, value: object): void {
    this.logs.get(topic)![partition]!.push(Buffer.from(JSON.stringify(value)));
  }

  async snapshotEndOffsets(topic: string) {
    return this.logs.get(topic)!.map((log, partition) => ({ topic, partition, startOffset: '0', endOffset: String(log.length) }));
  }

  async readRange<Value>(ranges: readonly PartitionRange[], decode: RecordDecoder<Value>): Promise<RangeReadResult<Value>> {
    this.ranges.push([...ranges]);
    const records = [];
    for (const { topic, partition, fromOffset, toOffset } of ranges) {
      const log = this.logs.get(topic)![partition]!;
      for (let offset = Number(fromOffset); offset < Number(toOffset); offset += 1) {
        const source = { topic, partition, offset: String(offset) };
        records.push({ value: await decode(log[offset]!, source), source });
      }
    }
    this.recordsRead += records.length;
    return { records, undecodable: [] };
  }
}

const jsonDecoder: AvroDecoder = { decode: async (value) => ({ schemaId: 1, value: JSON.parse(value.toString('utf8')) as unknown }) };

const score = (id: string, variant: 'CHAMPION' | 'CHALLENGER', decision: 'APPROVE' | 'DECLINE'): ScoreObservation & { card_hash: string } => ({
  transaction_id: id,
  card_hash: `card-${id}`,
  score: decision === 'DECLINE' ? 0.9 : 0.1,
  decision,
  model: 'fraud',
  model_version: variant === 'CHAMPION' ? 1 : 2,
  variant,
  shadow: null,
  deployment_revision: 1,
  scoring_ms: 3,
});

/** `count` scores alternating between the variants and partitions, every third one labelled fraud, one dead letter per ten. */
function writeTraffic(topics: InMemoryTopics, from: number, count: number): void {
  for (let i = from; i < from + count; i += 1) {
    const id = `t-${i}`;
    topics.append('scores', i % 2, score(id, i % 2 === 0 ? 'CHAMPION' : 'CHALLENGER', i % 3 === 0 ? 'DECLINE' : 'APPROVE'));
    topics.append('labels', i % 2, { transaction_id: id, is_fraud: i % 3 === 0 });
    if (i % 10 === 0) topics.append('dlq', 0, { source_topic: FEATURES });
  }
}

const readerOver = (topics: InMemoryTopics): LiveMetricsReader => createLiveMetricsReader({ reader: topics, decoder: jsonDecoder, topics: TOPICS });

describe('live metrics reader', () => {
  it('reads only what was written since its previous poll, and answers as a full read of the period would', async () => {
    const topics = new InMemoryTopics();
    writeTraffic(topics, 0, 10);
    const polling = readerOver(topics);
    const since = await polling.snapshot();
    writeTraffic(topics, 10, 100);
    await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES });
    const afterFirst = topics.recordsRead;
    writeTraffic(topics, 110, 20);
    const second = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES });

    // 20 scores, 20 labels and 2 dead letters were new; nothing before them was read again.
    expect(topics.recordsRead - afterFirst).toBe(42);
    expect(topics.ranges.at(-3)).toStrictEqual([
      { topic: 'scores', partition: 0, fromOffset: '55', toOffset: '65' },
      { topic: 'scores', partition: 1, fromOffset: '55', toOffset: '65' },
    ]);

    const fresh = await readerOver(topics).read({ scope: SCOPE, since, featuresTopic: FEATURES });
    expect(second).toStrictEqual(fresh);
    expect(second.scoresRead).toBe(120);
    expect(second.champion.scored + second.challenger.scored).toBe(120);
    expect(second.dlq.records).toBe(12);
  });

  it('keeps measurements apart: another step\'s snapshot is read in full', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const stepOne = await polling.snapshot();
    writeTraffic(topics, 0, 40);
    const stepTwo = await polling.snapshot();
    writeTraffic(topics, 40, 20);
    expect((await polling.read({ scope: SCOPE, since: stepOne, featuresTopic: FEATURES })).scoresRead).toBe(60);
    expect((await polling.read({ scope: SCOPE, since: stepTwo, featuresTopic: FEATURES })).scoresRead).toBe(20);
    expect((await polling.read({ scope: SCOPE, since: stepOne, featuresTopic: FEATURES })).scoresRead).toBe(60);
  });

  it('counts every record once when two polls of one measurement overlap (a retried activity beside the first attempt)', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const since = await polling.snapshot();
    writeTraffic(topics, 0, 50);
    const [first, second] = await Promise.all([
      polling.read({ scope: SCOPE, since, featuresTopic: FEATURES }),
      polling.read({ scope: SCOPE, since, featuresTopic: FEATURES }),
    ]);
    expect(first.scoresRead).toBe(50);
    expect(second).toStrictEqual(first);
  });

  it('starts the measurement over after a failed read, losing and doubling nothing', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const since = await polling.snapshot();
    writeTraffic(topics, 0, 30);
    await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES });
    writeTraffic(topics, 30, 30);
    const readRange = topics.readRange.bind(topics);
    let failNext = true;
    topics.readRange = async (ranges, decode) => {
      // The labels read fails once, after the scores were read.
      if (failNext && ranges[0]?.topic === 'labels') {
        failNext = false;
        throw new Error('broker went away');
      }
      return readRange(ranges, decode);
    };
    await expect(polling.read({ scope: SCOPE, since, featuresTopic: FEATURES })).rejects.toThrow('broker went away');
    const after = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES });
    expect(after).toStrictEqual(await readerOver(topics).read({ scope: SCOPE, since, featuresTopic: FEATURES }));
    expect(after.scoresRead).toBe(60);
    expect(after.labelsRead).toBe(60);
  });
});
