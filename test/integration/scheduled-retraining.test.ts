/**
 * Scheduled retraining through the real `tributary` CLI: `schedule create` makes the Temporal
 * Schedule, `schedule trigger` starts a run now (instead of waiting for the cron), and the
 * started trainingPipeline trains on everything retained and registers a champion, run by an
 * in-process Tributary worker on the real stack.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrainingScheduleId } from '../../src/temporal/retraining-schedule-id.js';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { waitFor } from '../helpers/wait-for.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { fraudRunTopics, prepareFraudTopics } from '../helpers/fraud-topics.js';

const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const run = promisify(execFile);

describe('scheduled retraining through the CLI (real Kafka, registry and Temporal)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.schedule-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-schedule-${runId}` } };
  const model = `fraud-schedule-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `scheduled-retraining-it-${runId}` });
  const stopWorker = new AbortController();
  /** The CLI as a person runs it, pointed at this test's task queue and topics. */
  const tributary = (...args: string[]) =>
    run(TSX, [CLI_ENTRY, ...args], { env: { ...process.env, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix }, timeout: 60_000 });

  let admin: Admin;
  let client: Client;
  let registry: KafkaModelRegistry;
  let artifactDirectory: string;
  let worker: Promise<void> | undefined;
  let scheduleCreated = false;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    // Training reads what the model reads from its pipeline's applied definition.
    await applyFraudPipeline(config, model);
    await produceSyntheticExamples(kafka, config, 10_000, 9);
    registry = await createModelRegistry(config);
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-schedule-'));
    let polling: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (polling = resolve));
    worker = runTributaryWorker(config, { registry, artifactDirectory, signal: stopWorker.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([running, worker]);
    client = await connectClient(config);
  });

  afterAll(async () => {
    if (scheduleCreated) await client.schedule.getHandle(retrainingScheduleId(model)).delete().catch(() => undefined);
    stopWorker.abort();
    await worker;
    if (client) await closeClient(client);
    await registry?.close();
    await admin.deleteTopics({ topics: fraudRunTopics(config) });
    await admin.disconnect();
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
  });

  it('`schedule create` then `schedule trigger` start a training run that registers a champion', async () => {
    const created = await tributary('schedule', 'create', '--model', model, '--cron', '0 3 * * *');
    scheduleCreated = true;
    expect(created.stdout.trim()).toBe(`created schedule ${retrainingScheduleId(model)} (0 3 * * *, overlap skip)`);
    expect((await tributary('schedule', 'trigger', model)).stdout.trim()).toBe(`triggered ${retrainingScheduleId(model)}`);

    const schedule = client.schedule.getHandle(retrainingScheduleId(model));
    const workflowId = await waitFor('the schedule to start a run', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 200);
    expect(workflowId).toMatch(new RegExp(`^training:${model}:scheduled-`));

    const result = await client.workflow.getHandle<typeof trainingPipeline>(workflowId).result();
    expect(result).toMatchObject({ model, stage: 'champion' });
    const version = await registry.getVersion(model, result.version);
    expect(version.lineage.trainedBy).toBe(`schedule:${retrainingScheduleId(model)}`);
    expect(version.lineage.offsetRanges.reduce((sum, range) => sum + Number(BigInt(range.toOffset) - BigInt(range.fromOffset)), 0)).toBe(10_000);

    expect((await tributary('schedule', 'delete', model)).stdout.trim()).toBe(`deleted ${retrainingScheduleId(model)}`);
    scheduleCreated = false;
  }, 300_000);
});
