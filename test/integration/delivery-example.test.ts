/**
 * The delivery example (examples/delivery) end to end on the real stack, from its files alone and
 * the commands its README gives a new user: `pipeline validate` and `pipeline apply` (the Flink SQL
 * feature query and the generated label join start on the real cluster), the generator's events
 * put in with `tributary produce`, training examples out of the label join; `tributary train` on a
 * real Temporal worker trains a regression model that passes the definition's gates and becomes
 * champion; `tributary serve` scores every features record exactly once (read_committed audit),
 * with the pipeline's name, the order id, a numeric prediction and the champion's version, and
 * nothing in the DLQ.
 *
 * Re-applying an unchanged file is test/integration/pipeline-apply.test.ts's, on the same example.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { platformTopicNames } from '../../src/pipelines/pipeline-topics.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { cancelPipelineJobs, DeliveryExampleCopy, labelledOrderIds, readCommitted, tributaryCli, type DeliveryEventFiles } from '../helpers/delivery-example.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';

const RUN = randomBytes(4).toString('hex');
const ORDERS = 3_000;
const SEED = 1;
const base = loadConfig();
const config: TributaryConfig = { ...base, topics: { prefix: `test.delivery-${RUN}.` }, temporal: { ...base.temporal, taskQueue: `test-delivery-${RUN}` } };
const NAME = `delivery-time-${RUN}`;

type Row = Record<string, unknown>;

describe('the delivery example end to end on the real stack', () => {
  const example = new DeliveryExampleCopy(NAME);
  const definition = loadPipelineDefinition(example.file);
  const topics = {
    features: `${config.topics.prefix}${definition.features.topic}`,
    trainingExamples: `${config.topics.prefix}${platformTopicNames(definition).trainingExamples}`,
    scores: `${config.topics.prefix}${platformTopicNames(definition).scores}`,
    dlq: `${config.topics.prefix}${platformTopicNames(definition).dlq}`,
  };
  const tributary = tributaryCli(config);
  const kafka: Kafka = createKafka(config, { clientIdSuffix: `delivery-example-${RUN}` });
  const consumers: CollectingConsumer[] = [];
  /** What the closing note needs, printed once at the end. */
  const figures: Record<string, unknown> = {};
  let admin: Admin;
  let events: DeliveryEventFiles;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    console.info(`delivery example: ${JSON.stringify(figures)}`);
    await cancelPipelineJobs(config, NAME);
    await Promise.all(consumers.map((consumer) => consumer.consumer.disconnect()));
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(config.topics.prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    example.remove();
  });

  it('validates, applies, takes the generated events with tributary produce, and the label join writes one training example per delivered order', async () => {
    const validated = await tributary('pipeline', 'validate', example.file);
    expect(validated).toEqual({ code: 0, stdout: `${example.file}: valid (2 sources, 11 inputs, task regression)\n`, stderr: '' });

    const applied = await tributary('pipeline', 'apply', example.file, '--by', 'delivery-example-test');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`^feature job ${NAME}-features: submitted through the SQL Gateway as job [0-9a-f]{32}; feature job ${NAME}-label-join: submitted`, 'm'));
    expect(applied.stdout).toMatch(new RegExp(`^${NAME}: applied \\(\\d+ changes; revision 1\\)$`, 'm'));

    events = await example.generate(ORDERS, SEED);
    expect(events.orders).toHaveLength(ORDERS);
    // The README's commands, in its order.
    for (const [topic, file, key] of [
      ['orders', events.files.orders, 'customer_id'],
      ['courier-assignments', events.files['courier-assignments'], 'order_id'],
      ['deliveries', events.files.deliveries, 'order_id'],
    ] as const) {
      const produced = await tributary('produce', topic, '--file', file, '--key', key);
      expect(produced.code, produced.stderr).toBe(0);
    }
    // Every partition of each source gets a later event, so the watermarks pass the last orders.
    const partitions = (await admin.fetchTopicOffsets(`${config.topics.prefix}orders`)).length;
    const flush = example.writeWatermarkFlush(Math.max(...events.orders.map((order) => order.placed_at)), partitions);
    for (const [topic, file] of [['orders', flush.orders], ['courier-assignments', flush.assignments]] as const) {
      const produced = await tributary('produce', topic, '--file', file);
      expect(produced.code, produced.stderr).toBe(0);
      expect(produced.stdout).toContain(`(partitions ${Array.from({ length: partitions }, (_, partition) => `${partition}: 2`).join(', ')})`);
    }

    const labelled = labelledOrderIds(events, 3 * 3_600_000);
    const features = await collectingConsumer(kafka, topics.features);
    const examples = await collectingConsumer(kafka, topics.trainingExamples);
    consumers.push(features, examples);
    await waitFor(`${ORDERS} features records`, () => (features.received.length >= ORDERS ? true : undefined), 240_000, 1_000);
    await waitFor(`${labelled.size} training examples`, () => (examples.received.length >= labelled.size ? true : undefined), 240_000, 1_000);

    const featureRows = (await readCommitted<Row>(kafka, config, topics.features)).rows;
    expect(featureRows).toHaveLength(ORDERS);
    expect(new Set(featureRows.map((row) => row.order_id))).toEqual(new Set(events.orders.map((order) => order.order_id)));
    const exampleRows = (await readCommitted<Row>(kafka, config, topics.trainingExamples)).rows;
    expect(exampleRows).toHaveLength(labelled.size);
    expect(new Set(exampleRows.map((row) => row.order_id))).toEqual(labelled);
    const minutes = new Map(events.deliveries.map((delivery) => [delivery.order_id, delivery.delivery_minutes]));
    for (const row of exampleRows) expect(row.delivery_minutes, String(row.order_id)).toBe(minutes.get(row.order_id as string));
    Object.assign(figures, { orders: ORDERS, featuresRecords: featureRows.length, trainingExamples: exampleRows.length });
  });
});
