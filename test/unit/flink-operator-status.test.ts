/**
 * What OperatorFlinkService reads from a FlinkDeployment, on status documents shaped as the
 * Flink Kubernetes Operator 1.15.0 writes them (test/fixtures/flink-operator/, sources in its README).
 */
import { describe, expect, it } from 'vitest';
import {
  activeJob,
  configurationValue,
  operatorError,
  readJob,
  readSuspension,
  type FlinkDeployment,
  type FlinkDeploymentStatus,
} from '../../src/flink/kubernetes/flink-deployment.js';
import { jarUri, suspendTriggerId } from '../../src/flink/kubernetes/operator-flink-service.js';
import { fixtureDocument } from '../fixtures/flink-operator/fake-operator-server.js';

const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const NEXT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** The chart's resource with one of the fixture statuses, the job id (and savepoint) filled in, the spec asking for `desired`. */
function deployment(statusFile: string, options: { observed?: string; desired?: string; savepoint?: string; state?: 'running' | 'suspended'; generation?: number; observedGeneration?: number } = {}): FlinkDeployment {
  const base = fixtureDocument<FlinkDeployment>('flinkdeployment-suspended.json');
  const status = fixtureDocument<FlinkDeploymentStatus>(statusFile);
  return {
    ...base,
    metadata: { ...base.metadata, generation: options.generation ?? 3 },
    spec: {
      ...base.spec,
      job: { ...base.spec.job, state: options.state ?? 'running' },
      flinkConfiguration: { ...base.spec.flinkConfiguration, ...(options.desired ? { '$internal.pipeline.job-id': options.desired } : {}) },
    },
    status: {
      ...status,
      observedGeneration: options.observedGeneration ?? 3,
      jobStatus: { ...status.jobStatus, jobId: options.observed ?? JOB, ...(options.savepoint ? { upgradeSavepointPath: options.savepoint } : {}) },
    },
  };
}

describe('reading a job from the status', () => {
  it('reads a running job: its state and start time', () => {
    expect(readJob(deployment('status-running.json', { desired: JOB }), JOB)).toStrictEqual({ jobId: JOB, state: 'RUNNING', startTime: 1796544012345, error: undefined, deployed: true });
  });

  it('reads a job being deployed as RECONCILING, with no start time yet', () => {
    expect(readJob(deployment('status-deploying.json', { desired: JOB }), JOB)).toMatchObject({ state: 'RECONCILING', startTime: 0, deployed: true });
  });

  it('reads a suspended job as FINISHED', () => {
    expect(readJob(deployment('status-suspended.json', { state: 'suspended' }), JOB)?.state).toBe('FINISHED');
  });

  it('reads a failed job as FAILED with the exception and its cause from status.error', () => {
    expect(readJob(deployment('status-job-failed.json', { desired: JOB }), JOB)).toMatchObject({
      state: 'FAILED',
      error: 'Recovery is suppressed by NoRestartBackoffTimeStrategy; caused by: feature vector width changed',
    });
  });

  it('reads a job the spec asks for and the operator has not deployed as INITIALIZING, or CANCELED once the spec is suspended', () => {
    expect(readJob(deployment('status-suspended.json', { desired: NEXT }), NEXT)).toMatchObject({ state: 'INITIALIZING', deployed: false });
    expect(readJob(deployment('status-suspended.json', { desired: NEXT, state: 'suspended' }), NEXT)).toMatchObject({ state: 'CANCELED', deployed: false });
  });

  it('reads the job the spec asks for as FAILED when the operator rolled the resource back, naming the setting to turn off', () => {
    const reading = readJob(deployment('status-rolled-back.json', { desired: NEXT, observed: JOB }), NEXT);
    expect(reading?.state).toBe('FAILED');
    expect(reading?.error).toContain('kubernetes.operator.deployment.rollback.enabled');
  });

  it('does not know a job neither the status nor the spec names', () => {
    expect(readJob(deployment('status-running.json', { desired: JOB }), NEXT)).toBeUndefined();
  });

  it('finds the active job: the running one, or the one asked for; none once suspended', () => {
    expect(activeJob(deployment('status-running.json', { desired: JOB }))?.jobId).toBe(JOB);
    expect(activeJob(deployment('status-suspended.json', { desired: NEXT }))?.jobId).toBe(NEXT);
    expect(activeJob(deployment('status-suspended.json', { state: 'suspended' }))).toBeUndefined();
    expect(activeJob(fixtureDocument<FlinkDeployment>('flinkdeployment-suspended.json'))).toBeUndefined();
  });
});

