/**
 * Continuous training end to end on the real stack: simulated transactions and labels flow
 * through the Flink feature job into training-examples; a thresholdTrigger started through the
 * client sees the threshold crossed and starts trainingPipeline, which an in-process Tributary
 * worker runs with the real Kafka-backed model registry. The registered version must carry the
 * exact offsets the trigger pinned, be champion, and separate fraud on a held-out split. It is
 * registered as its ONNX export (model.serveAs defaults to onnx), and `tributary serve` serves it
 * with ONNX Runtime.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { simulatorTopics } from '../../examples/fraud/fraud-pipeline.js';
import { createKafkaSimulationSink } from '../../examples/fraud/simulator/kafka-sink.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import { runSimulation } from '../../examples/fraud/simulator/simulation-runner.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import { statusQuery, thresholdTriggerWorkflowId, type thresholdTrigger } from '../../src/workflows/threshold-trigger.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { waitFor } from '../helpers/wait-for.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const TRANSACTIONS = 40_000;
const FRAUD_RATE = 0.02;
/** Share of legitimate transactions that get a label: about 0.5 × 0.98 × 40 000 + 800 fraud ≈ 20 400 examples. */
const LABEL_SHARE = 0.5;
/** Reached part-way through the run, so the trigger fires while examples still stream in. */
const THRESHOLD = 12_000;
const MIN_POSITIVES = 200;
const DAY_MS = 86_400_000;

