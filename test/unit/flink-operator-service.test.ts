/**
 * OperatorFlinkService against a fake Kubernetes API server that moves a FlinkDeployment's
 * status the way the Flink Kubernetes Operator 1.15.0 does (test/fixtures/flink-operator/), driven
 * in the order the flinkDeploy activities call it: a first deployment, an upgrade by savepoint, a
 * failed upgrade rolled back to the previous spec from the same savepoint, a stop with savepoint
 * (and one whose savepoint fails, and ones given up on before and after the operator suspended
 * the job), and a worker restarted mid-upgrade.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { FlinkJobSpec } from '../../src/flink/deployment-spec.js';
import type { JobState } from '../../src/flink/flink-rest-client.js';
import { RestFlinkService, type FlinkService } from '../../src/flink/flink-service.js';
import { createFlinkService } from '../../src/flink/kubernetes/configured-flink-service.js';
import { KubernetesApiClient } from '../../src/flink/kubernetes/kubernetes-api-client.js';
import { DeploymentNameError, FlinkDeploymentMissingError, JobBesideRunningJobError, KubernetesRequestError, ServiceAccountError } from '../../src/flink/kubernetes/kubernetes-errors.js';
import { OperatorFlinkService } from '../../src/flink/kubernetes/operator-flink-service.js';
import { FakeOperatorServer } from '../fixtures/flink-operator/fake-operator-server.js';
import { waitFor } from '../helpers/wait-for.js';

const server = new FakeOperatorServer();
const newJobId = (): string => randomBytes(16).toString('hex');

const serviceFor = (fake: FakeOperatorServer = server): OperatorFlinkService =>
  new OperatorFlinkService({
    api: new KubernetesApiClient({ apiUrl: fake.url, retryBackoffMs: 1 }),
    namespace: fake.namespace,
    jobManagerUrl: fake.jobManagerUrl,
    rest: { retries: 0 },
  });

const specOf = (jobName: string, version: string, flinkConfiguration?: Record<string, string>): FlinkJobSpec => ({
  jobName,
  version,
  jarPath: `/opt/flink/usrlib/feature-job-${version}.jar`,
  entryClass: 'dev.tributary.flink.features.FeatureJob',
  programArgs: ['--job-version', version],
  parallelism: 2,
  ...(flinkConfiguration ? { flinkConfiguration } : {}),
});

const stateOf = async (flink: FlinkService, jobId: string): Promise<JobState | undefined> => (await flink.job(jobId))?.state;
const until = (flink: FlinkService, jobId: string, states: readonly JobState[]): Promise<JobState> =>
  waitFor(`job ${jobId} to be ${states.join(' or ')}`, async () => {
    const state = await stateOf(flink, jobId);
    return state && states.includes(state) ? state : undefined;
  });
const savepointOf = (flink: FlinkService, jobId: string, triggerId: string) =>
  waitFor(`the savepoint ${triggerId}`, async () => {
    const progress = await flink.savepointProgress(jobId, triggerId);
    return progress.status === 'IN_PROGRESS' ? undefined : progress;
  });

/** Deploys `version` without state on a fresh resource named `name`; returns its job id once RUNNING. */
async function firstDeployment(flink: FlinkService, name: string, version = 'v1'): Promise<string> {
  server.add(name);
  const jobId = newJobId();
  await flink.submit({ jobId, spec: specOf(name, version), savepointPath: undefined });
  await until(flink, jobId, ['RUNNING']);
  return jobId;
}

/** Stops the job with a savepoint the way the stopWithSavepoint activity does; returns the savepoint. */
async function stopWithSavepoint(flink: FlinkService, jobId: string): Promise<string> {
  const triggerId = await flink.stopWithSavepoint(jobId, { drain: false });
  const progress = await savepointOf(flink, jobId, triggerId);
  if (progress.status !== 'COMPLETED') throw new Error(`savepoint failed: ${progress.error}`);
  return progress.location;
}

