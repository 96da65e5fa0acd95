import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FlinkRequestError } from '../../src/flink/errors.js';
import { deploymentRecordsDir } from '../../src/flink/deployment-paths.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import { FeatureJobAlreadyRunningError, JarBuildError } from '../../src/flink/feature-job-errors.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { ensureJar, type MavenJarModule } from '../../src/flink/jar-builder.js';
import { featureJobProgramArgs } from '../../src/flink/job-spec.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import {
  expectedFeatures,
  expectedJoinedLabels,
  watermarksAfterPhases,
  type ExpectedFeature,
  type GoldenEvents,
  type GoldenTransaction,
} from '../fixtures/feature-job/reference-features.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { collectingConsumer, createTopic, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { FRAUD_SCHEMA_DIRECTORY } from '../helpers/fraud-topics.js';

/** The example's Maven module, which its definition's build names. */
const fraudModule = fraudJarJob.module!;

const golden = JSON.parse(readFileSync(new URL('../fixtures/feature-job/golden-events.json', import.meta.url), 'utf8')) as GoldenEvents;
const schemaText = (file: string): string => readFileSync(join(FRAUD_SCHEMA_DIRECTORY, file), 'utf8');

/** Where the event-time job writes (logical names under the run's prefix); it reads the same transactions and labels. */
const EVENT_TIME_TOPICS = { features: 'features-event-time', trainingExamples: 'training-examples-event-time', dlq: 'dlq-event-time' } as const;
/** Relative tolerance for doubles: the job and this test add the same amounts in different orders. */
const RELATIVE_TOLERANCE = 1e-9;
/** Records reach read_committed readers only when the checkpoint after them completes (every 10 s). */
const COMMIT_TIMEOUT_MS = 90_000;
const WATERMARK_TIMEOUT_MS = 60_000;

type Decoded = Record<string, unknown>;

