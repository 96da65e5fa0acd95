/**
 * The delivery example's Flink SQL feature job and the generic label join, generated from
 * examples/delivery/pipeline.yaml and submitted through the real SQL Gateway to the real Flink
 * cluster, over real Kafka topics (a prefix of this run's own) and the real Schema Registry.
 * The example's generator makes the events; `tributary produce` (the built binary: run
 * `npm run build` first) puts them in. The audit reads with read_committed: every order gives
 * exactly one features record, with the values computed here from the generated events (the
 * restaurant's 30-minute load, the courier when one was assigned within 10 minutes, the keyed
 * hash of the customer), and every delivered order exactly one training example with its label.
 * A query that does not parse is one line with the gateway's message and the file's line.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryEventFiles, generateDeliveryEvents, type DeliveryEvents } from '../../examples/delivery/generate-events.js';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { LABEL_TIME_FIELD } from '../../src/flink/label-join.js';
import { ensureSqlPipelineJobs } from '../../src/flink/sql-feature-job-deploy.js';
import { SqlStatementError } from '../../src/flink/sql-feature-job-errors.js';
import { buildSqlFeatureJob, checkSqlJob, prepareSqlJobEnvironment, readDefinitionFiles, submitSqlJob, type SqlJobEnvironment } from '../../src/flink/sql-feature-job.js';
import { SqlGatewayClient } from '../../src/flink/sql-gateway-client.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { platformTopicNames } from '../../src/pipelines/pipeline-topics.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { frameWithSchemaId } from '../../src/streaming/wire-format.js';
import { collectingConsumer, createTopic, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const DEFINITION_FILE = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
const PREFIX = `test.sqlfj-${randomBytes(4).toString('hex')}.`;
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: PREFIX } };
const ORDERS = 1_500;
/** Orders produced after the feature job was restarted from its savepoint. */
const LATER_ORDERS = 300;
const PARTITIONS = 2;
const MINUTE = 60_000;
const HORIZON_MS = 3 * 60 * MINUTE;

type Row = Record<string, unknown>;

