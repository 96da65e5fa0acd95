/**
 * The flinkDeploy workflow on a real worker and the real Temporal server, with a fake Flink
 * cluster whose switches inject the failures: savepoint failure, a spec Flink rejects, a job
 * that restarts in its health window, a worker that dies mid-submit, a concurrent deploy.
 *
 * Blue/green: the new version runs beside the old one until the takeover; a new version that is
 * unhealthy or does not catch up is cancelled and the old one keeps running untouched.
 *
 * RECORD_WORKFLOW_HISTORIES=1 also writes the happy paths' histories to
 * test/replay/histories/flink-deploy-*.json for the replay test (test/replay/README.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlinkDeployActivities } from '../../src/activities/flink-deploy-activities.js';
import { loadConfig } from '../../src/config/config.js';
import { startDeployment } from '../../src/worker/flink-deploy-client.js';
import { DeploymentAlreadyRunningError } from '../../src/flink/deployment-errors.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import type { FlinkJobSpec } from '../../src/flink/deployment-spec.js';
import type { FlinkDeployInput, FlinkDeployResult, FlinkDeployStatus } from '../../src/workflows/flink-deploy.js';
import { DeploymentError } from '../../src/serving/deployment-errors.js';
import { InMemoryDeploymentLog } from '../../src/serving/deployment-log.js';
import type { DeploymentChange } from '../../src/serving/model-deployment.js';
import { TributaryFlinkJob } from '../../src/temporal/search-attributes.js';
import { FAKE_MAIN_FAILURE, FAKE_RUNTIME_FAILURE, FAKE_STUCK_BACKLOG, FakeFlinkService, FakeOutputTopics, FakeTopicProgress } from '../fakes/fake-flink-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { historyAsJson } from './workflow-harness.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/flink-deploy.ts', import.meta.url));
const HISTORY_FILE = fileURLToPath(new URL('../replay/histories/flink-deploy-happy-path.json', import.meta.url));
const BLUE_GREEN_HISTORY_FILE = fileURLToPath(new URL('../replay/histories/flink-deploy-blue-green.json', import.meta.url));
const ADOPTION_HISTORY_FILE = fileURLToPath(new URL('../replay/histories/flink-deploy-adoption.json', import.meta.url));
const BLUE_GREEN_ROLLBACK_HISTORY_FILE = fileURLToPath(new URL('../replay/histories/flink-deploy-blue-green-rolled-back.json', import.meta.url));
const STOP_ABANDONED_HISTORY_FILE = fileURLToPath(new URL('../replay/histories/flink-deploy-stop-abandoned.json', import.meta.url));
/** A short window: the fake answers at once. */
const HEALTH = { windowMs: 300, sampleIntervalMs: 50 };

