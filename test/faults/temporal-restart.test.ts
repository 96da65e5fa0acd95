/**
 * Fault: the Temporal server stopped for 15 s and started again while a training pipeline trains (real
 * Kafka, registry, in-process workers) and an A/B rollout waits out a step (fake activities).
 * The dev server keeps its state in its SQLite file, so both executions exist after the restart;
 * the workers and clients reconnect on their own; the pipeline registers its champion and the
 * rollout's durable timer fires and it promotes. Measured: Temporal back → each one finished.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import type { TrainingOptions } from '../../src/training/training-options.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import type { RolloutPlan } from '../../src/workflows/ab-rollout-plan.js';
import { rolloutStatusQuery, rolloutWorkflowId, type abRollout } from '../../src/workflows/ab-rollout.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { waitFor } from '../helpers/wait-for.js';
import { BASELINE, BETTER, CHALLENGER_VERSION, createFakeRolloutActivities, liveMetrics } from '../workflow/fake-rollout-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from '../workflow/workflow-harness.js';
import { reportFault, restoreStack, stopComponent, unhealthyComponents } from './stack-faults.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { fraudRunTopics, prepareFraudTopics } from '../helpers/fraud-topics.js';

const EXAMPLES = 20_000;
/** How long the server stays down: longer than a training epoch, so heartbeats fail meanwhile. */
const OUTAGE_MS = 15_000;
/** Epochs of about a second each, so training is still going when the server goes away. */
const TRAINING: TrainingOptions = { hiddenUnits: [64, 32], batchSize: 16, maxEpochs: 10, patience: 20 };
/** The shadow step lasts past the restart, so its timer is one the restarted server must fire. */
const ROLLOUT_PLAN: RolloutPlan = {
  steps: [
    { mode: 'SHADOW', percent: 0, minSamples: 1000, minDurationMs: 40_000 },
    { mode: 'SPLIT', percent: 50, minSamples: 1000, minDurationMs: 0 },
  ],
  pollIntervalMs: 500,
};

describe('fault: the Temporal server restarted during a training pipeline and a rollout', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.fault-temporal-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-fault-temporal-${runId}` } };
  const model = `fraud-fault-temporal-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `fault-temporal-${runId}` });
  const fakes = createFakeRolloutActivities();
  const stopping = new AbortController();

  let admin: Admin;
  let client: Client;
  let registry: KafkaModelRegistry;
  let artifactDirectory: string;
  let harness: WorkflowHarness | undefined;
  let worker: Promise<void> | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    // Training reads what the model reads from its pipeline's applied definition.
    await applyFraudPipeline(config, model);
    await produceSyntheticExamples(kafka, config, EXAMPLES, 5);
    registry = await createModelRegistry(config);
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-fault-temporal-'));
    client = await connectClient(config);
    // The Tributary worker installs the SDK runtime, which must come before any other worker of the process.
    let polling: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (polling = resolve));
    worker = runTributaryWorker(config, { registry, roles: ['orchestration', 'training'], artifactDirectory, signal: stopping.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([running, worker]);
    harness = await startWorkflowHarness(fakes.activities);
  });

  afterAll(async () => {
    await restoreStack();
    stopping.abort();
    await worker;
    await harness?.close();
    if (client) await closeClient(client);
    await registry?.close();
    await admin.deleteTopics({ topics: fraudRunTopics(config) }).catch(() => undefined);
    await admin.disconnect();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
    expect(await unhealthyComponents()).toEqual([]);
  });

  it('both finish after the restart, from the state the server kept', async () => {
    const rolloutModel = uniqueModel('fault-temporal-rollout');
    fakes.switchesOf(rolloutModel).metrics = liveMetrics(BASELINE, BETTER);
    const rollout: WorkflowHandle<typeof abRollout> = await harness!.client.workflow.start<typeof abRollout>('abRollout', {
      taskQueue: harness!.taskQueue,
      workflowId: rolloutWorkflowId(rolloutModel),
      args: [{ model: rolloutModel, challengerVersion: CHALLENGER_VERSION, plan: ROLLOUT_PLAN, requestedBy: 'fault-test' }],
    });
    const training = await client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `training:${model}:fault-temporal`,
      args: [{ model, data: { kind: 'up-to-now' }, training: TRAINING, triggeredBy: 'test:fault-temporal' }],
    });
    await waitFor('a training heartbeat', async () => {
      const pending = (await training.describe()).raw.pendingActivities ?? [];
      return pending.some((activity) => activity.activityType?.name === 'trainCandidate' && activity.lastHeartbeatTime) ? true : undefined;
    }, 180_000, 200);
    expect((await rollout.query(rolloutStatusQuery)).phase).not.toMatch(/promoted|rolled-back/);

    await stopComponent('temporal');
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await restoreStack();
    const backAt = Date.now();
    // The restarted server read both executions back from its SQLite file.
    expect((await training.describe()).status.name).toBe('RUNNING');
    expect((await rollout.describe()).status.name).toBe('RUNNING');
    const [trained, rolledOut] = await Promise.all([
      training.result().then((result) => ({ result, at: Date.now() })),
      rollout.result().then((result) => ({ result, at: Date.now() })),
    ]);
    const { training: trainingMemo } = (await training.describe()).memo as { training: { epochs: number; resumedFromEpoch: number } };
    const trainAttempts = ((await training.fetchHistory()).events ?? []).filter((event) => event.activityTaskStartedEventAttributes).map((event) => event.activityTaskStartedEventAttributes!.attempt ?? 0);
    reportFault({
      name: 'temporal server restarted during a training pipeline and an A/B rollout',
      outcome: trained.result.stage === 'champion' && rolledOut.result.action === 'promote' ? 'both finished' : 'not finished as expected',
      temporalDownMs: backAt - stoppedAt,
      trainingFinishedAfterBackMs: trained.at - backAt,
      rolloutFinishedAfterBackMs: rolledOut.at - backAt,
      trainingEpochs: trainingMemo.epochs,
      trainingResumedFromEpoch: trainingMemo.resumedFromEpoch,
      highestActivityAttempt: Math.max(...trainAttempts),
      rolloutAction: rolledOut.result.action,
    });
    expect(trained.result).toMatchObject({ model, stage: 'champion' });
    expect(trainingMemo.epochs).toBe(TRAINING.maxEpochs);
    expect(rolledOut.result).toMatchObject({ model: rolloutModel, action: 'promote', championVersion: CHALLENGER_VERSION });
    expect(fakes.recordOf(rolloutModel).routings.map(({ mode }) => mode)).toEqual(['SHADOW', 'SPLIT']);
    expect(fakes.recordOf(rolloutModel).decisions).toHaveLength(1);
  }, 540_000);
});