/** Runs the built binary with this run's prefix. */
function tributary(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The features record each order should give, computed from the generated events as the query means them. */
function expectedFeatures(events: DeliveryEvents, hashKey: string): Map<string, Row> {
  const assignments = new Map(events.assignments.map((assignment) => [assignment.order_id, assignment]));
  const expected = new Map<string, Row>();
  for (const order of events.orders) {
    const window = events.orders.filter((other) => other.restaurant_id === order.restaurant_id && other.placed_at >= order.placed_at - 30 * MINUTE && other.placed_at <= order.placed_at);
    const assignment = assignments.get(order.order_id);
    const inTime = assignment !== undefined && assignment.assigned_at >= order.placed_at && assignment.assigned_at <= order.placed_at + 10 * MINUTE;
    expected.set(order.order_id, {
      order_id: order.order_id,
      customer_hash: createHmac('sha256', hashKey).update(order.customer_id, 'utf8').digest('hex'),
      city: order.city,
      placed_at: order.placed_at,
      distance_km: order.distance_km,
      items: order.items,
      order_value: order.order_value,
      promised_minutes: order.promised_minutes,
      restaurant_orders_30m: window.length,
      restaurant_avg_items_30m: window.reduce((sum, other) => sum + other.items, 0) / window.length,
      courier_distance_km: inTime ? assignment.courier_distance_km : null,
      courier_active_orders: inTime ? assignment.courier_active_orders : null,
    });
  }
  return expected;
}

describe('the delivery example\'s Flink SQL feature job and label join on the real stack', () => {
  // A name of this run's own, so its Flink jobs are told apart from any other run's of the example.
  const definition: PipelineDefinition = { ...loadPipelineDefinition(DEFINITION_FILE), name: `delivery-time-${randomBytes(4).toString('hex')}` };
  const TRAINING_EXAMPLES = platformTopicNames(definition).trainingExamples;
  const files = readDefinitionFiles(definition, dirname(DEFINITION_FILE));
  const events = generateDeliveryEvents({ orders: ORDERS, seed: 11 });
  const topics = [...definition.sources.map((source) => source.topic), definition.features.topic, definition.labels.topic, TRAINING_EXAMPLES];
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-sql-feature-job-'));
  const gateway = new SqlGatewayClient({ baseUrl: config.flink.sqlGatewayUrl });
  const flink = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const jobIds: string[] = [];
  const consumers: CollectingConsumer[] = [];
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let registry: SchemaRegistryClient;
  let env: SqlJobEnvironment;

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'sql-feature-job-test' });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    for (const topic of topics) await createTopic(admin, `${PREFIX}${topic}`, PARTITIONS);
    registry = createSchemaRegistryClient(config.schemaRegistry);
    for (const source of definition.sources) await registry.register(`${PREFIX}${source.topic}-value`, files[source.schema]!);
    await registry.register(`${PREFIX}${definition.labels.topic}-value`, files[definition.labels.schema]!);
    await registry.register(`${PREFIX}${definition.features.topic}-value`, files[definition.features.schema]!);
    env = await prepareSqlJobEnvironment(config);
  });

  afterAll(async () => {
    // Test-owned jobs hold task slots other suites need; no savepoint is worth keeping.
    await Promise.all(jobIds.map((jobId) => flink.cancel(jobId).catch(() => undefined)));
    await Promise.all(consumers.map((consumer) => consumer.consumer.disconnect()));
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: topics.map((topic) => `${PREFIX}${topic}`) }).catch(() => undefined);
    await admin?.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** One record to each partition of a source, far later than every event, so its watermark passes them all. */
  async function flush(topic: string, schemaFile: string, record: (partition: number) => Row): Promise<void> {
    const type = avro.Type.forSchema(JSON.parse(files[schemaFile]!) as avro.Schema);
    const schemaId = await registry.register(`${PREFIX}${topic}-value`, files[schemaFile]!);
    await producer.send({
      topic: `${PREFIX}${topic}`,
      messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: frameWithSchemaId(schemaId, type.toBuffer(record(partition))) })),
    });
  }

  /** Writes the events' files and produces them with `tributary produce`, all topics at once, as they would arrive live (neither source idles behind the other). */
  async function produceEvents(batch: DeliveryEvents, name: string): Promise<void> {
    const written = Object.entries(deliveryEventFiles(batch)).map(([topic, text]) => {
      const file = join(scratch, `${name}.${topic}.jsonl`);
      writeFileSync(file, text);
      return [topic, file] as const;
    });
    const runs = await Promise.all(written.map(([topic, file]) => tributary(['produce', topic, '--file', file])));
    for (const run of runs) expect(run.stderr, run.stderr).toBe('');
  }

  /** Moves both sources' watermarks past every event so far: one order and one assignment per partition, a day after `time`. */
  async function flushAfter(time: number, name: string): Promise<void> {
    const at = time + 24 * 60 * MINUTE;
    await flush('orders', 'schemas/order.avsc', (partition) => ({
      order_id: `flush-${name}-${partition}`, customer_id: 'flush', restaurant_id: 'flush', city: 'flush', placed_at: at, distance_km: 1, items: 1, order_value: 1, promised_minutes: null,
    }));
    await flush('courier-assignments', 'schemas/courier-assignment.avsc', (partition) => ({
      order_id: `flush-${name}-${partition}`, courier_id: 'flush', assigned_at: at, courier_distance_km: 1, courier_active_orders: 0,
    }));
  }

  /** The deliveries that make training examples: within the horizon of their order. */
  const labelledOf = (batch: DeliveryEvents): DeliveryEvents['deliveries'] => {
    const placed = new Map(batch.orders.map((order) => [order.order_id, order.placed_at]));
    return batch.deliveries.filter((delivery) => delivery.delivered_at >= placed.get(delivery.order_id)! && delivery.delivered_at <= placed.get(delivery.order_id)! + HORIZON_MS);
  };

  it('writes exactly one features record per order and one training example per delivered order, with the right values, also across a restart from a savepoint', async () => {
    const step = { config, definition, files, gateway, flink, registry };
    const started = await ensureSqlPipelineJobs(step);
    jobIds.push(...started.map((outcome) => outcome.jobId));
    expect(started.map(({ jobName, action }) => `${jobName} ${action}`)).toEqual([`${definition.name}-features submitted`, `${definition.name}-label-join submitted`]);
    for (const jobId of jobIds) await flink.waitForJobState(jobId, ['RUNNING'], 120_000);
    // The step a second time starts nothing.
    expect(await ensureSqlPipelineJobs(step)).toEqual(started.map((outcome) => ({ ...outcome, action: 'running' })));

    await produceEvents(events, 'first');
    await flushAfter(events.orders.at(-1)!.placed_at, 'first');

    const decoder = createAvroDecoder(registry);
    const features = await collectingConsumer(kafka, `${PREFIX}${definition.features.topic}`);
    const examples = await collectingConsumer(kafka, `${PREFIX}${TRAINING_EXAMPLES}`);
    consumers.push(features, examples);
    const expected = expectedFeatures(events, config.pii.hashKey);
    const labelled = labelledOf(events);
    await waitFor(`${ORDERS} features records`, () => (features.received.length >= ORDERS ? true : undefined), 150_000, 1000);
    await waitFor(`${labelled.length} training examples`, () => (examples.received.length >= labelled.length ? true : undefined), 150_000, 1000);

    /** The consumer's records, decoded; the flush orders are the test's own, not events. */
    const decodeAll = async (consumer: CollectingConsumer): Promise<Row[]> =>
      (await Promise.all(consumer.received.map(async ({ message }) => (await decoder.decode(message.value!)).value as Row))).filter((row) => !String(row.order_id).startsWith('flush-'));
    const featureRows = await decodeAll(features);
    expect(featureRows).toHaveLength(ORDERS);
    const byOrder = new Map(featureRows.map((row) => [row.order_id as string, row]));
    expect(byOrder.size).toBe(ORDERS);
    for (const [orderId, want] of expected) {
      const got = byOrder.get(orderId);
      expect(got, orderId).toBeDefined();
      expect({ ...got, restaurant_avg_items_30m: undefined }, orderId).toEqual({ ...want, restaurant_avg_items_30m: undefined });
      expect(got!.restaurant_avg_items_30m as number, orderId).toBeCloseTo(want.restaurant_avg_items_30m as number, 9);
    }
    // Keyed by the entity, as the sink declares.
    features.received.forEach(({ message }, index) => expect(message.key?.toString()).toBe(featureRows[index]!.customer_hash));
    const firstJob = jobIds[0]!;

    const exampleRows = await decodeAll(examples);
    expect(exampleRows).toHaveLength(labelled.length);
    const exampleByOrder = new Map(exampleRows.map((row) => [row.order_id as string, row]));
    expect(exampleByOrder.size).toBe(labelled.length);
    for (const delivery of labelled) {
      const row = exampleByOrder.get(delivery.order_id);
      expect(row, delivery.order_id).toEqual({ ...byOrder.get(delivery.order_id), delivery_minutes: delivery.delivery_minutes, [LABEL_TIME_FIELD]: delivery.delivered_at });
    }

    // The PII hash key appears nowhere in what the Flink REST API shows of the running feature job.
    const shown = JSON.stringify([
      await flink.jobDetails(firstJob),
      await fetch(`${config.flink.restUrl}/jobs/${firstJob}/config`).then((response) => response.json()),
      await fetch(`${config.flink.restUrl}/jobs/${firstJob}/plan`).then((response) => response.json()),
    ]);
    expect(shown).toContain('tributary_pii_hash');
    expect(shown).not.toContain(config.pii.hashKey);

    // Stopped with a savepoint and started from it, as an upgrade does: the orders after it are
    // featured exactly once, and none before it again (its windows and join state come back).
    const trigger = await flink.stopWithSavepoint(firstJob, { drain: false });
    const savepoint = await flink.waitForSavepoint(firstJob, trigger, 120_000);
    const resumed = randomBytes(16).toString('hex');
    // Under a job id chosen here, as a deployment chooses it so that a retry finds its job.
    jobIds.push(await submitSqlJob(gateway, buildSqlFeatureJob(definition, files, env), { restoreFrom: savepoint, jobId: resumed }));
    await flink.waitForJobState(resumed, ['RUNNING'], 120_000);
    const rename = (id: string): string => id.replace(/^o-/, 'later-');
    const fresh = generateDeliveryEvents({ orders: LATER_ORDERS, seed: 12, start: events.orders.at(-1)!.placed_at + 25 * 60 * MINUTE });
    const later: DeliveryEvents = {
      orders: fresh.orders.map((order) => ({ ...order, order_id: rename(order.order_id) })),
      assignments: fresh.assignments.map((assignment) => ({ ...assignment, order_id: rename(assignment.order_id) })),
      deliveries: fresh.deliveries.map((delivery) => ({ ...delivery, order_id: rename(delivery.order_id) })),
    };
    await produceEvents(later, 'later');
    await flushAfter(later.orders.at(-1)!.placed_at, 'later');
    const labelledLater = labelledOf(later);
    const total = ORDERS + LATER_ORDERS;
    await waitFor(`${total} features records`, async () => ((await decodeAll(features)).length >= total ? true : undefined), 150_000, 1000);
    await waitFor(`${labelled.length + labelledLater.length} training examples`, async () => ((await decodeAll(examples)).length >= labelled.length + labelledLater.length ? true : undefined), 150_000, 1000);
    const allRows = await decodeAll(features);
    expect(allRows).toHaveLength(total);
    const allByOrder = new Map(allRows.map((row) => [row.order_id as string, row]));
    expect(allByOrder.size).toBe(total);
    // A day of event time lies between the two batches, so the later windows hold later orders only.
    for (const [orderId, want] of expectedFeatures(later, config.pii.hashKey)) {
      expect({ ...allByOrder.get(orderId), restaurant_avg_items_30m: undefined }, orderId).toEqual({ ...want, restaurant_avg_items_30m: undefined });
    }
    const allExamples = await decodeAll(examples);
    expect(allExamples).toHaveLength(labelled.length + labelledLater.length);
    expect(new Set(allExamples.map((row) => row.order_id)).size).toBe(labelled.length + labelledLater.length);
  });

  /** The example's files with features.sql replaced. */
  const withQuery = (text: string): Record<string, string> => ({ ...files, 'features.sql': text });

  it('checking a query that does not parse gives one line: the file, its line, and the gateway\'s message', async () => {
    const failure = await checkSqlJob(gateway, buildSqlFeatureJob(definition, withQuery('SELECT order_id,\n  customer_id AS customer_hash\nFORM orders;\n'), env)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SqlStatementError);
    expect((failure as SqlStatementError).message).toMatch(/^features\.sql:3: SQL parse failed\. Encountered "FORM" at line 3, column 1\.?$/);
  });

  it('checking a query that lacks a field of the features schema names the field, on the query\'s first line', async () => {
    const query = files['features.sql']!.replace('  a.courier_active_orders\n', '  a.courier_id\n');
    const failure = await checkSqlJob(gateway, buildSqlFeatureJob(definition, withQuery(query), env)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SqlStatementError);
    const { message } = failure as SqlStatementError;
    expect(message.split('\n')).toHaveLength(1);
    // The last statement, the query, starts at the file's last line that begins with SELECT.
    const selectLine = Math.max(...query.split('\n').map((line, index) => (line.startsWith('SELECT') ? index + 1 : 0)));
    expect(message).toBe(`features.sql:${selectLine}: the query gives no column "courier_active_orders", a field of the features schema; the query must give every field of it, by name`);
  });

  it('checking the example\'s own query succeeds and starts no job', async () => {
    const before = (await flink.listJobs()).length;
    await checkSqlJob(gateway, buildSqlFeatureJob(definition, files, env));
    expect((await flink.listJobs()).length).toBe(before);
  });
});