describe('flinkDeploy workflow (real Temporal, fake Flink)', () => {
  const config = loadConfig();
  const taskQueue = `test-flink-deploy-${randomUUID()}`;
  const recordsDir = mkdtempSync(join(tmpdir(), 'tributary-deployments-'));
  const flink = new FakeFlinkService();
  const records = new FileDeploymentRecordStore(recordsDir);
  const outputTopics = new FakeOutputTopics();
  const deployments = new InMemoryDeploymentLog();
  /** Each publish, with the versions of the job that were RUNNING when it happened. */
  const publishes: { model: string; change: DeploymentChange; running: Map<string, string[]> }[] = [];
  /** Models whose publish the deployments topic refuses (not retriable). */
  const refusedModels = new Set<string>();
  /** Models whose publish lands, after which the call never returns (a worker dying mid-takeover). */
  const hangAfterPublish = new Set<string>();
  const activities = createFlinkDeployActivities({
    flink,
    records,
    topics: new FakeTopicProgress(),
    outputTopics,
    openDeployments: async () => ({
      all: () => deployments.all(),
      publish: async (model: string, change: DeploymentChange) => {
        if (refusedModels.has(model)) throw new DeploymentError(model, 'the deployments topic refused the write (test switch)', { retriable: false });
        publishes.push({ model, change, running: runningByJob() });
        const published = await deployments.publish(model, change);
        if (hangAfterPublish.has(model)) await new Promise<never>(() => undefined);
        return published;
      },
      close: async () => undefined,
    }),
    pollIntervalMs: 50,
  });
  const blueGreenJobs: string[] = [];
  const runningByJob = (): Map<string, string[]> => new Map(blueGreenJobs.map((job) => [job, flink.runningVersions(job)]));
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;

  const startWorker = async (): Promise<{ worker: Worker; run: Promise<void> }> => {
    const started = await Worker.create({
      connection: workerConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities,
      shutdownGraceTime: '500ms',
      shutdownForceTime: '2s',
    });
    return { worker: started, run: started.run() };
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    workerConnection = await NativeConnection.connect({ address: config.temporal.address });
    ({ worker, run: workerRun } = await startWorker());
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    await workerConnection?.close();
    await connection?.close();
    rmSync(recordsDir, { recursive: true, force: true });
  });

  const specOf = (jobName: string, version: string, output = 'out'): FlinkJobSpec => ({
    jobName,
    version,
    jarPath: `/fake/jars/${version}.jar`,
    entryClass: 'dev.tributary.flink.features.FeatureJob',
    programArgs: ['--job-version', version, '--features-topic', output],
    observedTopics: { inputs: ['in'], outputs: [output] },
  });

  const start = (input: FlinkDeployInput) => startDeployment(client, { health: HEALTH, timeouts: { heartbeatMs: 2_000 }, ...input }, { taskQueue, uiUrl: config.temporal.uiUrl });
  const deploy = async (input: FlinkDeployInput): Promise<FlinkDeployResult> => (await start(input)).result();
  const uniqueJob = (purpose: string): string => `test-${purpose}-${randomUUID().slice(0, 8)}`;

  it('deploys a first version, then upgrades through a savepoint; status, memo, search attribute and history tell the story', async () => {
    const job = uniqueJob('happy');
    const first = await deploy({ spec: specOf(job, 'v1') });
    // Undefined fields do not survive the JSON payload: absent is what "none" looks like.
    expect(first).toMatchObject({ outcome: 'deployed', toVersion: 'v1' });
    expect([first.fromVersion, first.savepoint, first.error]).toEqual([undefined, undefined, undefined]);
    expect(first.health?.healthy).toBe(true);

    const handle = await start({ spec: specOf(job, 'v2'), savepointRetention: 1 });
    const second = await handle.result();
    expect(second).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
    expect(second.savepoint).toMatch(/^file:\/fake\/savepoints\/savepoint-/);
    expect(second.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(flink.stateOf(first.jobId ?? '')).toBe('FINISHED');
    expect(flink.submissionsOf('v2')).toEqual([{ jobId: second.jobId, spec: specOf(job, 'v2'), savepointPath: second.savepoint }]);
    expect(second.jobId).toMatch(/^[0-9a-f]{32}$/);

    const status = await handle.query<FlinkDeployStatus>('status');
    expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'savepointing', 'submitting', 'verifying', 'deployed']);
    expect(status.health?.figures).toMatchObject({ restarts: 0, exceptions: 0, completedCheckpoints: 1 });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(TributaryFlinkJob)).toBe(job);
    expect(await description.memo).toMatchObject({ phase: 'deployed', version: 'v2', savepoint: second.savepoint, jobId: second.jobId });

    // A third version with retention 1 disposes of the v1 → v2 savepoint once the v2 → v3 one exists.
    const third = await deploy({ spec: specOf(job, 'v3'), savepointRetention: 1 });
    expect(third.disposedSavepoints).toEqual([second.savepoint]);
    expect(flink.disposed).toContain(second.savepoint);
    const record = await records.read(job);
    expect(record.current).toMatchObject({ jobId: third.jobId, spec: { version: 'v3' }, restoredFrom: third.savepoint });
    expect(record.savepoints.map((entry) => entry.path)).toEqual([third.savepoint]);
    expect(record.events.map((event) => [event.outcome, event.toVersion])).toEqual([['deployed', 'v3'], ['deployed', 'v2'], ['deployed', 'v1']]);

    if (process.env.RECORD_WORKFLOW_HISTORIES === '1') writeFileSync(HISTORY_FILE, historyAsJson(await handle.fetchHistory()));
  });

  it('aborts when the stop-with-savepoint fails: the old job keeps running and nothing is submitted', async () => {
    const job = uniqueJob('savepoint-fails');
    const first = await deploy({ spec: specOf(job, 'v1') });
    flink.switches.savepointFails.add(job);
    const submitsBefore = flink.calls.submit;

    const result = await deploy({ spec: specOf(job, 'v2') });
    expect(result).toMatchObject({ outcome: 'aborted', jobId: first.jobId });
    expect(result.savepoint).toBeUndefined();
    expect(result.error).toMatch(new RegExp(`stop-with-savepoint of job ${first.jobId} failed, so it keeps running and nothing was submitted: .*Checkpoint Coordinator is suspending`));
    expect(flink.stateOf(first.jobId ?? '')).toBe('RUNNING');
    expect(flink.calls.submit).toBe(submitsBefore);
    expect((await records.read(job)).current?.jobId).toBe(first.jobId);
  });

  describe('a stop-with-savepoint that does not complete', () => {
    /** A savepoint timeout short enough for a test; the activity's own wait sees it. */
    const SHORT_STOP = { heartbeatMs: 2_000, savepointMs: 300 };

    it('over REST, which cannot withdraw it: aborts, and the result says the job still runs but may stop, and how to restore it then', async () => {
      const job = uniqueJob('stop-pending');
      const first = await deploy({ spec: specOf(job, 'v1') });
      flink.switches.stopNeverCompletes.add(job);
      const submitsBefore = flink.calls.submit;
      const stopsBefore = flink.calls.stopWithSavepoint;

      const handle = await start({ spec: specOf(job, 'v2'), timeouts: SHORT_STOP });
      const result = await handle.result();
      const triggers = flink.abandonedStops.filter((call) => call.jobId === first.jobId).map((call) => call.triggerId);
      // One stop: each of the three attempts gave up on it once, resumed it in the next, then the workflow gave it up until its wait ended.
      expect(flink.calls.stopWithSavepoint).toBe(stopsBefore + 1);
      expect(triggers.length).toBeGreaterThan(3);
      expect(new Set(triggers).size).toBe(1);
      const [triggerId] = triggers;
      expect(result).toMatchObject({ outcome: 'aborted', jobId: first.jobId });
      expect(result.savepoint).toBeUndefined();
      expect(result.error).toBe(
        `stop-with-savepoint of job ${first.jobId} did not complete, so nothing was submitted: timed out after 300 ms waiting for savepoint ${triggerId} of job ${first.jobId} (last seen: IN_PROGRESS); ` +
          `the stop-with-savepoint was given up on: job ${first.jobId} still runs, but Flink cannot withdraw a stop-with-savepoint: the job stops if savepoint ${triggerId} still completes ` +
          `(Flink fails it at the job's checkpoint timeout otherwise, and the job keeps running); check with \`tributary flink status ${job}\`, and if the job stopped, ` +
          `restore its state with \`tributary flink deploy ${job} --from-savepoint <path>\` (the path of its newest savepoint in the Flink UI's checkpoint history)`,
      );
      expect(flink.stateOf(first.jobId ?? '')).toBe('RUNNING');
      expect(flink.calls.submit).toBe(submitsBefore);
      expect((await records.read(job)).current?.jobId).toBe(first.jobId);
      if (process.env.RECORD_WORKFLOW_HISTORIES === '1') writeFileSync(STOP_ABANDONED_HISTORY_FILE, historyAsJson(await handle.fetchHistory()));
    });

    it('lost with its worker (Temporal times the activity out): the workflow withdraws the stop with the trigger id of the last heartbeat, and the job keeps running', async () => {
      const job = uniqueJob('stop-lost');
      const first = await deploy({ spec: specOf(job, 'v1') });
      flink.switches.stopNeverCompletes.add(job);
      flink.switches.savepointProgressHangs.add(job);
      flink.switches.stopWithdrawable.add(job);
      const stopsBefore = flink.calls.stopWithSavepoint;

      const result = await deploy({ spec: specOf(job, 'v2'), timeouts: { heartbeatMs: 1_000 } });
      // The activity never saw a timeout: only the workflow gave the stop up, naming the trigger the first attempt heartbeat.
      expect(flink.calls.stopWithSavepoint).toBe(stopsBefore + 1);
      const abandoned = flink.abandonedStops.filter((call) => call.jobId === first.jobId);
      expect(abandoned).toHaveLength(1);
      expect(abandoned[0]?.triggerId).toMatch(/^trigger-\d+$/);
      expect(result).toMatchObject({ outcome: 'aborted', jobId: first.jobId });
      expect(result.savepoint).toBeUndefined();
      expect(result.error).toMatch(new RegExp(`^stop-with-savepoint of job ${first.jobId} did not complete, so nothing was submitted: .*[Hh]eartbeat.*; its FlinkDeployment was set back to state running, so the operator keeps job ${first.jobId} running`));
      expect(flink.stateOf(first.jobId ?? '')).toBe('RUNNING');
    });

    it('that completes just as its activity gives it up: the upgrade goes on from its savepoint', async () => {
      const job = uniqueJob('stop-late');
      const first = await deploy({ spec: specOf(job, 'v1') });
      flink.switches.stopNeverCompletes.add(job);
      flink.switches.stopCompletesWhenAbandoned.add(job);

      const result = await deploy({ spec: specOf(job, 'v2'), timeouts: SHORT_STOP });
      expect(result).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2', downtimeMs: expect.any(Number) });
      expect(result.savepoint).toMatch(/^file:\/fake\/savepoints\/savepoint-.*-late-trigger-/);
      expect(flink.stateOf(first.jobId ?? '')).toBe('FINISHED');
      expect(flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job)).toEqual([{ jobId: result.jobId, spec: specOf(job, 'v2'), savepointPath: result.savepoint }]);
      expect((await records.read(job)).savepoints[0]).toMatchObject({ path: result.savepoint, jobId: first.jobId, version: 'v1', reason: 'upgrade' });
    });

    it('lost with its worker, and completed when the workflow gives it up: the upgrade goes on from its savepoint, with the downtime unknown', async () => {
      const job = uniqueJob('stop-lost-late');
      const first = await deploy({ spec: specOf(job, 'v1') });
      flink.switches.stopNeverCompletes.add(job);
      flink.switches.stopCompletesWhenAbandoned.add(job);
      flink.switches.savepointProgressHangs.add(job);

      const result = await deploy({ spec: specOf(job, 'v2'), timeouts: { heartbeatMs: 1_000 } });
      expect(result).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
      expect(result.downtimeMs).toBeUndefined();
      expect(result.savepoint).toMatch(/^file:\/fake\/savepoints\/savepoint-.*-late-trigger-/);
      expect(flink.stateOf(first.jobId ?? '')).toBe('FINISHED');
      expect((await records.read(job)).savepoints.find((entry) => entry.path === result.savepoint)).toMatchObject({ jobId: first.jobId, version: 'v1', reason: 'upgrade' });
    });
  });

  it('rolls back from the same savepoint when Flink rejects the new spec, and carries Flink\'s text', async () => {
    const job = uniqueJob('bad-spec');
    const first = await deploy({ spec: specOf(job, 'v1') });
    flink.switches.submitFails.add(`${job}-v2`);

    const result = await deploy({ spec: specOf(job, `${job}-v2`) });
    expect(result.outcome).toBe('rolled-back');
    expect(result.error).toContain('--features-topic is required');
    expect(result.error).toContain(FAKE_MAIN_FAILURE.split('\n')[0]);
    const rollback = flink.submissions.at(-1);
    expect(rollback).toMatchObject({ jobId: result.jobId, spec: { version: 'v1' }, savepointPath: result.savepoint });
    expect(result.jobId).not.toBe(first.jobId);
    expect(result.rollbackHealth?.healthy).toBe(true);
    expect((await records.read(job)).current).toMatchObject({ jobId: result.jobId, spec: { version: 'v1' } });
  });

  it('rolls back when the new job restarts in its health window, stopping it first', async () => {
    const job = uniqueJob('unhealthy');
    await deploy({ spec: specOf(job, 'v1') });
    const version = `${job}-v2`;
    flink.switches.restartsInHealthWindow.add(version);

    const handle = await start({ spec: specOf(job, version) });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    expect(result.health).toMatchObject({ healthy: false, flinkError: FAKE_RUNTIME_FAILURE });
    expect(result.error).toContain('restarted 1 time(s)');
    const [failed] = flink.submissionsOf(version);
    expect(flink.stateOf(failed?.jobId ?? '')).toBe('CANCELED');
    expect(flink.submissions.at(-1)).toMatchObject({ spec: { version: 'v1' }, savepointPath: failed?.savepointPath });
    const status = await handle.query<FlinkDeployStatus>('status');
    expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'savepointing', 'submitting', 'verifying', 'rolling-back', 'verifying-rollback', 'rolled-back']);
  });

  it('rolls back when no checkpoint completes in the window: RUNNING is not enough', async () => {
    const job = uniqueJob('no-checkpoint');
    await deploy({ spec: specOf(job, 'v1') });
    const version = `${job}-v2`;
    flink.switches.noCheckpointCompletes.add(version);
    const result = await deploy({ spec: specOf(job, version) });
    expect(result.outcome).toBe('rolled-back');
    // The fake's checkpointing: 3 × 100 ms interval + 200 ms timeout = 500 ms, longer than the 300 ms window.
    expect(result.health?.problems).toEqual([expect.stringMatching(/^0 checkpoint\(s\) completed in \d+ ms; 1 required within 500 ms \(3 × 100 ms interval \+ 200 ms checkpoint timeout\)$/)]);
    expect(result.health?.figures.watchedMs).toBeGreaterThanOrEqual(500);
  });

  it('waits past the window for a first checkpoint that comes before the deadline derived from the checkpointing', async () => {
    const job = uniqueJob('slow-checkpoint');
    const version = `${job}-v1`;
    // 3 × 1000 ms interval + 2000 ms timeout = a 5000 ms deadline; the first checkpoint comes long after the 300 ms window.
    flink.switches.slowFirstCheckpoint.set(version, 1_500);
    const usual = flink.checkpointing;
    flink.checkpointing = { intervalMs: 1_000, timeoutMs: 2_000 };
    try {
      const result = await deploy({ spec: specOf(job, version) });
      expect(result.outcome, result.error).toBe('deployed');
      expect(result.health?.figures.completedCheckpoints).toBe(1);
      expect(result.health?.figures.watchedMs).toBeGreaterThan(HEALTH.windowMs);
    } finally {
      flink.checkpointing = usual;
    }
  });

  describe('adopting a job no deployment recorded, and --from-savepoint', () => {
    const newJobId = (): string => randomBytes(16).toString('hex');

    it('stops an unrecorded job with a savepoint and starts the new version from it (flink submit, then flink deploy)', async () => {
      const job = uniqueJob('adopt');
      const unrecorded = newJobId();
      flink.startUnrecorded(unrecorded, job, 'by-hand');
      const handle = await start({ spec: specOf(job, 'v2') });
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'deployed', adoptedJobId: unrecorded, toVersion: 'v2' });
      expect(result.fromVersion).toBeUndefined();
      expect(flink.stateOf(unrecorded)).toBe('FINISHED');
      expect(flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job)).toEqual([{ jobId: result.jobId, spec: specOf(job, 'v2'), savepointPath: result.savepoint }]);
      const record = await records.read(job);
      expect(record.current).toMatchObject({ jobId: result.jobId, spec: { version: 'v2' }, restoredFrom: result.savepoint });
      expect(record.savepoints).toEqual([expect.objectContaining({ path: result.savepoint, jobId: unrecorded, version: '(unrecorded)', reason: 'upgrade' })]);
      const status = await handle.query<FlinkDeployStatus>('status');
      expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'savepointing', 'submitting', 'verifying', 'deployed']);
      if (process.env.RECORD_WORKFLOW_HISTORIES === '1') writeFileSync(ADOPTION_HISTORY_FILE, historyAsJson(await handle.fetchHistory()));
    });

    it('ends failed with nothing running when the new version fails after adoption, naming the savepoint that holds the state', async () => {
      const job = uniqueJob('adopt-fails');
      const unrecorded = newJobId();
      flink.startUnrecorded(unrecorded, job, 'by-hand');
      const version = `${job}-v2`;
      flink.switches.restartsInHealthWindow.add(version);
      const result = await deploy({ spec: specOf(job, version) });
      expect(result).toMatchObject({ outcome: 'failed', adoptedJobId: unrecorded });
      expect(result.jobId).toBeUndefined();
      expect(result.savepoint).toMatch(/^file:\/fake\/savepoints\//);
      expect(result.error).toContain(`restarted 1 time(s)`);
      expect(result.error).toContain(`; nothing runs now (job ${unrecorded} was not recorded by any deployment, so its spec is unknown and it cannot be rolled back to): the state is in savepoint ${result.savepoint}`);
      expect(flink.runningVersions(job)).toEqual([]);
      expect((await records.read(job)).current).toBeUndefined();
    });

    it('refuses, changing nothing, when it cannot tell which job to upgrade', async () => {
      const job = uniqueJob('adopt-several');
      const [first, second] = [newJobId(), newJobId()];
      flink.startUnrecorded(first, job, 'a');
      flink.startUnrecorded(second, job, 'b');
      const result = await deploy({ spec: specOf(job, 'v2') });
      expect(result.outcome).toBe('aborted');
      expect(result.error).toMatch(new RegExp(`^job\\(s\\) (${first}, ${second}|${second}, ${first}) run as "${job}" and no deployment recorded them, so it is unknown which one to upgrade; keep one: stop each of the others with \`tributary flink cancel --job-name ${job} --job-id <id>\` \\(it takes a savepoint`));
      expect(flink.runningVersions(job)).toEqual(['a', 'b']);
    });

    it('restores --from-savepoint on a first deployment, and refuses it beside a running job', async () => {
      const job = uniqueJob('from-savepoint');
      const path = `file:/fake/savepoints/retained-${job}`;
      const first = await deploy({ spec: specOf(job, 'v1'), fromSavepoint: path });
      expect(first).toMatchObject({ outcome: 'deployed', savepoint: path });
      expect(flink.submissionsOf('v1').filter((entry) => entry.spec.jobName === job)).toEqual([{ jobId: first.jobId, spec: specOf(job, 'v1'), savepointPath: path }]);
      expect((await records.read(job)).current).toMatchObject({ jobId: first.jobId, restoredFrom: path });

      const refused = await deploy({ spec: specOf(job, 'v2'), fromSavepoint: path });
      expect(refused.outcome).toBe('aborted');
      expect(refused.error).toBe(`job ${first.jobId} runs as "${job}", so restoring ${path} would start a second copy writing the same topics; to upgrade the running job, deploy without --from-savepoint (it takes a fresh savepoint of the running job and starts from that)`);
      expect(flink.runningVersions(job)).toEqual(['v1']);
      expect((await records.read(job)).current?.jobId).toBe(first.jobId);
    });

    it('after the recorded job stopped: refuses without --from-savepoint, and rolls a failing version back to the recorded spec from it', async () => {
      const job = uniqueJob('resume');
      const v1 = await deploy({ spec: specOf(job, 'v1') });
      // `tributary flink cancel` stops the job with a savepoint; the record keeps its spec.
      const triggerId = await flink.stopWithSavepoint(v1.jobId ?? '');
      const stopped = await flink.savepointProgress(v1.jobId ?? '', triggerId);
      const path = stopped.status === 'COMPLETED' ? stopped.location : '';

      const refused = await deploy({ spec: specOf(job, 'v2') });
      expect(refused.outcome).toBe('aborted');
      expect(refused.error).toContain(`the current job of "${job}" (${v1.jobId}) is FINISHED, so there is no running job to take a savepoint of, and an upgrade never falls back to an older checkpoint; resume`);
      expect(flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job)).toEqual([]);

      const version = `${job}-v2`;
      flink.switches.submitFails.add(version);
      const result = await deploy({ spec: specOf(job, version), fromSavepoint: path });
      expect(result).toMatchObject({ outcome: 'rolled-back', fromVersion: 'v1', savepoint: path });
      expect(flink.submissions.at(-1)).toMatchObject({ jobId: result.jobId, spec: { version: 'v1' }, savepointPath: path });
      expect(flink.runningVersions(job)).toEqual(['v1']);
    });
  });

  it('submits once when the worker dies mid-submit and another worker takes over', async () => {
    const job = uniqueJob('worker-crash');
    await deploy({ spec: specOf(job, 'v1') });
    const version = `${job}-v2`;
    flink.switches.hangAfterSubmit.add(version);

    const handle = await start({ spec: specOf(job, version) });
    await waitFor('the new version to be submitted', () => (flink.submissionsOf(version).length === 1 ? true : undefined), 30_000, 50);
    worker.shutdown();
    await workerRun.catch(() => undefined);
    flink.switches.hangAfterSubmit.delete(version);
    ({ worker, run: workerRun } = await startWorker());

    const result = await handle.result();
    expect(result.outcome).toBe('deployed');
    expect(flink.submissionsOf(version)).toHaveLength(1);
    expect(result.jobId).toBe(flink.submissionsOf(version)[0]?.jobId);
    expect(flink.stateOf(result.jobId ?? '')).toBe('RUNNING');
  }, 90_000);

  it('refuses a second deployment of the same job while one runs, with a one-line message', async () => {
    const job = uniqueJob('concurrent');
    const running = await start({ spec: specOf(job, 'v1'), health: { windowMs: 3_000, sampleIntervalMs: 100 } });
    const refusal = await start({ spec: specOf(job, 'v2') }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DeploymentAlreadyRunningError);
    expect((refusal as Error).message).toBe(
      `a deployment of "${job}" is already running (workflow flink-deploy:${job}, run ${running.firstExecutionRunId}); wait for it to end or follow it at ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/flink-deploy%3A${job}`,
    );
    expect((await running.result()).outcome).toBe('deployed');
  });

  it('fails fast on invalid input, naming each problem', async () => {
    const failure = await deploy({ spec: specOf(uniqueJob('invalid'), 'v1'), savepointRetention: 0, health: { windowMs: -1 } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as Error).message).toMatch(/^invalid flink deployment input: savepointRetention=0: expected a whole number >= 1; invalid health window options: windowMs=-1/);
  });

  describe('blue-green', () => {
    const CATCH_UP = { timeoutMs: 400, sampleIntervalMs: 50 };
    /** A v1 deployed (savepoint mode) writing `<job>.features`, and two models: one reading that topic, one another. */
    const blueJob = async (purpose: string) => {
      const job = uniqueJob(purpose);
      blueGreenJobs.push(job);
      const oldTopic = `${job}.features`;
      const v1 = await deploy({ spec: specOf(job, 'v1', oldTopic) });
      const reads = `${job}-fraud`;
      const other = `${job}-other`;
      await deployments.publish(reads, { featuresTopic: oldTopic, updatedBy: 'test', reason: 'seed' });
      await deployments.publish(other, { featuresTopic: 'tributary.features', updatedBy: 'test', reason: 'seed' });
      return { job, oldTopic, newTopic: `${oldTopic}.v2`, v1, reads, other };
    };
    const blueGreen = (job: string, newTopic: string, extra: Partial<FlinkDeployInput> = {}) => start({ spec: specOf(job, 'v2', newTopic), mode: 'blue-green', catchUp: CATCH_UP, ...extra });

    it('starts v2 beside v1 from a savepoint, moves the models reading v1\'s topic once v2 is healthy and caught up, then stops v1', async () => {
      const { job, oldTopic, newTopic, v1, reads, other } = await blueJob('bg-happy');
      const handle = await blueGreen(job, newTopic);
      const result = await handle.result();

      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({ outcome: 'deployed', mode: 'blue-green', fromVersion: 'v1', toVersion: 'v2', catchUp: { caughtUp: true, backlogRecords: 0 } });
      expect(outputTopics.created.get(newTopic)).toBe(oldTopic);
      // v2 restored from a savepoint v1 kept running through, and dropped the old sinks' state.
      const [submission] = flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job);
      expect(submission).toMatchObject({ jobId: result.jobId, savepointPath: result.savepoint, spec: { allowNonRestoredState: true, observedTopics: { outputs: [newTopic] } } });
      // At the takeover both ran; only the model that read the old topic moved, with the handoff.
      const ours = publishes.filter((entry) => entry.model === reads || entry.model === other);
      expect(ours.map((entry) => entry.model)).toEqual([reads]);
      expect(ours[0]?.running.get(job)).toEqual(['v1', 'v2']);
      const overlapFrom = result.handoff?.overlapFrom;
      expect(overlapFrom).toHaveLength(3);
      expect(await deployments.latest(reads)).toMatchObject({
        featuresTopic: newTopic,
        featuresHandoff: { previousTopic: oldTopic, overlapFrom },
        updatedBy: `workflow:flink-deploy:${job}`,
      });
      expect((await deployments.latest(other))?.featuresTopic).toBe('tributary.features');
      expect(result.handoff).toEqual({ previousTopic: oldTopic, newTopic, overlapFrom, models: [reads] });
      // Afterwards v1 is stopped with a savepoint, and the record names v2.
      expect(flink.stateOf(v1.jobId ?? '')).toBe('FINISHED');
      expect(flink.runningVersions(job)).toEqual(['v2']);
      expect(result.takeoverMs).toBeGreaterThanOrEqual(0);
      const record = await records.read(job);
      expect(record.current).toMatchObject({ jobId: result.jobId, spec: { version: 'v2', observedTopics: { outputs: [newTopic] } }, restoredFrom: result.savepoint });
      expect(record.savepoints.map((entry) => [entry.reason, entry.jobId])).toEqual([['upgrade', v1.jobId], ['blue-green', v1.jobId]]);
      expect(record.events[0]).toMatchObject({ outcome: 'deployed', mode: 'blue-green', handoff: { previousTopic: oldTopic, newTopic, models: [reads] } });

      const status = await handle.query<FlinkDeployStatus>('status');
      expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'preparing-output', 'savepointing', 'submitting', 'verifying', 'catching-up', 'taking-over', 'stopping-previous', 'deployed']);
      if (process.env.RECORD_WORKFLOW_HISTORIES === '1') writeFileSync(BLUE_GREEN_HISTORY_FILE, historyAsJson(await handle.fetchHistory()));
    });

    it('cancels an unhealthy v2 and leaves v1 running untouched, with Flink\'s text; nothing is published or deleted', async () => {
      const { job, oldTopic, newTopic, v1, reads } = await blueJob('bg-unhealthy');
      flink.switches.restartsInHealthWindow.add('v2');
      try {
        const handle = await blueGreen(job, newTopic);
        const result = await handle.result();
        expect(result).toMatchObject({ outcome: 'rolled-back', jobId: v1.jobId, health: { healthy: false, flinkError: FAKE_RUNTIME_FAILURE } });
        expect(result.error).toContain('restarted 1 time(s)');
        const [submission] = flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job);
        expect(flink.stateOf(submission?.jobId ?? '')).toBe('CANCELED');
        expect(flink.stateOf(v1.jobId ?? '')).toBe('RUNNING');
        expect(publishes.filter((entry) => entry.model === reads)).toEqual([]);
        expect((await deployments.latest(reads))?.featuresTopic).toBe(oldTopic);
        expect(outputTopics.created.has(newTopic)).toBe(true);
        expect((await records.read(job)).current?.jobId).toBe(v1.jobId);
        const status = await handle.query<FlinkDeployStatus>('status');
        expect(status.phases.map((entry) => entry.phase)).toEqual(['locating', 'preparing-output', 'savepointing', 'submitting', 'verifying', 'rolling-back', 'rolled-back']);
        if (process.env.RECORD_WORKFLOW_HISTORIES === '1') writeFileSync(BLUE_GREEN_ROLLBACK_HISTORY_FILE, historyAsJson(await handle.fetchHistory()));
      } finally {
        flink.switches.restartsInHealthWindow.delete('v2');
      }
    });

    it('rolls back when v2 does not catch up within the timeout', async () => {
      const { job, newTopic, v1, reads } = await blueJob('bg-behind');
      flink.switches.neverCatchesUp.add('v2');
      try {
        const result = await (await blueGreen(job, newTopic)).result();
        expect(result).toMatchObject({ outcome: 'rolled-back', jobId: v1.jobId, health: { healthy: true }, catchUp: { caughtUp: false, backlogRecords: FAKE_STUCK_BACKLOG } });
        expect(result.error).toMatch(new RegExp(`did not catch up with its input: the job's sources still had ${FAKE_STUCK_BACKLOG} record\\(s\\) to read after \\d+ ms; at most 1000 allowed`));
        expect(flink.runningVersions(job)).toEqual(['v1']);
        expect(publishes.filter((entry) => entry.model === reads)).toEqual([]);
      } finally {
        flink.switches.neverCatchesUp.delete('v2');
      }
    });

    it('moves each model once when the worker dies mid-takeover and another worker takes over', async () => {
      const { job, newTopic, v1, reads } = await blueJob('bg-worker-crash');
      hangAfterPublish.add(reads);
      const handle = await blueGreen(job, newTopic);
      await waitFor('the takeover to publish', () => (publishes.some((entry) => entry.model === reads) ? true : undefined), 30_000, 50);
      worker.shutdown();
      await workerRun.catch(() => undefined);
      hangAfterPublish.delete(reads);
      ({ worker, run: workerRun } = await startWorker());

      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'deployed', handoff: { models: [reads] } });
      expect(publishes.filter((entry) => entry.model === reads)).toHaveLength(1);
      expect((await deployments.latest(reads))?.revision).toBe(2);
      expect(flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job)).toHaveLength(1);
      expect(flink.stateOf(v1.jobId ?? '')).toBe('FINISHED');
    }, 90_000);

    it('fails takeover-failed when a model cannot be moved, leaving both versions running for a person to finish', async () => {
      const { job, newTopic, v1, reads } = await blueJob('bg-takeover-fails');
      refusedModels.add(reads);
      const handle = await blueGreen(job, newTopic);
      const failure = await handle.result().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as Error;
      expect(cause.message).toMatch(new RegExp(`^${job}: moving the models from .*\\.features to .*\\.features\\.v2 failed, so jobs ${v1.jobId} \\(v1\\) and [0-9a-f]{32} \\(v2\\) both keep running; .*the deployments topic refused the write`));
      expect(flink.runningVersions(job)).toEqual(['v1', 'v2']);
      const record = await records.read(job);
      expect(record.current?.jobId).toBe(v1.jobId);
      expect(record.events[0]).toMatchObject({ outcome: 'takeover-failed', mode: 'blue-green' });
      const status = await handle.query<FlinkDeployStatus>('status');
      expect(status.phases.map((entry) => entry.phase).slice(-2)).toEqual(['taking-over', 'takeover-failed']);
    });

    it('aborts when the savepoint beside v1 fails: v1 keeps running and nothing is submitted', async () => {
      const { job, newTopic, v1 } = await blueJob('bg-savepoint-fails');
      flink.switches.savepointFails.add(job);
      const result = await (await blueGreen(job, newTopic)).result();
      expect(result).toMatchObject({ outcome: 'aborted', jobId: v1.jobId });
      expect(result.error).toMatch(/the savepoint of job [0-9a-f]{32} failed, so it keeps running and nothing was submitted: .*Checkpoint expired/);
      expect(flink.submissionsOf('v2').filter((entry) => entry.spec.jobName === job)).toEqual([]);
      expect(flink.runningVersions(job)).toEqual(['v1']);
    });

    it('refuses a v2 that writes the same topic as v1, before touching anything', async () => {
      const { job, oldTopic } = await blueJob('bg-same-topic');
      const result = await (await blueGreen(job, oldTopic)).result();
      expect(result.outcome).toBe('aborted');
      expect(result.error).toMatch(/^a blue\/green upgrade writes one output to a new topic beside the old one, but v1 writes \[.*\.features\] and v2 writes \[.*\.features\]/);
      expect(flink.runningVersions(job)).toEqual(['v1']);
    });
  });
});
