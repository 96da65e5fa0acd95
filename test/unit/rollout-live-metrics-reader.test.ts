/**
 * The live metrics reader over topics in memory: incremental polls, separate measurements, failed
 * reads, and generic records: the score record's own fields and the labels' join key and field as
 * the pipeline's definition names them, for a classifier and a regression model.
 */
import { describe, expect, it } from 'vitest';
import type { LiveMetricsScope, ScoreObservation } from '../../src/rollout/live-metrics.js';
import { createLiveMetricsReader, type LiveMetricsReader } from '../../src/rollout/live-metrics-reader.js';
import { liveMetricsSourceOf, type LiveMetricsSource } from '../../src/rollout/live-metrics-source.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange, RangeReadResult, RecordDecoder } from '../../src/streaming/offset-range-reader.js';

const TOPICS = { scores: 'scores', labels: 'labels', dlq: 'dlq' };
const FEATURES = 'features';
const SCOPE: LiveMetricsScope = { model: 'churn', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 };
/** A classifier whose labels carry the event id as `account_event` and the outcome as `churned`. */
const SOURCE: LiveMetricsSource = { task: 'binary-classification', topics: TOPICS, labelKey: 'account_event', labelField: 'churned', pipelineRevision: 3 };

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

const score = (id: string, variant: 'CHAMPION' | 'CHALLENGER', decision: 'POSITIVE' | 'NEGATIVE'): ScoreObservation & { entity_key: string } => ({
  event_id: id,
  entity_key: `account-${id}`,
  prediction: decision === 'POSITIVE' ? 0.9 : 0.1,
  decision,
  model: 'churn',
  model_version: variant === 'CHAMPION' ? 1 : 2,
  variant,
  shadow: null,
  deployment_revision: 1,
  scoring_ms: 3,
});

/** `count` scores alternating between the variants and partitions, every third one labelled positive, one dead letter per ten. */
function writeTraffic(topics: InMemoryTopics, from: number, count: number): void {
  for (let i = from; i < from + count; i += 1) {
    const id = `t-${i}`;
    topics.append('scores', i % 2, score(id, i % 2 === 0 ? 'CHAMPION' : 'CHALLENGER', i % 3 === 0 ? 'POSITIVE' : 'NEGATIVE'));
    topics.append('labels', i % 2, { account_event: id, churned: i % 3 === 0 });
    if (i % 10 === 0) topics.append('dlq', 0, { source_topic: FEATURES });
  }
}

const readerOver = (topics: InMemoryTopics): LiveMetricsReader => createLiveMetricsReader({ reader: topics, decoder: jsonDecoder });

