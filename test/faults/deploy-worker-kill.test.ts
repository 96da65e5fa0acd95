/**
 * Fault: the Temporal worker (`tributary worker`, a real process) killed with SIGKILL in the
 * middle of a Flink upgrade on the real cluster — right after the new version was submitted —
 * and another worker started. The flinkDeploy workflow resumes on the new worker and finishes the
 * upgrade without submitting the new version twice (one job per version on the cluster), and
 * `features` (read_committed) holds exactly one record per simulated transaction.
 * Measured: new worker started → upgrade finished.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { startDeployment } from '../../src/worker/flink-deploy-client.js';
import { prepareFeatureJobDeployment } from '../../src/flink/deployment-feature-job.js';
import { flinkDeployTaskQueue } from '../../src/worker/flink-deploy-worker.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import type { FlinkDeployInput } from '../../src/workflows/flink-deploy.js';
import { auditFeatures, startSimulatedStream } from '../helpers/feature-stream.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';
import { reportFault } from './stack-faults.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const RATE = 200;
const FLINK_CONFIGURATION = { 'execution.checkpointing.interval': '2s' };
const HEALTH = { windowMs: 8_000, sampleIntervalMs: 500 };

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('fault: the Temporal worker killed during a Flink upgrade', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.fault-deploy-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-fault-deploy-${runId}` } };
  const jobName = `tributary-feature-job-fault-deploy-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `fault-deploy-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const workers: WorkerProcess[] = [];
  let admin: Admin;
  let connection: Connection;
  let client: Client;

  /** `tributary worker` as a process of its own, serving this run's task queues; resolves once it polls. */
  async function startWorker(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
      env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const worker = { child, output, exited };
    workers.push(worker);
    onTestFailed(() => console.error(`worker (pid ${child.pid}) output:\n${output.join('')}`));
    await waitFor('the worker to poll its task queues', () => (output.join('').includes('worker polling task queues') ? true : undefined), 120_000, 200);
    return worker;
  }

  const spec = (jobVersion: string) => prepareFeatureJobDeployment(config, fraudJarJob, { jobName, jobVersion, flinkConfiguration: FLINK_CONFIGURATION });
  const start = (input: FlinkDeployInput) => startDeployment(client, { health: HEALTH, ...input }, { taskQueue: flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
  /** Every job of this run's name the cluster ever ran, any state. */
  const jobsOfOurName = async () => (await rest.listJobs()).filter((job) => job.name === jobName);

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await removeFeatureJobDeployments(config, jobName);
    await admin.deleteTopics({ topics: fraudRunTopics(config) }).catch(() => undefined);
    await admin.disconnect();
    await connection.close();
  });

  it('resumes the upgrade on a new worker and submits the new version once', async () => {
    const first = await startWorker();
    const v1 = await (await start({ spec: await spec('v1'), health: { ...HEALTH, windowMs: 4_000 } })).result();
    expect(v1.outcome, v1.error).toBe('deployed');

    const stream = await startSimulatedStream(config, { seed: 27, rate: RATE });
    const { transactionIds } = stream;
    let killedAt = 0;
    let restartedAt = 0;
    let finishedAt = 0;
    let upgrade;
    let upgradeHandle: Awaited<ReturnType<typeof start>> | undefined;
    try {
      await waitFor('v1 to commit its first features', async () => ((await admin.fetchTopicOffsets(fraudTopic(config, 'features'))).some((partition) => Number(partition.high) > 0) ? true : undefined), 60_000, 500);
      const handle = await start({ spec: await spec('v2') });
      upgradeHandle = handle;
      // Killed the moment v2 is on the cluster: the submit activity (or the wait for RUNNING after it) is in flight.
      await waitFor('v2 to be submitted', async () => ((await jobsOfOurName()).length >= 2 ? true : undefined), 120_000, 50);
      first.child.kill('SIGKILL');
      killedAt = Date.now();
      expect((await first.exited).signal).toBe('SIGKILL');
      await startWorker();
      restartedAt = Date.now();
      upgrade = await handle.result();
      finishedAt = Date.now();
    } finally {
      stream.stop();
    }
    await stream.finish();
    const { features, duplicated } = await auditFeatures(kafka, registry, config, transactionIds);
    const jobs = await jobsOfOurName();
    // An activity the killed worker held is timed out by the server and tried again on the new worker.
    const events = (await upgradeHandle!.fetchHistory()).events ?? [];
    const retriedActivities = events.filter((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    reportFault({
      name: 'temporal worker killed with SIGKILL during a flink upgrade (real cluster)',
      outcome: upgrade.outcome === 'deployed' && jobs.length === 2 && duplicated.length === 0 ? 'resumed, submitted once, exactly once' : 'violated',
      upgradeOutcome: upgrade.outcome,
      jobsSubmitted: jobs.length,
      newWorkerStartMs: restartedAt - killedAt,
      upgradeFinishedAfterNewWorkerMs: finishedAt - restartedAt,
      downtimeMs: upgrade.downtimeMs,
      activityAttemptsRetried: retriedActivities,
      transactions: transactionIds.size,
      duplicated: duplicated.length,
    });
    expect(upgrade).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
    // v1 (finished by its savepoint) and v2 (running): one submission each.
    expect(jobs.map((job) => job.state).sort()).toEqual(['FINISHED', 'RUNNING']);
    expect(upgrade.jobId).toBe(jobs.find((job) => job.state === 'RUNNING')?.jid);
    expect(duplicated).toEqual([]);
    expect(features).toHaveLength(transactionIds.size);
  }, 540_000);
});
