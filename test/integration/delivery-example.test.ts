/**
 * The delivery example (examples/delivery) end to end on the real stack, from its files alone and
 * the commands its README gives a new user: `pipeline validate` and `pipeline apply` (the Flink SQL
 * feature query and the generated label join start on the real cluster), the generator's events
 * put in with `tributary produce`, training examples out of the label join; `tributary train` on a
 * real Temporal worker trains a regression model that passes the definition's gates and becomes
 * champion; `tributary serve` scores every features record exactly once (read_committed audit),
 * with the pipeline's name, the order id, a numeric prediction and the champion's version, and
 * nothing in the DLQ. Then the fraud example beside it, on the same prefix, worker and cluster (its
 * catalogue topics, its Java feature job, simulated transactions): its model trains on the same
 * worker, and each scorer scores its own stream only.
 *
 * Re-applying an unchanged file is test/integration/pipeline-apply.test.ts's, on the same example.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { parseDuration } from '../../src/pipelines/duration.js';
import { platformTopicNames } from '../../src/pipelines/pipeline-topics.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog } from '../../src/serving/deployment-log.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { simulatorTopics } from '../../examples/fraud/fraud-pipeline.js';
import { createKafkaSimulationSink } from '../../examples/fraud/simulator/kafka-sink.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import { runSimulation } from '../../examples/fraud/simulator/simulation-runner.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import type { trainingPipeline, TrainingPipelineResult } from '../../src/workflows/training-pipeline.js';
import { cancelPipelineJobs, DeliveryExampleCopy, labelledOrderIds, readCommitted, tributaryCli, type DeliveryEventFiles } from '../helpers/delivery-example.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const RUN = randomBytes(4).toString('hex');
const ORDERS = 3_000;
const SEED = 1;
const base = loadConfig();
const config: TributaryConfig = { ...base, topics: { prefix: `test.delivery-${RUN}.` }, temporal: { ...base.temporal, taskQueue: `test-delivery-${RUN}` } };
const NAME = `delivery-time-${RUN}`;
/** The fraud example beside it, under a name of this run's own. */
const FRAUD = `fraud-${RUN}`;
const TRANSACTIONS = 8_000;
const DAY_MS = 86_400_000;

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
  /** Seconds from the first test's start to each step's end, for the closing note (measured, never asserted). */
  const laps: Record<string, number> = {};
  let began = 0;
  const lap = (step: string): void => {
    laps[step] = Math.round((Date.now() - began) / 100) / 10;
  };
  const stopWorker = new AbortController();
  let admin: Admin;
  let registry: KafkaModelRegistry;
  let client: Client;
  let worker: Promise<void> | undefined;
  let artifactDirectory: string;
  let serve: ServeProcess | undefined;
  let fraudServe: ServeProcess | undefined;
  let fraudJob: SubmittedFeatureJob | undefined;
  const deployer = new FeatureJobDeployer(config);
  let events: DeliveryEventFiles;
  let trained: TrainingPipelineResult | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    // The platform's own topics and their schemas (model registry, deployments), once per topic prefix, before a worker or scorer starts.
    for (const setUp of [['topics', 'ensure'], ['schemas', 'register']]) {
      const run = await tributary(...setUp);
      expect(run.code, run.stderr).toBe(0);
    }
    // One Temporal worker in this process, as `tributary worker` runs it, on this run's task queue.
    registry = await createModelRegistry(config);
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-delivery-example-candidates-'));
    let running: (() => void) | undefined;
    const polling = new Promise<void>((resolve) => (running = resolve));
    worker = runTributaryWorker(config, { registry, artifactDirectory, signal: stopWorker.signal, shutdownGraceTime: '5s', logLevel: 'WARN', onRunning: () => running?.() });
    await Promise.race([polling, worker]);
    client = await connectClient(config);
  });

  afterAll(async () => {
    console.info(`delivery example: ${JSON.stringify({ ...figures, laps })}`);
    for (const scorer of [serve, fraudServe]) {
      scorer?.child.kill('SIGTERM');
      await scorer?.exited;
    }
    if (fraudJob) await deployer.cancel({ jobId: fraudJob.jobId });
    stopWorker.abort();
    await worker;
    if (client) await closeClient(client);
    await registry?.close();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
    await cancelPipelineJobs(config, NAME);
    await Promise.all(consumers.map((consumer) => consumer.consumer.disconnect()));
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(config.topics.prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    example.remove();
  });

  it('validates, applies, takes the generated events with tributary produce, and the label join writes one training example per delivered order', async () => {
    began = Date.now();
    const validated = await tributary('pipeline', 'validate', example.file);
    expect(validated).toEqual({ code: 0, stdout: `${example.file}: valid (2 sources, 11 inputs, task regression)\n`, stderr: '' });

    const applied = await tributary('pipeline', 'apply', example.file, '--by', 'delivery-example-test');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`^feature job ${NAME}-features: submitted through the SQL Gateway as job [0-9a-f]{32}; feature job ${NAME}-label-join: submitted`, 'm'));
    expect(applied.stdout).toMatch(new RegExp(`^${NAME}: applied \\(\\d+ changes; revision 1\\)$`, 'm'));
    lap('applied');

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
    lap('produced');

    const labelled = labelledOrderIds(events, parseDuration(definition.labels.horizon!)!);
    const features = await collectingConsumer(kafka, topics.features);
    const examples = await collectingConsumer(kafka, topics.trainingExamples);
    consumers.push(features, examples);
    await waitFor(`${ORDERS} features records`, () => (features.received.length >= ORDERS ? true : undefined), 240_000, 1_000);
    lap('features');
    await waitFor(`${labelled.size} training examples`, () => (examples.received.length >= labelled.size ? true : undefined), 240_000, 1_000);
    lap('examples');

    const featureRows = (await readCommitted<Row>(kafka, config, topics.features)).rows;
    expect(featureRows).toHaveLength(ORDERS);
    expect(new Set(featureRows.map((row) => row.order_id))).toEqual(new Set(events.orders.map((order) => order.order_id)));
    const exampleRows = (await readCommitted<Row>(kafka, config, topics.trainingExamples)).rows;
    expect(exampleRows).toHaveLength(labelled.size);
    expect(new Set(exampleRows.map((row) => row.order_id))).toEqual(labelled);
    const minutes = new Map(events.deliveries.map((delivery) => [delivery.order_id, delivery.delivery_minutes]));
    for (const row of exampleRows) expect(row.delivery_minutes, String(row.order_id)).toBe(minutes.get(row.order_id as string));
    Object.assign(figures, { orders: ORDERS, featuresRecords: featureRows.length, trainingExamples: exampleRows.length });
  }, 600_000);

  it('tributary train trains a regression model on the pipeline\'s examples that passes its gates and becomes champion', async () => {
    const started = await tributary('train', NAME, '--by', 'delivery-example-test');
    expect(started.code, started.stderr).toBe(0);
    const workflowId = /^started (\S+): /.exec(started.stdout)?.[1];
    expect(workflowId, started.stdout).toBeDefined();
    const handle = client.workflow.getHandle<typeof trainingPipeline>(workflowId!);
    const result = await handle.result();
    lap('trained');
    const { memo } = await handle.describe();
    const examples = (memo as { dataset?: { examples?: number } } | undefined)?.dataset?.examples;
    Object.assign(figures, { version: result.version, stage: result.stage, examplesTrainedOn: examples, metrics: result.metrics });

    // The first version through the gates is champion; the gates are the definition's (MAE ≤ 8, R² ≥ 0.3).
    expect(result).toMatchObject({ model: NAME, stage: 'champion', championVersion: null });
    expect(result.metrics.mae).toBeLessThanOrEqual(definition.gates!.maxMae!);
    expect(result.metrics.r2).toBeGreaterThanOrEqual(definition.gates!.minR2!);
    expect(result.metrics.rmse).toBeGreaterThanOrEqual(result.metrics.mae!);
    // Trained on the pipeline's own examples: every one the label join wrote.
    expect(result.offsetRanges.every((range) => range.topic === topics.trainingExamples)).toBe(true);
    expect(examples).toBe(figures.trainingExamples);
    const version = await registry.getVersion(NAME, result.version);
    expect(version.stage).toBe('champion');
    expect((await registry.resolveAlias(NAME, 'champion'))?.version).toBe(result.version);
    expect(version.lineage.hyperParameters).toMatchObject({ pipelineRevision: 1, hiddenUnits: [32, 16] });
    // Served by ONNX Runtime (model.serveAs defaults to onnx): the network's export, checked on every held-out example.
    expect(version.artifact.runtime).toBe('onnx');
    expect(version.tags.onnxExport).toMatch(/^served by onnx: exported in [0-9.]+ ms, max \|difference\| \S+ on \d+ held-out rows, tolerance \S+$/);
    Object.assign(figures, { onnxExport: version.tags.onnxExport });
    // Promotion deploys it for the scorers, on the pipeline's own features topic.
    const deployments = await openDeploymentLog(config);
    try {
      expect(await deployments.latest(NAME)).toMatchObject({ champion: { version: result.version }, featuresTopic: topics.features });
    } finally {
      await deployments.close();
    }
    // The steps after serve this version; they have nothing to serve unless every check above passed.
    trained = result;
  }, 600_000);

  it('tributary serve scores every features record exactly once with the champion, and nothing goes to the DLQ', async () => {
    // Nothing to serve without the champion the step before trains and deploys.
    expect(trained?.stage).toBe('champion');
    serve = await startServeProcess(config, NAME);
    onTestFailed(() => console.error(`tributary serve --model ${NAME} printed:\n${serve?.output.join('')}`));
    const features = (await readCommitted<Row>(kafka, config, topics.features)).rows;
    const scoresSeen = await collectingConsumer(kafka, topics.scores);
    consumers.push(scoresSeen);
    await waitFor(`${features.length} scores`, () => (scoresSeen.received.length >= features.length ? true : undefined), 180_000, 1_000);
    lap('scored');

    const scores = await readCommitted<Row>(kafka, config, topics.scores);
    expect(scores.undecodable).toBe(0);
    const featuresOf = new Map(features.map((row) => [row.order_id as string, row]));
    const byEvent = new Map<string, Row[]>();
    for (const score of scores.rows) byEvent.set(score.event_id as string, [...(byEvent.get(score.event_id as string) ?? []), score]);
    const missing = features.filter((row) => !byEvent.has(row.order_id as string)).length;
    const duplicates = [...byEvent.values()].filter((each) => each.length > 1).length;
    const extra = [...byEvent.keys()].filter((id) => !featuresOf.has(id)).length;
    const deadLetters = (await readCommitted<Row>(kafka, config, topics.dlq)).rows.length;
    Object.assign(figures, { audit: { featuresRecords: features.length, scores: scores.rows.length, missing, duplicates, extra, deadLetters } });
    expect({ missing, duplicates, extra, deadLetters }).toEqual({ missing: 0, duplicates: 0, extra: 0, deadLetters: 0 });

    for (const score of scores.rows) {
      const record = featuresOf.get(score.event_id as string)!;
      expect(score, String(score.event_id)).toMatchObject({
        pipeline: NAME,
        entity_key: record.customer_hash,
        event_time: record.placed_at,
        model: NAME,
        model_version: trained!.version,
        model_runtime: 'onnx',
        variant: 'CHAMPION',
        threshold: null,
        decision: null,
        shadow: null,
        // The features schema has no feature_job_version field.
        feature_job_version: null,
      });
      expect(Number.isFinite(score.prediction), String(score.event_id)).toBe(true);
    }
    // Keyed by the event id.
    for (const { message } of scoresSeen.received) expect(byEvent.has(message.key?.toString() ?? '')).toBe(true);
    // How far the served predictions are from the minutes the deliveries took: train, validation and test examples alike.
    const minutes = new Map(events.deliveries.map((delivery) => [delivery.order_id, delivery.delivery_minutes]));
    const labelled = scores.rows.filter((score) => minutes.has(score.event_id as string));
    const servedMae = labelled.reduce((sum, score) => sum + Math.abs((score.prediction as number) - minutes.get(score.event_id as string)!), 0) / labelled.length;
    Object.assign(figures, { served: { labelled: labelled.length, mae: servedMae } });
  }, 600_000);

  it('beside the fraud example on the same stack and worker, each scorer scores only its own stream', async () => {
    expect(trained?.stage).toBe('champion');
    // The fraud example as the fraud tests set it up: its topics and schemas from its definition, its definition applied, its Java feature job.
    await prepareFraudTopics(config, admin);
    await applyFraudPipeline(config, FRAUD);
    // A 2 s checkpoint interval: read_committed readers see the job's output after each checkpoint.
    fraudJob = await deployer.submit({ job: fraudJarJob, jobName: `tributary-feature-job-${RUN}`, jobVersion: RUN, flinkConfiguration: { 'execution.checkpointing.interval': '2s' } });
    const sink = await createKafkaSimulationSink(config, simulatorTopics(config));
    const startTime = Date.parse('2026-03-02T08:00:00Z');
    // No late transactions: the feature job would send them to the DLQ the fraud scorer writes too.
    const simulated = await runSimulation(
      simulateEvents({ seed: 5, startTime, count: TRANSACTIONS, fraudRate: 0.1, labelShare: 0.3, labelDelayScale: 0.05, lateShare: 0 }),
      sink,
      { rate: 10_000 },
    );
    // One transaction a day later on many cards (so on every partition) moves the watermarks past the rest, for a job in
    // event-time mode; the example's job describes them on arrival, so they are features (and scores) like the others.
    const sentinels = [...simulateEvents({ seed: 6, startTime: (simulated.lastEventTime ?? startTime) + DAY_MS, count: 30, outOfOrderMs: 0, lateShare: 0 })].filter((event) => event.topic === 'transactions');
    await sink.send(sentinels);
    await sink.close();
    const fraudFeatures = await collectingConsumer(kafka, fraudTopic(config, 'features'));
    const fraudExamples = await collectingConsumer(kafka, fraudTopic(config, 'training-examples'));
    consumers.push(fraudFeatures, fraudExamples);
    await waitFor(`${TRANSACTIONS} fraud features records`, () => (fraudFeatures.received.length >= TRANSACTIONS ? true : undefined), 180_000, 1_000);
    await waitFor(`${simulated.labels} fraud training examples`, () => (fraudExamples.received.length >= simulated.labels ? true : undefined), 180_000, 1_000);
    lap('fraud examples');

    // The same worker trains the fraud model.
    const started = await tributary('train', FRAUD, '--max-epochs', '15', '--by', 'delivery-example-test');
    expect(started.code, started.stderr).toBe(0);
    const fraudTrained = await client.workflow.getHandle<typeof trainingPipeline>(/^started (\S+): /.exec(started.stdout)![1]!).result();
    expect(fraudTrained).toMatchObject({ model: FRAUD, stage: 'champion' });
    lap('fraud trained');

    fraudServe = await startServeProcess(config, FRAUD);
    onTestFailed(() => console.error(`tributary serve --model ${FRAUD} printed:\n${fraudServe?.output.join('')}`));
    const transactions = (await readCommitted<Row>(kafka, config, fraudTopic(config, 'features'))).rows;
    const fraudScoresSeen = await collectingConsumer(kafka, topicName(config, 'scores'));
    consumers.push(fraudScoresSeen);
    await waitFor(`${transactions.length} fraud scores`, () => (fraudScoresSeen.received.length >= transactions.length ? true : undefined), 180_000, 1_000);
    lap('fraud scored');

    const fraudScores = (await readCommitted<Row>(kafka, config, topicName(config, 'scores'))).rows;
    const transactionIds = new Set(transactions.map((row) => row.transaction_id as string));
    const fraudEventIds = fraudScores.map((score) => score.event_id as string);
    expect(new Set(fraudEventIds)).toEqual(transactionIds);
    expect(fraudEventIds).toHaveLength(transactionIds.size);
    for (const score of fraudScores) expect(score, String(score.event_id)).toMatchObject({ pipeline: FRAUD, model: FRAUD, model_version: fraudTrained.version, variant: 'CHAMPION' });
    // The delivery scorer, running all along, scored no transaction, and the fraud scorer no order.
    const deliveryScores = (await readCommitted<Row>(kafka, config, topics.scores)).rows;
    expect(deliveryScores).toHaveLength(ORDERS);
    expect(deliveryScores.every((score) => score.pipeline === NAME && String(score.event_id).startsWith('o-'))).toBe(true);
    const deadLetters = { fraud: (await readCommitted<Row>(kafka, config, topicName(config, 'dlq'))).rows.length, delivery: (await readCommitted<Row>(kafka, config, topics.dlq)).rows.length };
    expect(deadLetters).toEqual({ fraud: 0, delivery: 0 });
    Object.assign(figures, {
      fraud: { transactions: transactionIds.size, labels: simulated.labels, examples: fraudExamples.received.length, version: fraudTrained.version, metrics: fraudTrained.metrics, scores: fraudScores.length, deadLetters: deadLetters.fraud },
    });
  }, 600_000);
});