describe('live metrics reader', () => {
  it('reads only what was written since its previous poll, and answers as a full read of the period would', async () => {
    const topics = new InMemoryTopics();
    writeTraffic(topics, 0, 10);
    const polling = readerOver(topics);
    const since = await polling.snapshot(SOURCE);
    writeTraffic(topics, 10, 100);
    await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });
    const afterFirst = topics.recordsRead;
    writeTraffic(topics, 110, 20);
    const second = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });

    // 20 scores, 20 labels and 2 dead letters were new; nothing before them was read again.
    expect(topics.recordsRead - afterFirst).toBe(42);
    expect(topics.ranges.at(-3)).toStrictEqual([
      { topic: 'scores', partition: 0, fromOffset: '55', toOffset: '65' },
      { topic: 'scores', partition: 1, fromOffset: '55', toOffset: '65' },
    ]);

    const fresh = await readerOver(topics).read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });
    expect(second).toStrictEqual(fresh);
    expect(second.scoresRead).toBe(120);
    expect(second.champion.scored + second.challenger.scored).toBe(120);
    expect(second.dlq.records).toBe(12);
  });

  it('keeps measurements apart: another step\'s snapshot is read in full', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const stepOne = await polling.snapshot(SOURCE);
    writeTraffic(topics, 0, 40);
    const stepTwo = await polling.snapshot(SOURCE);
    writeTraffic(topics, 40, 20);
    expect((await polling.read({ scope: SCOPE, since: stepOne, featuresTopic: FEATURES, source: SOURCE })).scoresRead).toBe(60);
    expect((await polling.read({ scope: SCOPE, since: stepTwo, featuresTopic: FEATURES, source: SOURCE })).scoresRead).toBe(20);
    expect((await polling.read({ scope: SCOPE, since: stepOne, featuresTopic: FEATURES, source: SOURCE })).scoresRead).toBe(60);
  });

  it('counts every record once when two polls of one measurement overlap (a retried activity beside the first attempt)', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const since = await polling.snapshot(SOURCE);
    writeTraffic(topics, 0, 50);
    const [first, second] = await Promise.all([
      polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE }),
      polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE }),
    ]);
    expect(first.scoresRead).toBe(50);
    expect(second).toStrictEqual(first);
  });

  it('starts the measurement over after a failed read, losing and doubling nothing', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const since = await polling.snapshot(SOURCE);
    writeTraffic(topics, 0, 30);
    await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });
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
    await expect(polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE })).rejects.toThrow('broker went away');
    const after = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });
    expect(after).toStrictEqual(await readerOver(topics).read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE }));
    expect(after.scoresRead).toBe(60);
    expect(after.labelsRead).toBe(60);
  });

  it('joins labels by the definition\'s join key and reads its field: booleans for a classifier', async () => {
    const topics = new InMemoryTopics();
    const polling = readerOver(topics);
    const since = await polling.snapshot(SOURCE);
    writeTraffic(topics, 0, 12);
    // A label without the outcome, and one for an event nobody scored: neither joins.
    topics.append('labels', 0, { account_event: 't-0', churned: null });
    const metrics = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source: SOURCE });
    // Champion: t-0 (positive, but its last label says nothing, so the earlier one stands), t-2, t-4, t-6, t-8, t-10: t-0 and t-6 flagged and positive.
    expect(metrics.champion.confusion).toEqual({ truePositives: 2, falsePositives: 0, trueNegatives: 4, falseNegatives: 0 });
    expect(metrics.champion.labelled).toBe(6);
    expect(metrics.task).toBe('binary-classification');
  });

  it('reads numeric labels for a regression model and measures its errors', async () => {
    const topics = new InMemoryTopics();
    const source: LiveMetricsSource = { ...SOURCE, task: 'regression', labelKey: 'order_id', labelField: 'delivery_minutes' };
    const polling = readerOver(topics);
    const since = await polling.snapshot(source);
    const predicted = (id: string, variant: 'CHAMPION' | 'CHALLENGER', prediction: number) => ({ ...score(id, variant, 'NEGATIVE'), decision: null, prediction });
    topics.append('scores', 0, predicted('o-1', 'CHAMPION', 30));
    topics.append('scores', 1, predicted('o-2', 'CHAMPION', 40));
    topics.append('scores', 0, predicted('o-3', 'CHALLENGER', 25));
    topics.append('labels', 0, { order_id: 'o-1', delivery_minutes: 33 });
    topics.append('labels', 1, { order_id: 'o-2', delivery_minutes: 39 });
    topics.append('labels', 1, { order_id: 'o-3', delivery_minutes: 20 });
    const metrics = await polling.read({ scope: SCOPE, since, featuresTopic: FEATURES, source });
    // Champion errors −3 and +1: MAE 2, RMSE √5; challenger +5.
    expect(metrics.champion.errors).toMatchObject({ labelled: 2, mae: { value: 2 }, rmse: { value: Math.sqrt(5) } });
    expect(metrics.challenger.errors).toMatchObject({ labelled: 1, mae: { value: 5 }, rmse: { value: 5 } });
    expect(metrics.errorComparison).toMatchObject({ pairing: 'unpaired', samples: 1, mae: null });
  });

  it('takes its topics and label fields from the pipeline\'s applied definition, with the topic prefix', () => {
    const definition = {
      name: 'delivery-time',
      labels: { topic: 'deliveries', joinKey: 'order_id', field: 'delivery_minutes' },
      model: { task: 'regression' },
    } as unknown as Parameters<typeof liveMetricsSourceOf>[0]['definition'];
    expect(liveMetricsSourceOf({ definition, revision: 4 }, 'dev.')).toEqual({
      task: 'regression',
      topics: { scores: 'dev.delivery-time.scores', labels: 'dev.deliveries', dlq: 'dev.delivery-time.dlq' },
      labelKey: 'order_id',
      labelField: 'delivery_minutes',
      pipelineRevision: 4,
    });
  });
});
