/**
 * Training examples come from each pipeline's own training-examples topic: the snapshot activity
 * names it from the applied definition under the topic prefix, and the Kafka source decodes every
 * topic in its writer's shape, the pre-pipeline one (src/streaming/pre-pipeline-topics.ts) included.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createExampleActivities } from '../../src/activities/example-activities.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange, RecordDecoder } from '../../src/streaming/offset-range-reader.js';
import { createKafkaExampleSource } from '../../src/training/example-source.js';
import type { ExampleFields } from '../../src/training/training-example.js';
import { fraudPipelineStore } from '../helpers/fraud-pipeline.js';

const PRE_PIPELINE = 'tributary.training-examples';
const FIELDS: ExampleFields = { eventId: 'order_id', eventTime: 'placed_at', label: 'delivery_minutes', task: 'regression' };

/** A reader over one record per range, at offset 0, that records which topics were snapshotted. */
function fakeReader(snapshotted: string[]): OffsetRangeReader {
  return {
    snapshotEndOffsets: async (topic) => {
      snapshotted.push(topic);
      return [{ topic, partition: 0, startOffset: '0', endOffset: '1' }];
    },
    readRange: async <Value>(ranges: readonly PartitionRange[], decode: RecordDecoder<Value>) => ({
      records: await Promise.all(ranges.map(async ({ topic, partition }) => ({ value: await decode(Buffer.from(topic), { topic, partition, offset: '0' }), source: { topic, partition, offset: '0' } }))),
      undecodable: [],
    }),
  };
}

/** A decoder that says which one it is in the record it returns. */
const namedDecoder = (name: string, schemaId: number): AvroDecoder => ({
  decode: async (value) => ({ schemaId, value: { order_id: `${name}:${value.toString()}`, placed_at: 1, delivery_minutes: 30.5 } }),
});

describe('the Kafka example source', () => {
  it("decodes the pre-pipeline topic and a pipeline's own alike, and snapshots the pre-pipeline one by default", async () => {
    const snapshotted: string[] = [];
    const source = createKafkaExampleSource({ topic: PRE_PIPELINE, reader: fakeReader(snapshotted), decoder: namedDecoder('writer', 9) });
    const range = (topic: string): PartitionRange => ({ topic, partition: 0, fromOffset: '0', toOffset: '1' });

    const set = await source.read([range(PRE_PIPELINE), range('tributary.delivery-time.training-examples')], FIELDS);
    expect(set.examples.map((example) => [example.id, example.label])).toEqual([
      [`writer:${PRE_PIPELINE}`, 30.5],
      ['writer:tributary.delivery-time.training-examples', 30.5],
    ]);
    expect(set.schemaIds).toEqual([9]);

    await source.snapshot();
    await source.snapshot('tributary.delivery-time.training-examples');
    expect(snapshotted).toEqual([PRE_PIPELINE, 'tributary.delivery-time.training-examples']);
  });
});

describe('snapshotTrainingExampleOffsets', () => {
  it("snapshots the pipeline's own training-examples topic under the prefix, and the pre-pipeline one without a pipeline", async () => {
    const snapshotted: string[] = [];
    const examples = createKafkaExampleSource({ topic: PRE_PIPELINE, reader: fakeReader(snapshotted), decoder: namedDecoder('writer', 9) });
    const activities = createExampleActivities({ examples, pipelines: await fraudPipelineStore('card-risk'), topicPrefix: 'acme.' });

    // The fraud example names its examples topic `training-examples` (topics.trainingExamples).
    expect(await new MockActivityEnvironment().run(activities.snapshotTrainingExampleOffsets, 'card-risk')).toEqual([{ topic: 'acme.training-examples', partition: 0, startOffset: '0', endOffset: '1' }]);
    await new MockActivityEnvironment().run(activities.snapshotTrainingExampleOffsets);
    expect(snapshotted).toEqual(['acme.training-examples', PRE_PIPELINE]);
    await expect(new MockActivityEnvironment().run(activities.snapshotTrainingExampleOffsets, 'never-applied')).rejects.toMatchObject({ type: 'PipelineNotAppliedError', nonRetryable: true });
  });
});
