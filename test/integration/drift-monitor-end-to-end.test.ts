/**
 * The drift monitor end to end on the real stack: a champion registered in the Kafka-backed
 * registry with lineage over real training examples, live features with amounts shifted
 * twentyfold, the real Tributary worker (orchestration role: drift activities registered as the
 * CLI's worker has them, with its Prometheus endpoint on), and the monitor started, read and
 * stopped through the CLI (no cooldown, so every check after the first meets the running
 * retraining). The retraining it starts waits for a training worker that this test
 * does not run, so it stays open: later checks must see it and start no other. `tributary status`
 * shows the model and the monitor.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { serialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { StatusReport } from '../../src/status/status-report.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { generateSyntheticExamples, type FraudFeatureRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import { driftMonitorWorkflowId, driftStatusQuery, driftTrainingWorkflowId, type DriftMonitorState } from '../../src/workflows/drift-monitor.js';
import { testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { waitFor } from '../helpers/wait-for.js';
import { applyFraudPipeline, FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('drift monitor end to end (real Kafka, registry, Temporal and worker)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const model = `fraud-drift-${runId}`;
  let config: TributaryConfig;
  const stopWorker = new AbortController();
  const tributary = (...args: string[]) =>
    run(TSX, [CLI_ENTRY, ...args], { env: { ...process.env, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix }, timeout: 90_000 });

  let admin: Admin;
  let client: Client;
  let registry: KafkaModelRegistry;
  let artifactDirectory: string;
  let worker: Promise<void> | undefined;

  beforeAll(async () => {
    await useCpuBackend();
    config = {
      ...base,
      topics: { prefix: `test.drift-${runId}.` },
      temporal: { ...base.temporal, taskQueue: `test-drift-${runId}`, workerMetricsAddress: `127.0.0.1:${await freePort()}` },
    };
    const kafka = createKafka(config, { clientIdSuffix: `drift-e2e-${runId}` });
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    await produceSyntheticExamples(kafka, config, 3_000, 4);

    registry = await createModelRegistry(config);
    // The retraining the monitor starts reads what the model reads from its pipeline's applied definition, and the drift check its topics.
    await applyFraudPipeline(config, model);
    const snapshot = await createOffsetRangeReader(kafka).snapshotEndOffsets(fraudTopic(config, 'training-examples'));
    const network = testNetwork(7);
    const { bytes } = await serialiseModelArtifact({ model: network, vectoriser: testSpec, task: 'binary-classification', identity: FRAUD_IDENTITY, threshold: 0.5, metadata: { model, trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'test' } });
    network.dispose();
    const lineage = {
      offsetRanges: snapshot.map(({ topic, partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset })),
      featureSchemaId: 1,
      featureJobVersions: ['synthetic'],
      codeVersion: 'test',
      featureVectorVersion: VECTORISER_LAYOUT_VERSION,
      hyperParameters: {},
      backend: 'cpu',
      splitBoundaries: {},
      trainedBy: 'test',
    };
    const author = { by: 'test', reason: 'drift end-to-end test' };
    const version = await registry.registerVersion({ model, metrics: { rocAuc: 0.9, prAuc: 0.5 }, threshold: 0.5, lineage, artifact: bytes }, author);
    await registry.setStage(model, version.version, 'champion', author);
    await registry.setAlias(model, 'champion', version.version, author);

    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    // Feature records (the labels left out) whose amounts are twenty times the training ones.
    const live = generateSyntheticExamples({ count: 1_000, seed: 5 }).map(
      (example) => Object.fromEntries(Object.entries({ ...example, amount: example.amount * 20 }).filter(([field]) => !field.startsWith('label_') && field !== 'is_fraud')) as unknown as FeatureRecord,
    );
    await producer.send('features', live.map((record) => ({ key: record.card_hash, value: record })));
    await producer.disconnect();

    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-drift-'));
    let polling: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (polling = resolve));
    // Orchestration only: a retraining the monitor starts waits for a training worker, so it stays running.
    worker = runTributaryWorker(config, { registry, artifactDirectory, roles: ['orchestration'], signal: stopWorker.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([running, worker]);
    client = await connectClient(config);
  }, 180_000);

  afterAll(async () => {
    await client?.workflow.getHandle(driftTrainingWorkflowId(model, 1)).terminate('test finished').catch(() => undefined);
    await client?.workflow.getHandle(driftMonitorWorkflowId(model)).terminate('test finished').catch(() => undefined);
    await client?.workflow.getHandle(`threshold-trigger:${model}`).terminate('test finished').catch(() => undefined);
    stopWorker.abort();
    await worker;
    if (client) await closeClient(client);
    await registry?.close();
    await admin?.deleteTopics({ topics: fraudRunTopics(config) });
    await admin?.disconnect();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
  });

  it('measures the shift, starts one retraining with reason drift, does not duplicate it, and shows it all in drift status, tributary status and /metrics', async () => {
    const started = await tributary('drift', 'start', model, '--every', '2s', '--cooldown', '0s', '--min-live-records', '100');
    expect(started.stdout).toContain(`started ${driftMonitorWorkflowId(model)}`);
    const monitor = client.workflow.getHandle(driftMonitorWorkflowId(model));

    const first = await waitFor(
      'the first retraining',
      async () => {
        const state: DriftMonitorState = await monitor.query(driftStatusQuery);
        return state.retrainingsStarted >= 1 ? state : undefined;
      },
      120_000,
      500,
    );
    const figures = first.lastCheck?.figures;
    console.info(`drift check on the real stack: max feature PSI ${figures?.maxFeature.psi.toFixed(3)} (${figures?.maxFeature.column}) over ${figures?.referenceRecords} reference and ${figures?.liveRecords} live records`);
    expect(figures).toMatchObject({ championVersion: 1, referenceRecords: 3_000, liveRecords: 1_000, score: null });
    expect(figures?.maxFeature.psi).toBeGreaterThan(1);
    expect(first.lastCheck?.outcome).toMatch(new RegExp(`^drift: feature \\S+ PSI [\\d.]+ >= 0.25.*; started ${driftTrainingWorkflowId(model, 1)}$`));
    const retraining = await client.workflow.getHandle(driftTrainingWorkflowId(model, 1)).describe();
    expect(retraining.status.name).toBe('RUNNING');
    expect(retraining.memo).toMatchObject({ reason: 'drift', triggeredBy: `workflow:${driftMonitorWorkflowId(model)}` });

    const later = await waitFor(
      'two more checks',
      async () => {
        const state: DriftMonitorState = await monitor.query(driftStatusQuery);
        return state.checks >= first.checks + 2 ? state : undefined;
      },
      120_000,
      500,
    );
    expect(later.retrainingsStarted).toBe(1);
    expect(later.lastCheck?.outcome).toContain(`training ${driftTrainingWorkflowId(model, 1)} is already running, not starting another`);

    const status = await tributary('drift', 'status', model);
    expect(status.stdout).toContain(`last retraining ${driftTrainingWorkflowId(model, 1)}`);
    expect(status.stdout).toMatch(/top features {4}amount:log1p/);

    const report = JSON.parse((await tributary('status', '--json')).stdout) as StatusReport;
    expect(report.models).toMatchObject({ available: true, value: [{ model, champion: 1, versions: 1 }] });
    const workflows = report.workflows.available ? report.workflows.value : [];
    expect(workflows.find((row) => row.workflowId === driftMonitorWorkflowId(model))).toMatchObject({ state: 'RUNNING', summary: expect.stringContaining('DRIFTED') });

    const metrics = await (await fetch(`http://${config.temporal.workerMetricsAddress}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^tributary_drift_max_feature_psi\\{[^}]*model="${model}"[^}]*\\} [\\d.]+$`, 'm'));

    // Stopped by its stop signal: the run completes, and the retraining it started keeps running.
    const stopped = await tributary('drift', 'stop', model, '--by', 'tester', '--reason', 'test done');
    expect(stopped.stdout.trim()).toMatch(
      new RegExp(`^stopped ${driftMonitorWorkflowId(model)} \\(by tester: test done\\) after \\d+ checks; retrainings: 1 started, the last, ${driftTrainingWorkflowId(model, 1)}, keeps running if it still is$`),
    );
    expect((await monitor.describe()).status.name).toBe('COMPLETED');
    expect((await client.workflow.getHandle(driftTrainingWorkflowId(model, 1)).describe()).status.name).toBe('RUNNING');
    // Its status says it was stopped, rather than showing its last state as if it still checked.
    const stoppedStatus = await tributary('drift', 'status', model).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(stoppedStatus).toMatchObject({ code: 1, stdout: '' });
    expect(stoppedStatus?.stderr).toMatch(
      new RegExp(`^error: the drift monitor of model ${model} is not running: it was stopped by tester at \\S+: test done \\(workflow ${driftMonitorWorkflowId(model)}\\); start one with \`tributary drift start ${model}\`\\n$`),
    );
    const again = await tributary('drift', 'stop', model).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(again).toMatchObject({ code: 1, stderr: `error: no drift monitor is running for model ${model} (workflow ${driftMonitorWorkflowId(model)}); start one with \`tributary drift start ${model}\`\n` });

    // The threshold trigger stops the same way, through the same worker.
    expect((await tributary('trigger', 'start', model, '--threshold', '1000000', '--poll', '1h')).stdout).toMatch(new RegExp(`^started threshold-trigger:${model}: http`));
    const triggerStopped = await tributary('trigger', 'stop', model, '--by', 'tester');
    expect(triggerStopped.stdout.trim()).toMatch(new RegExp(`^stopped threshold-trigger:${model} \\(by tester\\) after [01] polls; training runs: 0 started, none started$`));
    expect((await client.workflow.getHandle(`threshold-trigger:${model}`).describe()).status.name).toBe('COMPLETED');
    const triggerStatus = await tributary('trigger', 'status', model).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(triggerStatus?.stderr).toMatch(new RegExp(`^error: the threshold trigger of model ${model} is not running: it was stopped by tester at \\S+ \\(workflow threshold-trigger:${model}\\)`));
  }, 300_000);
});