describe('continuous training end to end (real Kafka, registry, Flink and Temporal)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = {
    ...base,
    topics: { prefix: `test.ct-${runId}.` },
    temporal: { ...base.temporal, taskQueue: `test-ct-${runId}` },
  };
  const model = `fraud-ct-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `continuous-training-it-${runId}` });
  const schemaRegistry = createSchemaRegistryClient(config.schemaRegistry);
  const deployer = new FeatureJobDeployer(config);
  const stopWorker = new AbortController();

  let admin: Admin;
  let client: Client;
  let registry: KafkaModelRegistry;
  let artifactDirectory: string;
  let submitted: SubmittedFeatureJob | undefined;
  let worker: Promise<void> | undefined;
  let triggerStarted = false;
  let serve: ServeProcess | undefined;
  let scores: CollectingConsumer | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    // Training reads what the model reads from its pipeline's applied definition.
    await applyFraudPipeline(config, model);
    // A 2 s checkpoint interval: read_committed readers see output only after each checkpoint.
    submitted = await deployer.submit({ job: fraudJarJob, jobName: `tributary-feature-job-ct-${runId}`, jobVersion: `ct-${runId}`, flinkConfiguration: { 'execution.checkpointing.interval': '2s' } });
    registry = await createModelRegistry(config);
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-ct-'));
    let running: (() => void) | undefined;
    const polling = new Promise<void>((resolve) => (running = resolve));
    worker = runTributaryWorker(config, { registry, artifactDirectory, signal: stopWorker.signal, shutdownGraceTime: '5s', onRunning: () => running?.() });
    await Promise.race([polling, worker]);
    client = await connectClient(config);
  });

  afterAll(async () => {
    if (triggerStarted) await client.workflow.getHandle(thresholdTriggerWorkflowId(model)).terminate('test finished');
    if (serve !== undefined && serve.child.exitCode === null) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    await scores?.consumer.disconnect();
    stopWorker.abort();
    await worker;
    if (client) await closeClient(client);
    await registry?.close();
    if (submitted) await deployer.cancel({ jobId: submitted.jobId });
    await admin.deleteTopics({ topics: fraudRunTopics(config) });
    await admin.disconnect();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
  });

  it('trains, registers and promotes a model on the exact offsets the trigger pinned once the threshold is crossed', async () => {
    const trigger = await client.workflow.start<typeof thresholdTrigger>('thresholdTrigger', {
      taskQueue: config.temporal.taskQueue,
      workflowId: thresholdTriggerWorkflowId(model),
      args: [model, { threshold: THRESHOLD, minPositives: MIN_POSITIVES, pollIntervalMs: 2_000, cooldownMs: 3_600_000 }],
    });
    triggerStarted = true;

    const sink = await createKafkaSimulationSink(config, simulatorTopics(config));
    const startTime = Date.parse('2026-03-02T08:00:00Z');
    const simulated = await runSimulation(
      simulateEvents({ seed: 7, startTime, count: TRANSACTIONS, fraudRate: FRAUD_RATE, labelShare: LABEL_SHARE, labelDelayScale: 0.05 }),
      sink,
      { rate: 10_000 },
    );
    // With the example's features on arrival nothing waits for the watermark; these keep the test
    // valid for --feature-timing event-time, where the last events wait until later ones arrive:
    // one transaction a day later on many cards (so on every partition) flushes everything buffered.
    const sentinels = [...simulateEvents({ seed: 8, startTime: (simulated.lastEventTime ?? startTime) + DAY_MS, count: 30, outOfOrderMs: 0, lateShare: 0 })].filter(
      (event) => event.topic === 'transactions',
    );
    await sink.send(sentinels);
    await sink.close();

    const started = await waitFor('the trigger to start a training run', async () => (await trigger.query(statusQuery)).lastStarted, 180_000, 1_000);
    const pipeline = client.workflow.getHandle<typeof trainingPipeline>(started.workflowId);
    const result = await pipeline.result();

    // The version carries exactly the ranges the trigger snapshotted, and the run trained on them.
    const version = await registry.getVersion(model, result.version);
    expect(result.offsetRanges).toEqual(started.offsetRanges);
    expect(version.lineage.offsetRanges).toEqual(started.offsetRanges);
    expect(version.lineage.trainedBy).toBe(`workflow:${thresholdTriggerWorkflowId(model)}`);
    // The model's settings are the applied fraud definition's (revision 1 of this test's pipeline), as its lineage records.
    expect(version.lineage.hyperParameters).toMatchObject({
      pipelineRevision: 1,
      hiddenUnits: [32, 16],
      decision: { targetRecall: 0.8 },
      splitFractions: { train: 0.7, validation: 0.15, test: 0.15 },
      minExamples: 1000,
    });
    // Registered as the network's ONNX export, checked on every held-out example within 1e-5.
    expect(version.artifact.runtime).toBe('onnx');
    expect(version.tags.onnxExport).toMatch(/^served by onnx: exported in [0-9.]+ ms, max \|difference\| \S+ on \d+ held-out rows, tolerance 1\.0e-5$/);
    expect(version.tags.exportedFromTfjsWeights).toMatch(/^[0-9a-f]{64}$/);
    console.info(`continuous training: ${version.tags.onnxExport}`);
    // tributary serve serves it with ONNX Runtime: its scores name the version and the runtime.
    serve = await startServeProcess(config, model);
    const serving = serve;
    onTestFailed(() => console.error(`tributary serve --model ${model} printed:\n${serving.output.join('')}`));
    scores = await collectingConsumer(kafka, topicName(config, 'scores'));
    const received = scores;
    const first = await waitFor('the first scores', () => (received.received.length >= 10 ? received.received.slice(0, 10) : undefined), 180_000, 1_000);
    const decoder = createAvroDecoder(schemaRegistry);
    for (const { message } of first) {
      expect((await decoder.decode(message.value!)).value).toMatchObject({ model, model_version: result.version, model_runtime: 'onnx', variant: 'CHAMPION' });
    }
    // Stopped here: the checks below read the examples back, and need the machine more than the scorer does.
    serving.child.kill('SIGTERM');
    await serving.exited;
    await received.consumer.disconnect();
    scores = undefined;

    // Read back, the ranges hold the examples the run counted, start at the log start and end within what the topic holds.
    const examplesTopic = fraudTopic(config, 'training-examples');
    const held = await admin.fetchTopicOffsets(examplesTopic);
    for (const range of started.offsetRanges) {
      expect(range.topic).toBe(examplesTopic);
      expect(range.fromOffset).toBe(held.find((partition) => partition.partition === range.partition)?.low);
      expect(BigInt(range.toOffset)).toBeLessThanOrEqual(BigInt(held.find((partition) => partition.partition === range.partition)!.high));
    }
    // One decoder for the whole read: it caches the writer schema, where one per record asked the registry 20,000 times.
    const examplesDecoder = createAvroDecoder(schemaRegistry);
    const readBack = await createOffsetRangeReader(kafka).readRange(started.offsetRanges, async (value) => (await examplesDecoder.decode(value)).value as { is_fraud: boolean });
    const run = await pipeline.describe();
    const memo = run.memo as { dataset: { examples: number }; training: Record<string, unknown> };
    expect(readBack.undecodable).toEqual([]);
    expect(readBack.records.length).toBe(memo.dataset.examples);
    expect(readBack.records.length).toBeGreaterThanOrEqual(THRESHOLD);
    expect(readBack.records.filter((record) => record.value.is_fraud).length).toBeGreaterThanOrEqual(MIN_POSITIVES);

    // The first model through the gates is champion, and it separates fraud from legitimate on the test split.
    expect(result).toMatchObject({ model, stage: 'champion', reason: 'first model passed gates', championVersion: null });
    expect(version.stage).toBe('champion');
    expect((await registry.resolveAlias(model, 'champion'))?.version).toBe(result.version);
    const runSeconds = ((run.closeTime?.getTime() ?? Date.now()) - run.startTime.getTime()) / 1000;
    console.info(`continuous training: ${JSON.stringify({ version: result.version, examples: memo.dataset.examples, training: memo.training, runSeconds, metrics: result.metrics })}`);
    expect(result.metrics.rocAuc).toBeGreaterThanOrEqual(0.9);

  }, 600_000);
});
