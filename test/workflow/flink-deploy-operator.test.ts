/**
 * The flinkDeploy workflow on a real worker and the real Temporal server, its activities driving
 * OperatorFlinkService against the fake Kubernetes API server that moves a FlinkDeployment the
 * way the Flink Kubernetes Operator 1.15.0 does (test/fixtures/flink-operator/): a first
 * deployment and an upgrade by savepoint, the adoption of the job the Helm chart started, a
 * suspension the operator does not complete in time (given up on: the job keeps running), then a failed upgrade that Tributary rolls back to the
 * previous spec from the same savepoint, and a blue/green upgrade, which one FlinkDeployment
 * cannot run, refused with the old job left running.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlinkDeployActivities } from '../../src/activities/flink-deploy-activities.js';
import { loadConfig } from '../../src/config/config.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import type { FlinkJobSpec } from '../../src/flink/deployment-spec.js';
import { KubernetesApiClient } from '../../src/flink/kubernetes/kubernetes-api-client.js';
import { OperatorFlinkService } from '../../src/flink/kubernetes/operator-flink-service.js';
import { InMemoryDeploymentLog } from '../../src/serving/deployment-log.js';
import { startDeployment } from '../../src/worker/flink-deploy-client.js';
import type { FlinkDeployInput, FlinkDeployResult, FlinkDeployStatus } from '../../src/workflows/flink-deploy.js';
import { FakeOutputTopics, FakeTopicProgress } from '../fakes/fake-flink-service.js';
import { FakeOperatorServer } from '../fixtures/flink-operator/fake-operator-server.js';
import { waitFor } from '../helpers/wait-for.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/flink-deploy.ts', import.meta.url));
/** A short window: the fake operator moves every 10 ms. */
const HEALTH = { windowMs: 300, sampleIntervalMs: 50 };