describe('Flink feature job (real Kafka, registry and Flink)', () => {
  const runId = randomBytes(4).toString('hex');
  const baseConfig = loadConfig();
  const config: TributaryConfig = { ...baseConfig, topics: { prefix: `test.fj-${runId}.` } };
  const topic = (logical: string): string => `${config.topics.prefix}${logical}`;
  const jobName = `tributary-feature-job-it-${runId}`;
  /** The same job with `--feature-timing event-time`, reading the same inputs and writing its own topics: the exact-replay mode. */
  const eventTimeJobName = `${jobName}-event-time`;
  const jobVersion = `it-${runId}`;
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const deployer = new FeatureJobDeployer(config, { rest });
  const registry = new SchemaRegistry({ host: config.schemaRegistry.url });
  const kafka = createKafka(config, { clientIdSuffix: `feature-job-it-${runId}` });
  const hash = (value: string): string => createHmac('sha256', config.pii.hashKey).update(value, 'utf8').digest('hex');

  let admin: Admin;
  let producer: Producer;
  /** The job as the example's definition runs it (features on arrival). */
  let submitted: SubmittedFeatureJob;
  let eventTimeJob: SubmittedFeatureJob;
  let transactionSchemaId: number;
  let labelSchemaId: number;
  let features: CollectingConsumer;
  let eventTimeFeatures: CollectingConsumer;
  let trainingExamples: CollectingConsumer;
  let deadLetters: CollectingConsumer;
  /** Newest event time produced so far: later tests produce after it so nothing of theirs is late. */
  let newestEventTime = 0;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    for (const logical of ['transactions', 'labels', 'features', 'training-examples', 'dlq', ...Object.values(EVENT_TIME_TOPICS)]) await createTopic(admin, topic(logical));
    transactionSchemaId = (await registry.register({ type: SchemaType.AVRO, schema: schemaText('transaction.avsc') }, { subject: `${topic('transactions')}-value` })).id;
    labelSchemaId = (await registry.register({ type: SchemaType.AVRO, schema: schemaText('label.avsc') }, { subject: `${topic('labels')}-value` })).id;
    // One request in flight keeps the produce order, which the golden phases depend on.
    producer = kafka.producer({ maxInFlightRequests: 1 });
    await producer.connect();
    features = await collectingConsumer(kafka, topic('features'));
    eventTimeFeatures = await collectingConsumer(kafka, topic(EVENT_TIME_TOPICS.features));
    trainingExamples = await collectingConsumer(kafka, topic('training-examples'));
    deadLetters = await collectingConsumer(kafka, topic('dlq'));
    const job = { ...fraudJarJob, labelHorizonMs: golden.label_horizon_ms };
    const outOfOrderness = { 'out-of-orderness-ms': String(golden.out_of_orderness_ms) };
    // One after the other: a stale jar is built by the first submit, not by two Maven runs at once.
    submitted = await deployer.submit({ job, jobName, jobVersion, argumentOverrides: outOfOrderness });
    eventTimeJob = await deployer.submit({
      job: { ...job, topics: { ...job.topics, ...EVENT_TIME_TOPICS } },
      jobName: eventTimeJobName,
      jobVersion,
      argumentOverrides: { ...outOfOrderness, 'feature-timing': 'event-time' },
    });
  });

  afterAll(async () => {
    await removeFeatureJobDeployments(config, jobName);
    await removeFeatureJobDeployments(config, eventTimeJobName);
    await Promise.all([features, eventTimeFeatures, trainingExamples, deadLetters].map((consumer) => consumer?.consumer.disconnect()));
    await producer?.disconnect();
    await admin?.disconnect();
  });

  const transactionRecord = (txn: GoldenTransaction): Record<string, unknown> => {
    const card = golden.cards[txn.card];
    const place = golden.places[txn.place];
    if (!card || !place) throw new Error(`fixture: ${txn.id} names an unknown card or place`);
    return {
      transaction_id: txn.id,
      card_number: card.card_number,
      email: card.email,
      merchant_id: txn.merchant,
      merchant_category: txn.category,
      amount: txn.amount,
      currency: 'EUR',
      country: 'XX',
      latitude: place[0],
      longitude: place[1],
      device_id: txn.device,
      channel: 'ONLINE',
      event_time: Date.parse(txn.at),
    };
  };

  async function produceTransactions(transactions: readonly GoldenTransaction[]): Promise<void> {
    const messages = await Promise.all(transactions.map(async (txn) => ({ key: txn.id, value: await registry.encode(transactionSchemaId, transactionRecord(txn)) })));
    await producer.send({ topic: topic('transactions'), messages });
    for (const txn of transactions) newestEventTime = Math.max(newestEventTime, Date.parse(txn.at));
  }

  async function vertexId(namePrefix: string, jobId = submitted.jobId): Promise<string> {
    const { vertices } = await rest.jobDetails(jobId);
    const vertex = vertices.find((candidate) => candidate.name.startsWith(namePrefix));
    if (!vertex) throw new Error(`job ${jobId} has no vertex named "${namePrefix}…": ${vertices.map((v) => v.name).join(' | ')}`);
    return vertex.id;
  }

  /** Waits until the feature operator's input watermark in `jobId` reaches `watermark` (epoch ms). */
  async function waitForFeatureWatermark(jobId: string, watermark: number): Promise<void> {
    const id = await vertexId('card features', jobId);
    await waitFor(`the feature operator's watermark to reach ${new Date(watermark).toISOString()}`, async () => {
      const watermarks = await rest.vertexWatermarks(jobId, id);
      return watermarks.length > 0 && watermarks.every((subtask) => Number(subtask.value) >= watermark) ? true : undefined;
    }, WATERMARK_TIMEOUT_MS, 200);
  }

  const decodeAll = (consumer: CollectingConsumer): Promise<Decoded[]> =>
    Promise.all(consumer.received.map(async ({ message }) => (await registry.decode(message.value as Buffer)) as Decoded));

  const flushTransactions = (at: string, idPrefix: string): GoldenTransaction[] =>
    Object.keys(golden.cards).map((card) => ({ id: `${idPrefix}-${card}`, card, at, merchant: 'm-flush', category: 'flush', amount: 1, place: 'berlin', device: 'dev-flush' }));

  function expectClose(actual: unknown, expected: number | null, field: string, id: string): void {
    if (expected === null) {
      expect(actual, `${id}.${field}`).toBeNull();
      return;
    }
    expect(typeof actual, `${id}.${field}`).toBe('number');
    const tolerance = Math.max(1e-9, Math.abs(expected) * RELATIVE_TOLERANCE);
    expect(Math.abs((actual as number) - expected), `${id}.${field}: ${String(actual)} vs expected ${expected}`).toBeLessThanOrEqual(tolerance);
  }

  function expectFeature(actual: Decoded, expected: ExpectedFeature): void {
    const id = expected.transaction_id;
    const card = golden.cards[expected.card];
    const txn = golden.phases.flat().find((candidate) => candidate.id === id);
    expect(actual).toMatchObject({
      transaction_id: id,
      card_hash: hash(card?.card_number ?? ''),
      email_hash: hash(card?.email ?? ''),
      merchant_id: txn?.merchant,
      merchant_category: txn?.category,
      event_time: expected.event_time,
      txn_count_10m: expected.txn_count_10m,
      txn_count_1h: expected.txn_count_1h,
      txn_count_24h: expected.txn_count_24h,
      distinct_merchants_1h: expected.distinct_merchants_1h,
      is_new_device: expected.is_new_device,
      hour_of_day: expected.hour_of_day,
      feature_job_version: jobVersion,
    });
    for (const field of [
      'amount', 'amount_sum_10m', 'amount_mean_10m', 'amount_max_10m', 'amount_sum_1h', 'amount_mean_1h', 'amount_max_1h',
      'amount_sum_24h', 'amount_mean_24h', 'amount_max_24h', 'seconds_since_prev', 'amount_to_mean_24h', 'distance_km_from_prev', 'speed_kmh_from_prev',
    ] as const) {
      expectClose(actual[field], expected[field], field, id);
    }
  }

  /** Waits for the golden features in `consumer`, then checks each against the reference; returns them by transaction id. */
  async function expectGoldenFeatures(consumer: CollectingConsumer, expected: readonly ExpectedFeature[], goldenIds: ReadonlySet<string>): Promise<Map<string, Decoded>> {
    await waitFor(`${expected.length} feature records`, () => (consumer.received.length >= expected.length ? true : undefined), COMMIT_TIMEOUT_MS, 250);
    const decoded = await decodeAll(consumer);
    const byId = new Map(decoded.map((feature) => [feature.transaction_id as string, feature]));
    expect(decoded.map((feature) => feature.transaction_id).sort()).toEqual([...goldenIds].sort());
    for (const feature of expected) expectFeature(byId.get(feature.transaction_id) ?? {}, feature);
    for (const { message } of consumer.received) {
      expect(message.key?.toString()).toBe((await registry.decode(message.value as Buffer) as Decoded).card_hash);
    }
    return byId;
  }

  it('computes the golden features on arrival, the last before any newer transaction, and in event time in the event-time job, and joins exactly the labels within the horizon to the features served', async () => {
    const onArrival = expectedFeatures(golden, 'arrival');
    const inEventTime = expectedFeatures(golden, 'event-time');
    const goldenIds = new Set(onArrival.map((feature) => feature.transaction_id));

    // Labels first, so they wait in the join's state before their features exist.
    const labelMessages = await Promise.all(golden.labels.map(async (label) => ({
      key: label.transaction_id,
      value: await registry.encode(labelSchemaId, { ...label, label_time: Date.parse(label.label_time) }),
    })));
    await producer.send({ topic: topic('labels'), messages: labelMessages });
    const labelsVertex = await vertexId('Source: labels source');
    await waitFor('the job to read every label', async () => {
      const vertex = (await rest.jobDetails(submitted.jobId)).vertices.find((v) => v.id === labelsVertex);
      return (vertex?.metrics?.['write-records'] ?? 0) >= golden.labels.length ? true : undefined;
    }, WATERMARK_TIMEOUT_MS, 500);

    // Each phase's lateness in the event-time job depends on the watermark it reached before the next.
    const watermarks = watermarksAfterPhases(golden);
    for (const [index, phase] of golden.phases.entries()) {
      await produceTransactions(phase);
      await waitForFeatureWatermark(eventTimeJob.jobId, watermarks[index] ?? Number.NaN);
    }
    // The stream is quiet now: no transaction after the last phase's. On arrival, every feature
    // comes out regardless, the last transaction's (a15, beyond the watermark) included.
    const byId = await expectGoldenFeatures(features, onArrival, goldenIds);
    // The event-time job cannot have described it: its watermark stays behind until newer transactions arrive.
    const last = golden.phases.at(-1)?.at(-1)?.id;
    expect(byId.has(last ?? '')).toBe(true);
    expect((await decodeAll(eventTimeFeatures)).map((feature) => feature.transaction_id)).not.toContain(last);

    // In event time, the transactions beyond the watermark wait for newer ones: the flush moves it past them.
    await produceTransactions(flushTransactions(golden.flush_at, 'flush-1'));
    await waitForFeatureWatermark(eventTimeJob.jobId, watermarks.at(-1) ?? Number.NaN);
    await expectGoldenFeatures(eventTimeFeatures, inEventTime, goldenIds);
    await removeFeatureJobDeployments(config, eventTimeJobName);

    const joined = expectedJoinedLabels(golden);
    await waitFor(`${joined.length} training examples`, () => (trainingExamples.received.length >= joined.length ? true : undefined), COMMIT_TIMEOUT_MS, 250);
    // A join that wrongly matched a label outside the horizon would commit with the same
    // checkpoint; wait for a later one before asserting there is nothing more.
    const checkpointSeen = (await rest.checkpoints(submitted.jobId)).latest.completed?.id ?? 0;
    await waitFor('a later completed checkpoint', async () => ((await rest.checkpoints(submitted.jobId)).latest.completed?.id ?? 0) > checkpointSeen ? true : undefined, COMMIT_TIMEOUT_MS, 500);
    const examples = await decodeAll(trainingExamples);
    expect(examples.map((example) => example.transaction_id).sort()).toEqual(joined.map((label) => label.transaction_id).sort());
    // Each example holds the features record served for its transaction, field for field.
    for (const label of joined) {
      const example = examples.find((candidate) => candidate.transaction_id === label.transaction_id) ?? {};
      expect(example).toMatchObject({ ...byId.get(label.transaction_id), is_fraud: label.is_fraud, label_source: label.source, label_time: Date.parse(label.label_time) });
    }
    for (const { message } of trainingExamples.received) expect(message.key?.toString()).toMatch(/^[a-c]\d\d$/);

    // Raw PII never leaves the job's source operator.
    const pii = Object.values(golden.cards).flatMap((card) => [card.card_number, card.email]);
    for (const { message } of [...features.received, ...trainingExamples.received]) {
      for (const value of pii) {
        expect(message.value?.includes(value), `raw ${value} in ${message.value?.toString('hex')}`).toBe(false);
        expect(message.key?.includes(value) ?? false).toBe(false);
      }
    }
  });

  it('sends poison records to the dead-letter queue with their bytes and reason, and keeps running', async () => {
    const notAvro = Buffer.from('definitely not avro');
    const unknownSchemaId = 2_000_000_011;
    // Magic byte 0, a schema id the registry never issued, then a few bytes of "Avro".
    const unknownSchema = Buffer.from([0, 0, 0, 0, 0, 2, 4, 6]);
    unknownSchema.writeInt32BE(unknownSchemaId, 1);
    const [sent] = await producer.send({ topic: topic('transactions'), messages: [{ key: 'poison-1', value: notAvro }, { key: 'poison-2', value: unknownSchema }] });
    const firstOffset = Number(sent?.baseOffset);

    const afterPoison: GoldenTransaction = { id: 'after-poison', card: 'B', at: new Date(newestEventTime + 60_000).toISOString(), merchant: 'm-after', category: 'grocery', amount: 9.5, place: 'paris', device: 'dev-b1' };
    await produceTransactions([afterPoison]);
    await produceTransactions(flushTransactions(new Date(newestEventTime + 10 * 24 * 3_600_000).toISOString(), 'flush-2'));

    await waitFor('two dead letters', () => (deadLetters.received.length >= 2 ? true : undefined), COMMIT_TIMEOUT_MS, 250);
    const letters = await decodeAll(deadLetters);
    expect(letters).toHaveLength(2);
    const [first, second] = letters;
    expect(first).toMatchObject({ source_topic: topic('transactions'), source_partition: 0, source_offset: firstOffset, error_type: 'NOT_CONFLUENT_WIRE_FORMAT', component: 'feature-job' });
    expect(first?.reason).toMatch(/magic byte 0/);
    expect(Buffer.from(first?.original_value as Buffer).equals(notAvro)).toBe(true);
    expect(Buffer.from(first?.original_key as Buffer).toString()).toBe('poison-1');
    expect(second).toMatchObject({ source_offset: firstOffset + 1, error_type: 'UNKNOWN_SCHEMA_ID' });
    expect(second?.reason).toMatch(new RegExp(`schema id ${unknownSchemaId} is not in the registry`));
    expect(Buffer.from(second?.original_value as Buffer).equals(unknownSchema)).toBe(true);
    expect(deadLetters.received.map(({ message }) => message.key?.toString())).toEqual(['poison-1', 'poison-2']);

    await waitFor('the feature of the transaction after the poison records', async () =>
      (await decodeAll(features)).some((feature) => feature.transaction_id === 'after-poison') ? true : undefined, COMMIT_TIMEOUT_MS, 500);
    expect((await rest.jobDetails(submitted.jobId)).state).toBe('RUNNING');
    expect((await rest.exceptions(submitted.jobId)).exceptionHistory.entries).toEqual([]);
  });

  it('reports the running job, with its last checkpoint, and refuses a second one of the same name', async () => {
    const status = await deployer.status(jobName);
    expect(status).toMatchObject({ jobId: submitted.jobId, name: jobName, state: 'RUNNING' });
    expect(status?.lastCheckpoint?.id).toBeGreaterThan(0);
    const refusal = await deployer.submit({ job: fraudJarJob, jobName, jobVersion }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(FeatureJobAlreadyRunningError);
    expect((refusal as Error).message).toBe(
      `feature job "${jobName}" is already RUNNING as job ${submitted.jobId}; to run another version, upgrade it with its state: \`tributary flink deploy ${jobName} --job-version <version>\`; ` +
        `to stop it, \`tributary flink cancel --job-name ${jobName}\` (takes a savepoint and prints the command that resumes from it)`,
    );
    // The submit recorded the job as its name's deployment, so `flink deploy` upgrades it by savepoint.
    expect((await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(jobName)).current).toMatchObject({ jobId: submitted.jobId, spec: { version: jobVersion } });
  });

  it('fails a run with a missing argument with Flink\'s text naming the argument', async () => {
    const jarId = await rest.uploadJar(submitted.jarPath);
    try {
      const args = featureJobProgramArgs(submitted.spec);
      const at = args.indexOf('--features-topic');
      args.splice(at, 2);
      const failure = await rest.runJar(jarId, { programArgs: args }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(FlinkRequestError);
      expect((failure as FlinkRequestError).status).toBeGreaterThanOrEqual(400);
      expect((failure as Error).message).toMatch(/invalid feature job arguments \(1 problem\):\n\s+--features-topic is required/);
    } finally {
      await rest.deleteJar(jarId);
    }
    expect((await rest.listJars()).some((jar) => jar.id === jarId)).toBe(false);
  });

  it('fails a broken build with Maven\'s output', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tributary-broken-job-'));
    try {
      const moduleDir = join(scratch, 'feature-job');
      cpSync(fraudModule.moduleDir, moduleDir, { recursive: true, filter: (source) => !source.includes(`${join('feature-job', 'target')}`) });
      const broken = join(moduleDir, 'src', 'main', 'java', 'dev', 'tributary', 'flink', 'features', 'PiiHasher.java');
      writeFileSync(broken, `${readFileSync(broken, 'utf8')}\nthis is not Java;\n`);
      const module: MavenJarModule = { moduleDir, jar: fraudModule.jar, inputs: [moduleDir] };
      const failure = await ensureJar(module).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(JarBuildError);
      expect((failure as JarBuildError).moduleDir).toBe(moduleDir);
      expect((failure as Error).message).toMatch(/exit code 1/);
      expect((failure as JarBuildError).outputTail).toMatch(/PiiHasher\.java/);
      expect((failure as JarBuildError).outputTail).toMatch(/COMPILATION ERROR|class, interface, enum, or record expected/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 180_000);
});