beforeAll(async () => {
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

describe('OperatorFlinkService against the operator fake', () => {
  it('first deployment: runs the spec without state under the chosen job id', async () => {
    const flink = serviceFor();
    expect(await flink.activeJobs('first')).toStrictEqual([]);
    server.add('first');
    expect(await flink.activeJobs('first')).toStrictEqual([]);
    const jobId = newJobId();
    await flink.submit({ jobId, spec: specOf('first', 'v1', { 'execution.checkpointing.interval': '2s' }), savepointPath: undefined });
    expect(await stateOf(flink, jobId)).toMatch(/INITIALIZING|RECONCILING|CREATED|RUNNING/);
    await until(flink, jobId, ['RUNNING']);

    const resource = server.resource('first');
    expect(resource.spec.job).toMatchObject({ jarURI: 'local:///opt/flink/usrlib/feature-job-v1.jar', entryClass: 'dev.tributary.flink.features.FeatureJob', args: ['--job-version', 'v1'], parallelism: 2, state: 'running', upgradeMode: 'stateless' });
    expect(resource.spec.flinkConfiguration).toMatchObject({ '$internal.pipeline.job-id': jobId, 'execution.checkpointing.interval': '2s' });
    expect(server.jobs.get(jobId)?.restoredFrom).toBeUndefined();
    expect(await flink.activeJobs('first')).toStrictEqual([{ jobId, name: 'first', state: 'RUNNING', startTime: expect.any(Number) as number }]);
    const sample = await waitFor('a completed checkpoint', async () => {
      const health = await flink.healthSample(jobId);
      return health.completedCheckpoints >= 1 ? health : undefined;
    });
    expect(sample).toMatchObject({ state: 'RUNNING', restarts: 0, exceptions: 0, latestException: undefined });
    expect(await flink.checkpointSettings(jobId)).toStrictEqual({ intervalMs: 50, timeoutMs: 1_000 });
  });

  it('upgrade by savepoint: suspends with a savepoint, then redeploys the new spec from exactly that savepoint', async () => {
    const flink = serviceFor();
    const v1 = await firstDeployment(flink, 'upgrade');
    const savepoint = await stopWithSavepoint(flink, v1);
    expect(savepoint).toBe(server.savepoints.at(-1));
    expect(await stateOf(flink, v1)).toBe('FINISHED');
    expect(server.resource('upgrade').status?.lifecycleState).toBe('SUSPENDED');

    const v2 = newJobId();
    await flink.submit({ jobId: v2, spec: specOf('upgrade', 'v2'), savepointPath: savepoint });
    await until(flink, v2, ['RUNNING']);
    expect(server.jobs.get(v2)?.restoredFrom).toBe(savepoint);
    expect(server.resource('upgrade').spec.job).toMatchObject({ upgradeMode: 'savepoint', initialSavepointPath: savepoint, savepointRedeployNonce: 1, args: ['--job-version', 'v2'] });
    expect(await flink.job(v1)).toBeUndefined();
  });

  it('failed upgrade: the new job fails, is cancelled, and the previous spec runs again from the same savepoint', async () => {
    const flink = serviceFor();
    server.failingJars.add('feature-job-v3');
    const v2 = await firstDeployment(flink, 'rollback', 'v2');
    const savepoint = await stopWithSavepoint(flink, v2);

    const v3 = newJobId();
    await flink.submit({ jobId: v3, spec: specOf('rollback', 'v3', { 'pipeline.max-parallelism': '64' }), savepointPath: savepoint });
    expect(await until(flink, v3, ['FAILED'])).toBe('FAILED');
    const failed = await flink.healthSample(v3);
    // Its JobManager is still up, so the sample is Flink's own, exception text included.
    expect(failed).toMatchObject({ state: 'FAILED', exceptions: 1, latestException: 'java.lang.IllegalStateException: feature vector width changed' });
    expect(await flink.checkpointSettings(v3)).toStrictEqual({ intervalMs: 50, timeoutMs: 1_000 });

    await flink.cancel(v3);
    expect(await stateOf(flink, v3)).toBe('FAILED');
    const rolledBack = newJobId();
    await flink.submit({ jobId: rolledBack, spec: specOf('rollback', 'v2'), savepointPath: savepoint });
    await until(flink, rolledBack, ['RUNNING']);
    expect(server.jobs.get(v3)?.restoredFrom).toBe(savepoint);
    expect(server.jobs.get(rolledBack)?.restoredFrom).toBe(savepoint);
    const resource = server.resource('rollback');
    expect(resource.spec.job).toMatchObject({ args: ['--job-version', 'v2'], savepointRedeployNonce: 2, initialSavepointPath: savepoint });
    // v3's own configuration key goes with it; the chart's keys stay.
    expect(resource.spec.flinkConfiguration).not.toHaveProperty('pipeline.max-parallelism');
    expect(resource.spec.flinkConfiguration).toMatchObject({ 'execution.checkpointing.savepoint-dir': 's3://tributary-state/savepoints' });
  });

  it('failed upgrade whose job is still starting: cancel suspends it statelessly and it ends', async () => {
    const flink = serviceFor();
    server.add('cancel');
    const jobId = newJobId();
    await flink.submit({ jobId, spec: specOf('cancel', 'v1'), savepointPath: undefined });
    await until(flink, jobId, ['RUNNING']);
    await flink.cancel(jobId);
    expect(server.resource('cancel').spec.job).toMatchObject({ state: 'suspended', upgradeMode: 'stateless' });
    expect(await until(flink, jobId, ['FINISHED', 'CANCELED'])).toBe('FINISHED');
    expect(await flink.activeJobs('cancel')).toStrictEqual([]);
  });

  it('stop with savepoint whose savepoint fails: reports Flink\'s error and puts state running back, so the job keeps running', async () => {
    const flink = serviceFor();
    const jobId = await firstDeployment(flink, 'savepoint-fails');
    server.savepointFails = true;
    try {
      const triggerId = await flink.stopWithSavepoint(jobId, { drain: true });
      expect(server.resource('savepoint-fails').spec.flinkConfiguration).toMatchObject({ 'kubernetes.operator.job.drain-on-savepoint-deletion': 'true' });
      const progress = await savepointOf(flink, jobId, triggerId);
      expect(progress).toStrictEqual({ status: 'FAILED', error: 'Savepoint Error; caused by: org.apache.flink.runtime.checkpoint.CheckpointException: Failure to finalize checkpoint.' });
      expect(server.resource('savepoint-fails').spec.job?.state).toBe('running');
    } finally {
      server.savepointFails = false;
    }
    await waitFor('the operator to clear its error', () => (server.resource('savepoint-fails').status?.error ? undefined : true));
    expect(await stateOf(flink, jobId)).toBe('RUNNING');
    // A second stop, as the activity's retry makes, succeeds.
    expect(await stopWithSavepoint(flink, jobId)).toBe(server.savepoints.at(-1));
  });

  describe('giving up on a stop with savepoint that did not complete', () => {
    it('before the operator suspended the job: puts state running back, and the job keeps running under its id without a savepoint', async () => {
      const flink = serviceFor();
      const jobId = await firstDeployment(flink, 'abandon-early');
      const savepointsBefore = server.savepoints.length;
      server.pause();
      try {
        const triggerId = await flink.stopWithSavepoint(jobId, { drain: false });
        expect(await flink.abandonStopWithSavepoint(jobId, triggerId)).toStrictEqual({ outcome: 'resumed' });
        expect(server.resource('abandon-early').spec.job).toMatchObject({ state: 'running' });
        // Now withdrawn, the trigger reads as failed: a retry of the activity stops anew instead of waiting on it.
        expect(await flink.savepointProgress(jobId, triggerId)).toMatchObject({ status: 'FAILED' });
        // Asked again (a retry, or the workflow after the activity), there is nothing left to withdraw.
        expect(await flink.abandonStopWithSavepoint(jobId, triggerId)).toStrictEqual({ outcome: 'running' });
      } finally {
        server.resume();
      }
      await waitFor('the operator to reconcile the running spec', () => {
        const { metadata, status } = server.resource('abandon-early');
        return (status?.observedGeneration ?? 0) >= (metadata.generation ?? 0) ? true : undefined;
      });
      expect(await stateOf(flink, jobId)).toBe('RUNNING');
      expect(server.savepoints.length).toBe(savepointsBefore);
      expect(server.resource('abandon-early').status?.lifecycleState).not.toBe('SUSPENDED');
    });

    it('after the operator suspended it: state running makes the operator restart the same job id from the savepoint it took', async () => {
      const flink = serviceFor();
      const jobId = await firstDeployment(flink, 'abandon-late');
      const triggerId = await flink.stopWithSavepoint(jobId, { drain: false });
      await until(flink, jobId, ['FINISHED']);
      const taken = server.savepoints.at(-1);
      expect(await flink.abandonStopWithSavepoint(jobId, triggerId)).toStrictEqual({ outcome: 'resumed' });
      await until(flink, jobId, ['RUNNING']);
      expect(server.jobs.get(jobId)?.restoredFrom).toBe(taken);
    });

    it('without its trigger id (the worker was lost before it heartbeat one): withdraws the suspension with savepoint of that job', async () => {
      const flink = serviceFor();
      const jobId = await firstDeployment(flink, 'abandon-untold');
      server.pause();
      try {
        await flink.stopWithSavepoint(jobId, { drain: false });
        expect(await flink.abandonStopWithSavepoint(jobId, undefined)).toStrictEqual({ outcome: 'resumed' });
        expect(server.resource('abandon-untold').spec.job?.state).toBe('running');
      } finally {
        server.resume();
      }
    });

    it('leaves a spec changed since alone (another suspension), and says a job no resource holds has ended', async () => {
      const flink = serviceFor();
      const jobId = await firstDeployment(flink, 'abandon-changed');
      server.pause();
      try {
        const triggerId = await flink.stopWithSavepoint(jobId, { drain: false });
        await flink.cancel(jobId);
        const generation = server.resource('abandon-changed').metadata.generation;
        expect(await flink.abandonStopWithSavepoint(jobId, triggerId)).toStrictEqual({ outcome: 'running' });
        expect(server.resource('abandon-changed').metadata.generation).toBe(generation);
        expect(server.resource('abandon-changed').spec.job).toMatchObject({ state: 'suspended', upgradeMode: 'stateless' });
      } finally {
        server.resume();
      }
      expect(await flink.abandonStopWithSavepoint(newJobId(), undefined)).toStrictEqual({ outcome: 'ended', state: 'UNKNOWN' });
    });
  });

  it('over a JobManager\'s REST API, which cannot withdraw a stop: says whether Flink still works on it, completed it or failed it', async () => {
    const flink = serviceFor();
    const jobId = await firstDeployment(flink, 'abandon-rest');
    const rest = new RestFlinkService({ baseUrl: server.jobManagerUrl({ name: 'abandon-rest' }), retries: 0 });
    const location = 's3://tributary-state/savepoints/savepoint-late';
    server.savepointOperations.set('pending', { status: { id: 'IN_PROGRESS' } });
    server.savepointOperations.set('completed', { status: { id: 'COMPLETED' }, operation: { location } });
    server.forgottenOperations.add('forgotten');
    server.savepointOperations.set('failed', { status: { id: 'COMPLETED' }, operation: { 'failure-cause': { class: 'org.apache.flink.runtime.checkpoint.CheckpointException', 'stack-trace': 'org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired before completing.' } } });
    expect(await rest.abandonStopWithSavepoint(jobId, 'pending')).toStrictEqual({ outcome: 'pending', triggerId: 'pending' });
    expect(await rest.abandonStopWithSavepoint(jobId, 'completed')).toStrictEqual({ outcome: 'stopped', savepoint: location });
    expect(await rest.abandonStopWithSavepoint(jobId, 'failed')).toStrictEqual({ outcome: 'running' });
    // Flink forgot the operation (or was never asked): the job's state is all there is.
    expect(await rest.abandonStopWithSavepoint(jobId, 'forgotten')).toStrictEqual({ outcome: 'running' });
    expect(await rest.abandonStopWithSavepoint(jobId, undefined)).toStrictEqual({ outcome: 'running' });
    expect(await rest.abandonStopWithSavepoint(newJobId(), 'pending')).toStrictEqual({ outcome: 'ended', state: 'UNKNOWN' });
  });

  it('worker restarted mid-upgrade: a new service instance resumes the suspension from its trigger id and does not submit twice', async () => {
    const before = serviceFor();
    const v1 = await firstDeployment(before, 'restart');
    server.pause();
    const triggerId = await before.stopWithSavepoint(v1, { drain: false });

    const after = serviceFor();
    expect(await after.savepointProgress(v1, triggerId)).toStrictEqual({ status: 'IN_PROGRESS' });
    server.resume();
    const progress = await savepointOf(after, v1, triggerId);
    if (progress.status !== 'COMPLETED') throw new Error(progress.error);

    // The first worker patched the submission and died before saying so.
    server.pause();
    const v2 = newJobId();
    await before.submit({ jobId: v2, spec: specOf('restart', 'v2'), savepointPath: progress.location });
    const generation = server.resource('restart').metadata.generation;
    expect(await after.job(v2)).toMatchObject({ jobId: v2, state: 'INITIALIZING' });
    await after.submit({ jobId: v2, spec: specOf('restart', 'v2'), savepointPath: progress.location });
    expect(server.resource('restart').metadata.generation).toBe(generation);
    expect(server.resource('restart').spec.job?.savepointRedeployNonce).toBe(1);
    server.resume();
    await until(after, v2, ['RUNNING']);
    expect(server.jobs.get(v2)?.restoredFrom).toBe(progress.location);
  });

  it('blue/green: a savepoint of the running job is taken over REST, but a job beside it is refused and the running one is left alone', async () => {
    const flink = serviceFor();
    const running = await firstDeployment(flink, 'blue-green');
    const triggerId = await flink.triggerSavepoint(running);
    expect(await flink.savepointProgress(running, triggerId)).toMatchObject({ status: 'COMPLETED' });
    const generation = server.resource('blue-green').metadata.generation;
    const beside = newJobId();
    const refusal = flink.submit({ jobId: beside, spec: specOf('blue-green', 'v2'), savepointPath: 's3://tributary-state/savepoints/x' });
    await expect(refusal).rejects.toThrow(JobBesideRunningJobError);
    await expect(refusal).rejects.toThrow(`FlinkDeployment "blue-green" (namespace features) still runs job ${running}`);
    expect(server.resource('blue-green').metadata.generation).toBe(generation);
    expect(await flink.job(beside)).toBeUndefined();
    expect(await stateOf(flink, running)).toBe('RUNNING');
  });

  it('disposes of a savepoint through a JobManager whose savepoint directory holds it', async () => {
    const flink = serviceFor();
    await firstDeployment(flink, 'disposal');
    await flink.disposeSavepoint('s3://tributary-state/savepoints/savepoint-old');
    expect(server.disposed).toContain('s3://tributary-state/savepoints/savepoint-old');
  });

  it('refuses a job with no FlinkDeployment, or a name that cannot be one, with one clear line', async () => {
    const flink = serviceFor();
    await expect(flink.submit({ jobId: newJobId(), spec: specOf('absent', 'v1'), savepointPath: undefined })).rejects.toThrow(FlinkDeploymentMissingError);
    await expect(flink.submit({ jobId: newJobId(), spec: specOf('absent', 'v1'), savepointPath: undefined })).rejects.toThrow('no FlinkDeployment "absent" in namespace features');
    await expect(flink.activeJobs('Feature_Job')).rejects.toThrow(DeploymentNameError);
    await expect(flink.healthSample(newJobId())).rejects.toThrow(/no FlinkDeployment in namespace features runs or asks for job/);
  });
});

describe('the Kubernetes API client', () => {
  it('reads again and patches once more after a 409, so the redeploy nonce moves by one', async () => {
    const flink = serviceFor();
    server.add('conflict');
    server.conflicts = 2;
    const jobId = newJobId();
    await flink.submit({ jobId, spec: specOf('conflict', 'v1'), savepointPath: 's3://tributary-state/savepoints/restore-me' });
    expect(server.conflicts).toBe(0);
    expect(server.resource('conflict').spec.job?.savepointRedeployNonce).toBe(1);
    await until(flink, jobId, ['RUNNING']);
    expect(server.jobs.get(jobId)?.restoredFrom).toBe('s3://tributary-state/savepoints/restore-me');
  });

  it('retries a 503 and gives up after its retries with the server\'s message', async () => {
    server.unavailable = 2;
    expect(await serviceFor().activeJobs('nothing-here')).toStrictEqual([]);
    server.unavailable = 10;
    const api = new KubernetesApiClient({ apiUrl: server.url, retries: 1, retryBackoffMs: 1 });
    const failure = api.get('/apis/flink.apache.org/v1beta1/namespaces/features/flinkdeployments/x');
    await expect(failure).rejects.toThrow(KubernetesRequestError);
    await expect(failure).rejects.toThrow(/HTTP 503: the server is currently unable to handle the request/);
    server.unavailable = 0;
  });

  it('sends the service-account token read again for each request (it rotates), and names the service account on 401', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tributary-sa-'));
    const fake = new FakeOperatorServer();
    await fake.start();
    try {
      writeFileSync(join(folder, 'namespace'), 'features\n');
      writeFileSync(join(folder, 'token'), 'first-token\n');
      const config = loadConfig({ env: { TRIBUTARY_FLINK_SERVICE: 'kubernetes', TRIBUTARY_FLINK_KUBERNETES_API_URL: fake.url, TRIBUTARY_FLINK_KUBERNETES_SERVICE_ACCOUNT_DIR: folder } });
      const flink = createFlinkService(config);
      expect(flink).toBeInstanceOf(OperatorFlinkService);
      fake.token = 'first-token';
      fake.add('rotation');
      expect(await flink.activeJobs('rotation')).toStrictEqual([]);
      writeFileSync(join(folder, 'token'), 'second-token\n');
      fake.token = 'second-token';
      expect(await flink.activeJobs('rotation')).toStrictEqual([]);
      expect(fake.requests.map((request) => request.authorization)).toStrictEqual(['Bearer first-token', 'Bearer second-token']);
      fake.token = 'third-token';
      await expect(flink.activeJobs('rotation')).rejects.toThrow(/HTTP 401|token was refused/);
    } finally {
      await fake.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('builds the REST service by default, without touching any service-account file', () => {
    // The default folder (/var/run/secrets/kubernetes.io/serviceaccount) does not exist outside a pod.
    expect(createFlinkService(loadConfig({ env: {} }))).toBeInstanceOf(RestFlinkService);
  });

  it('refuses to build the Kubernetes service without a namespace, naming the file and the settings', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tributary-sa-'));
    try {
      const config = loadConfig({ env: { TRIBUTARY_FLINK_SERVICE: 'kubernetes', TRIBUTARY_FLINK_KUBERNETES_SERVICE_ACCOUNT_DIR: folder } });
      expect(() => createFlinkService(config)).toThrow(ServiceAccountError);
      expect(() => createFlinkService(config)).toThrow(`cannot read the service account's namespace at ${join(folder, 'namespace')}`);
      expect(() => createFlinkService(config)).toThrow('set flink.kubernetes.serviceAccountDir (and flink.kubernetes.namespace)');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
