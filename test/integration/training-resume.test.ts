/**
 * A training worker dies mid-training and another takes over: trainingPipeline runs with its
 * orchestration and training roles in separate in-process workers on the real stack (Kafka,
 * registry, Temporal); once training has heartbeated a checkpoint, the training worker shuts
 * down, a new one starts, and the run completes from the last checkpoint instead of epoch 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import type { TrainingOptions } from '../../src/training/training-options.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker, type WorkerRole } from '../../src/worker/tributary-worker.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { waitFor } from '../helpers/wait-for.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { fraudRunTopics, prepareFraudTopics } from '../helpers/fraud-topics.js';

const EXAMPLES = 30_000;
/** Small batches make epochs of about a second, so the worker can be stopped between two; patience above maxEpochs keeps every epoch. */
const TRAINING: TrainingOptions = { hiddenUnits: [64, 32], batchSize: 16, maxEpochs: 8, patience: 20 };

/** A worker of some roles that the test stops with `stop()`. */
interface RunningWorker {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

describe('training survives the loss of its worker (real Kafka, registry and Temporal)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.resume-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-resume-${runId}` } };
  const model = `fraud-resume-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `training-resume-it-${runId}` });
  const workers: RunningWorker[] = [];

  let admin: Admin;
  let client: Client;
  let registry: KafkaModelRegistry;
  let artifactDirectory: string;

  async function startWorker(roles: readonly WorkerRole[]): Promise<RunningWorker> {
    const stopping = new AbortController();
    let polling: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (polling = resolve));
    const done = runTributaryWorker(config, { registry, roles, artifactDirectory, signal: stopping.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([running, done]);
    const worker = { done, stop: async () => (stopping.abort(), await done) };
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    // Training reads what the model reads from its pipeline's applied definition.
    await applyFraudPipeline(config, model);
    await produceSyntheticExamples(kafka, config, EXAMPLES, 5);
    registry = await createModelRegistry(config);
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-resume-'));
    client = await connectClient(config);
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    if (client) await closeClient(client);
    await registry?.close();
    await admin.deleteTopics({ topics: fraudRunTopics(config) });
    await admin.disconnect();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
  });

  it('resumes from the last heartbeat checkpoint on a new training worker and completes', async () => {
    await startWorker(['orchestration']);
    const firstTrainer = await startWorker(['training']);
    const handle = await client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `training:${model}:resume`,
      args: [{ model, data: { kind: 'up-to-now' }, training: TRAINING, triggeredBy: 'test:training-resume' }],
    });

    // The first heartbeat comes after the first epoch: from then on a checkpoint exists.
    await waitFor(
      'a training heartbeat',
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return pending.some((activity) => activity.activityType?.name === 'trainCandidate' && activity.lastHeartbeatTime) ? true : undefined;
      },
      120_000,
      200,
    );
    await firstTrainer.stop();
    await startWorker(['training']);

    const result = await handle.result();
    expect(result).toMatchObject({ model, stage: 'champion' });
    const { training } = (await handle.describe()).memo as { training: { epochs: number; resumedFromEpoch: number } };
    expect(training.resumedFromEpoch).toBeGreaterThanOrEqual(1);
    expect(training.resumedFromEpoch).toBeLessThan(TRAINING.maxEpochs!);
    expect(training.epochs).toBe(TRAINING.maxEpochs);

    const trainingStarts = ((await handle.fetchHistory()).events ?? []).filter((event) => event.activityTaskStartedEventAttributes).map((event) => event.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...trainingStarts)).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