describe('a suspension with savepoint', () => {
  const previous = 's3://tributary-state/savepoints/savepoint-0001';
  const taken = 's3://tributary-state/savepoints/savepoint-0002';

  it('is in progress until the operator reconciled its generation', () => {
    expect(readSuspension(deployment('status-running.json', { state: 'suspended', generation: 4, observedGeneration: 3 }), JOB, { generation: 4, previousSavepoint: undefined })).toStrictEqual({ status: 'IN_PROGRESS' });
  });

  it('completes with the savepoint the operator recorded once SUSPENDED', () => {
    const suspended = deployment('status-suspended.json', { state: 'suspended', savepoint: taken, generation: 4, observedGeneration: 4 });
    expect(readSuspension(suspended, JOB, { generation: 4, previousSavepoint: previous })).toStrictEqual({ status: 'COMPLETED', location: taken });
  });

  it('fails when the operator suspended without a new savepoint (the job had ended)', () => {
    const suspended = deployment('status-suspended.json', { state: 'suspended', savepoint: previous, generation: 4, observedGeneration: 4 });
    expect(readSuspension(suspended, JOB, { generation: 4, previousSavepoint: previous }).status).toBe('FAILED');
  });

  it("fails with the operator's savepoint error while the job still runs", () => {
    const failing = deployment('status-savepoint-error.json', { state: 'suspended', generation: 4, observedGeneration: 3 });
    expect(readSuspension(failing, JOB, { generation: 4, previousSavepoint: undefined })).toStrictEqual({
      status: 'FAILED',
      error: 'Savepoint Error; caused by: org.apache.flink.runtime.checkpoint.CheckpointException: Failure to finalize checkpoint.',
    });
  });

  it('fails once withdrawn: the spec asks for a running job again in a later generation, so a retry stops anew', () => {
    const withdrawn = deployment('status-running.json', { state: 'running', generation: 5, observedGeneration: 4 });
    expect(readSuspension(withdrawn, JOB, { generation: 4, previousSavepoint: undefined })).toStrictEqual({
      status: 'FAILED',
      error: `the suspension of FlinkDeployment ${withdrawn.metadata.name} was withdrawn: spec.job.state is running again, so the job keeps running`,
    });
  });

  it('carries its generation and the previous savepoint in its trigger id', () => {
    expect(suspendTriggerId({ generation: 12, previousSavepoint: previous })).toBe(`operator-suspend.12.${Buffer.from(previous).toString('base64url')}`);
    expect(suspendTriggerId({ generation: 2, previousSavepoint: undefined })).toBe('operator-suspend.2.');
  });
});

describe('small readings', () => {
  it('reads Flink configuration written flat or nested', () => {
    expect(configurationValue({ 'rest.port': '8082' }, 'rest.port')).toBe('8082');
    expect(configurationValue({ rest: { port: 8083 } }, 'rest.port')).toBe('8083');
    expect(configurationValue({ rest: { port: { nested: 1 } } }, 'rest.port')).toBeUndefined();
    expect(configurationValue(undefined, 'rest.port')).toBeUndefined();
  });

  it('keeps an operator error that is not JSON as it is', () => {
    expect(operatorError('InitialSavepointPath must not be empty for savepoint redeployment')).toBe('InitialSavepointPath must not be empty for savepoint redeployment');
    expect(operatorError(null)).toBeUndefined();
  });

  it('turns a jar path into a local:// URI and leaves URIs alone', () => {
    expect(jarUri('/opt/flink/usrlib/feature-job-1a2b.jar')).toBe('local:///opt/flink/usrlib/feature-job-1a2b.jar');
    expect(jarUri('s3://jars/feature-job.jar')).toBe('s3://jars/feature-job.jar');
  });
});