describe('flinkDeploy workflow on the Kubernetes operator service (real Temporal, fake operator)', () => {
  const config = loadConfig();
  const taskQueue = `test-flink-deploy-operator-${randomUUID()}`;
  const recordsDir = mkdtempSync(join(tmpdir(), 'tributary-operator-deployments-'));
  const operator = new FakeOperatorServer();
  const records = new FileDeploymentRecordStore(recordsDir);
  const deployments = new InMemoryDeploymentLog();
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;

  beforeAll(async () => {
    await operator.start();
    const flink = new OperatorFlinkService({
      api: new KubernetesApiClient({ apiUrl: operator.url, retryBackoffMs: 1 }),
      namespace: operator.namespace,
      jobManagerUrl: operator.jobManagerUrl,
      rest: { retries: 0 },
    });
    const activities = createFlinkDeployActivities({
      flink,
      records,
      topics: new FakeTopicProgress(),
      outputTopics: new FakeOutputTopics(),
      openDeployments: async () => ({ all: () => deployments.all(), publish: (model, change) => deployments.publish(model, change), close: async () => undefined }),
      pollIntervalMs: 20,
    });
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    workerConnection = await NativeConnection.connect({ address: config.temporal.address });
    worker = await Worker.create({ connection: workerConnection, namespace: config.temporal.namespace, taskQueue, workflowsPath: WORKFLOWS_PATH, activities, shutdownGraceTime: '500ms', shutdownForceTime: '2s' });
    workerRun = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    await workerConnection?.close();
    await connection?.close();
    await operator.stop();
    rmSync(recordsDir, { recursive: true, force: true });
  });

  const specOf = (jobName: string, version: string, output = 'out'): FlinkJobSpec => ({
    jobName,
    version,
    jarPath: `/opt/flink/usrlib/feature-job-${version}.jar`,
    entryClass: 'dev.tributary.flink.features.FeatureJob',
    programArgs: ['--job-version', version],
    observedTopics: { inputs: ['in'], outputs: [output] },
  });
  const start = (input: FlinkDeployInput) => startDeployment(client, { health: HEALTH, timeouts: { heartbeatMs: 2_000 }, ...input }, { taskQueue, uiUrl: config.temporal.uiUrl });
  const deploy = async (input: FlinkDeployInput): Promise<FlinkDeployResult> => (await start(input)).result();
  /** A FlinkDeployment named for the test, as the chart creates it (suspended, nothing deployed). */
  const chartDeployment = (purpose: string): string => {
    const name = `op-${purpose}-${randomBytes(3).toString('hex')}`;
    operator.add(name);
    return name;
  };

  it('deploys a first version, then upgrades it through a savepoint that the new job restores', async () => {
    const job = chartDeployment('upgrade');
    const first = await deploy({ spec: specOf(job, 'v1') });
    expect(first).toMatchObject({ outcome: 'deployed', toVersion: 'v1' });
    expect(first.health?.healthy).toBe(true);
    expect(operator.jobs.get(first.jobId ?? '')?.restoredFrom).toBeUndefined();

    const handle = await start({ spec: specOf(job, 'v2') });
    const second = await handle.result();
    expect(second).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
    expect(second.savepoint).toBe(operator.savepoints.at(-1));
    expect(operator.jobs.get(second.jobId ?? '')).toMatchObject({ restoredFrom: second.savepoint, args: ['--job-version', 'v2'] });
    expect(second.health).toMatchObject({ healthy: true, figures: { restarts: 0, exceptions: 0 } });
    const status = await handle.query<FlinkDeployStatus>('status');
    expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'savepointing', 'submitting', 'verifying', 'deployed']);
    const resource = operator.resource(job);
    expect(resource.status?.jobStatus).toMatchObject({ jobId: second.jobId, state: 'RUNNING' });
    expect(resource.spec.job).toMatchObject({ upgradeMode: 'savepoint', initialSavepointPath: second.savepoint, savepointRedeployNonce: 1 });
    expect((await records.read(job)).current).toMatchObject({ jobId: second.jobId, spec: { version: 'v2' }, restoredFrom: second.savepoint });
  });

  it('adopts the job the chart started (the operator chose its id): stops it with a savepoint and starts the first version from it', async () => {
    const job = `op-adopt-${randomBytes(3).toString('hex')}`;
    operator.addRunning(job);
    const chartJob = await waitFor('the chart\'s job to run', () => {
      const status = operator.resource(job).status?.jobStatus;
      return status?.state === 'RUNNING' ? status.jobId : undefined;
    });

    const result = await deploy({ spec: specOf(job, 'v1') });
    expect(result).toMatchObject({ outcome: 'deployed', adoptedJobId: chartJob, toVersion: 'v1' });
    expect(result.savepoint).toBe(operator.savepoints.at(-1));
    expect(operator.jobs.get(chartJob)?.restoredFrom).toBeUndefined();
    expect(operator.jobs.get(result.jobId ?? '')?.restoredFrom).toBe(result.savepoint);
    expect(operator.resource(job).status?.jobStatus).toMatchObject({ jobId: result.jobId, state: 'RUNNING' });
  });

  it('gives up on a suspension the operator does not complete in time: state running goes back, the job keeps running, and the result says so', async () => {
    const job = chartDeployment('stop-timeout');
    const first = await deploy({ spec: specOf(job, 'v1') });
    const savepointsBefore = operator.savepoints.length;
    operator.pause();
    let result: FlinkDeployResult;
    try {
      result = await deploy({ spec: specOf(job, 'v2'), timeouts: { heartbeatMs: 2_000, savepointMs: 300 } });
      // Before the operator moves again: Tributary itself asked for the job to run.
      expect(operator.resource(job).spec.job?.state).toBe('running');
    } finally {
      operator.resume();
    }
    expect(result).toMatchObject({ outcome: 'aborted', jobId: first.jobId });
    expect(result.error).toMatch(new RegExp(
      `^stop-with-savepoint of job ${first.jobId} failed, so it keeps running and nothing was submitted: timed out after 300 ms waiting for savepoint operator-suspend\\.\\S+ of job ${first.jobId} \\(last seen: IN_PROGRESS\\); ` +
        `the stop-with-savepoint was given up on: its FlinkDeployment was set back to state running, so the operator keeps job ${first.jobId} running`,
    ));
    await waitFor('the operator to reconcile the running spec', () => {
      const { metadata, status } = operator.resource(job);
      return (status?.observedGeneration ?? 0) >= (metadata.generation ?? 0) ? true : undefined;
    });
    expect(operator.resource(job).status?.jobStatus).toMatchObject({ jobId: first.jobId, state: 'RUNNING' });
    expect(operator.resource(job).status?.lifecycleState).not.toBe('SUSPENDED');
    expect(operator.savepoints.length).toBe(savepointsBefore);
    expect((await records.read(job)).current?.jobId).toBe(first.jobId);
  });

  it('rolls a failed upgrade back to the previous spec from the same savepoint', async () => {
    const job = chartDeployment('rollback');
    await deploy({ spec: specOf(job, 'v1') });
    operator.failingJars.add(`feature-job-${job}-v2`);

    const handle = await start({ spec: specOf(job, `${job}-v2`) });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toContain('feature vector width changed');
    const status = await handle.query<FlinkDeployStatus>('status');
    expect(status.newJobId).toBeDefined();
    expect(operator.jobs.get(status.newJobId ?? '')?.restoredFrom).toBe(result.savepoint);
    expect(operator.jobs.get(result.jobId ?? '')).toMatchObject({ restoredFrom: result.savepoint, args: ['--job-version', 'v1'] });
    expect(result.rollbackHealth?.healthy).toBe(true);
    expect(operator.resource(job).status?.jobStatus).toMatchObject({ jobId: result.jobId, state: 'RUNNING' });
    expect((await records.read(job)).current).toMatchObject({ jobId: result.jobId, spec: { version: 'v1' } });
  });

  it('refuses a blue/green upgrade, which needs a second job beside the running one, and leaves the running job alone', async () => {
    const job = chartDeployment('blue-green');
    const first = await deploy({ spec: specOf(job, 'v1', 'features-v1') });
    const generation = operator.resource(job).metadata.generation;

    const result = await deploy({ spec: specOf(job, 'v2', 'features-v2'), mode: 'blue-green' });
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toContain(`still runs job ${first.jobId}, and one FlinkDeployment runs one job`);
    expect(operator.resource(job).metadata.generation).toBe(generation);
    expect(operator.resource(job).status?.jobStatus).toMatchObject({ jobId: first.jobId, state: 'RUNNING' });
    expect((await records.read(job)).current?.jobId).toBe(first.jobId);
  });
});
