/**
 * The FlinkDeployment custom resource of the Flink Kubernetes Operator (API
 * `flink.apache.org/v1beta1`; operator 1.10.0, whose API jar the Helm chart is validated against
 * as the newest on Maven Central, to 1.15.0, the newest release: every field and reconciler step
 * used here is the same at tags release-1.10.0 and release-1.15.0), the parts Tributary reads and writes, and what
 * its status says about one job. Pure, so the readings are unit-tested on status documents
 * shaped as the operator writes them (test/fixtures/flink-operator/).
 *
 * Shapes, from the operator's source at tag release-1.15.0:
 * - spec.job: flink-kubernetes-operator-api/…/api/spec/JobSpec.java (jarURI, parallelism,
 *   entryClass, args, state running|suspended, upgradeMode, initialSavepointPath,
 *   allowNonRestoredState, savepointRedeployNonce);
 * - status: …/api/status/CommonStatus.java (jobStatus, error, observedGeneration,
 *   lifecycleState) and FlinkDeploymentStatus.java (jobManagerDeploymentStatus,
 *   reconciliationStatus); status.jobStatus: …/api/status/JobStatus.java (jobId, state: Flink's
 *   JobStatus plus RECONCILING, startTime in epoch ms as text, upgradeSavepointPath);
 * - lifecycle: …/api/lifecycle/ResourceLifecycleState.java;
 * - status.error: the JSON of …/operator/exception/FlinkResourceException.java (type, message,
 *   throwableList), or plain text when that JSON could not be written.
 */
import { TERMINAL_JOB_STATES, type JobState } from '../flink-rest-client.js';

export const FLINK_DEPLOYMENT_API = 'flink.apache.org/v1beta1';

/**
 * The Flink configuration key that fixes an application's job id. The operator takes it as the
 * job id when the spec sets it (ApplicationReconciler.setJobIdIfNecessary), and otherwise makes
 * up a new one per deployment; setting it is how a submission runs "under a chosen job id".
 */
export const JOB_ID_KEY = '$internal.pipeline.job-id';
/** Whether stop-with-savepoint drains (MAX_WATERMARK) when the operator suspends the job (KubernetesOperatorConfigOptions.DRAIN_ON_SAVEPOINT_DELETION). */
export const DRAIN_KEY = 'kubernetes.operator.job.drain-on-savepoint-deletion';
/** The JobManager's REST port, when the spec sets one. */
export const REST_PORT_KEY = 'rest.port';
/** Annotation listing the flinkConfiguration keys the last submission set, so the next one can remove those it no longer sets. */
export const SUBMITTED_KEYS_ANNOTATION = 'tributary.dev/submitted-flink-configuration';

export type LifecycleState = 'CREATED' | 'SUSPENDED' | 'UPGRADING' | 'DEPLOYED' | 'STABLE' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'FAILED' | 'DELETING' | 'DELETED';
export type JobManagerDeploymentStatus = 'DEPLOYED_NOT_READY' | 'DEPLOYING' | 'ERROR' | 'MISSING' | 'READY';
export type UpgradeModeSetting = 'last-state' | 'savepoint' | 'stateless';

export interface FlinkDeploymentJobSpec {
  readonly jarURI?: string;
  readonly parallelism?: number;
  readonly entryClass?: string;
  readonly args?: readonly string[];
  readonly state?: 'running' | 'suspended';
  readonly upgradeMode?: UpgradeModeSetting;
  readonly initialSavepointPath?: string | null;
  readonly allowNonRestoredState?: boolean | null;
  readonly savepointRedeployNonce?: number | null;
}

export interface FlinkDeploymentJobStatus {
  readonly jobName?: string;
  readonly jobId?: string;
  /** Flink's job status, or RECONCILING while the operator deploys. */
  readonly state?: JobState;
  /** Epoch ms, as text. */
  readonly startTime?: string;
  readonly updateTime?: string;
  /** The savepoint the last upgrade or suspension took (or the one a redeployment restored). */
  readonly upgradeSavepointPath?: string;
}

export interface FlinkDeploymentStatus {
  readonly jobStatus?: FlinkDeploymentJobStatus;
  readonly error?: string | null;
  readonly observedGeneration?: number;
  readonly lifecycleState?: LifecycleState;
  readonly jobManagerDeploymentStatus?: JobManagerDeploymentStatus;
  readonly reconciliationStatus?: { readonly state?: 'DEPLOYED' | 'UPGRADING' | 'ROLLING_BACK' | 'ROLLED_BACK'; readonly lastReconciledSpec?: string };
}

export interface FlinkDeployment {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly job?: FlinkDeploymentJobSpec;
    /** Flat keys (`a.b.c`) or, since operator 1.11, nested YAML objects; both are read. */
    readonly flinkConfiguration?: Readonly<Record<string, unknown>>;
  };
  readonly status?: FlinkDeploymentStatus;
}

/** A Flink configuration value, written flat (`rest.port`) or nested (`rest: { port }`). */
export function configurationValue(configuration: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  if (!configuration) return undefined;
  const flat = configuration[key];
  if (flat !== undefined && flat !== null) return String(flat);
  let node: unknown = configuration;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node === undefined || node === null || typeof node === 'object' ? undefined : String(node as string | number | boolean);
}

/** The job id the spec asks for; undefined when the operator chooses (a resource Tributary never submitted to). */
export const desiredJobId = (deployment: FlinkDeployment): string | undefined => configurationValue(deployment.spec.flinkConfiguration, JOB_ID_KEY);

/** The job id the operator deployed last (it records it before deploying). */
export const observedJobId = (deployment: FlinkDeployment): string | undefined => deployment.status?.jobStatus?.jobId ?? undefined;

/** `status.error` as a person reads it: the exception's message and its causes' (the operator writes a FlinkResourceException as JSON). */
export function operatorError(error: string | null | undefined): string | undefined {
  if (!error) return undefined;
  try {
    const parsed = JSON.parse(error) as { type?: string; message?: string; throwableList?: { type?: string; message?: string }[] };
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.message !== 'string') return error;
    const causes = (parsed.throwableList ?? []).map((cause) => cause.message ?? cause.type).filter((text): text is string => Boolean(text) && text !== parsed.message);
    return [parsed.message, ...causes].join('; caused by: ');
  } catch {
    return error;
  }
}

/** What the resource says about one job. */
export interface JobReading {
  readonly jobId: string;
  readonly state: JobState;
  /** Epoch ms; 0 while the operator has not started it. */
  readonly startTime: number;
  /** The operator's error text, when it reports one. */
  readonly error: string | undefined;
  /** Whether the operator has deployed this job (its status names it), so its JobManager may answer. */
  readonly deployed: boolean;
}

const terminal = (state: JobState): boolean => TERMINAL_JOB_STATES.includes(state);

/**
 * The state of job `jobId` as the resource tells it, or undefined when the resource neither runs
 * it nor asks for it (an earlier job of the deployment, gone with its JobManager).
 * - the status names the job: the operator's job state, made terminal when the lifecycle says the
 *   job is over (FAILED, or SUSPENDED: the operator deleted its cluster);
 * - only the spec names it: submitted, not deployed yet (INITIALIZING), or CANCELED when the spec
 *   was suspended before the operator got to it, or FAILED when the operator rolled the resource
 *   back (its own rollback, which Tributary's replaces: it must be off).
 */
export function readJob(deployment: FlinkDeployment, jobId: string): JobReading | undefined {
  const status = deployment.status ?? {};
  const lifecycle = status.lifecycleState;
  const error = operatorError(status.error);
  const operatorRolledBack = lifecycle === 'ROLLING_BACK' || lifecycle === 'ROLLED_BACK';
  if (desiredJobId(deployment) === jobId && operatorRolledBack) {
    return { jobId, state: 'FAILED', startTime: 0, deployed: observedJobId(deployment) === jobId, error: `the operator rolled FlinkDeployment ${deployment.metadata.name} back (${lifecycle}), which Tributary does itself: set kubernetes.operator.deployment.rollback.enabled to false${error ? `; ${error}` : ''}` };
  }
  if (observedJobId(deployment) === jobId) {
    let state: JobState = status.jobStatus?.state ?? 'RECONCILING';
    if (lifecycle === 'FAILED' && !terminal(state)) state = 'FAILED';
    if (lifecycle === 'SUSPENDED' && !terminal(state)) state = 'FINISHED';
    return { jobId, state, startTime: Number(status.jobStatus?.startTime ?? 0) || 0, error, deployed: true };
  }
  if (desiredJobId(deployment) === jobId) {
    const state: JobState = deployment.spec.job?.state === 'suspended' ? 'CANCELED' : 'INITIALIZING';
    return { jobId, state, startTime: 0, error, deployed: false };
  }
  return undefined;
}

/** The job of the resource that has not ended (deployed, or asked for and not yet deployed); undefined when none. */
export function activeJob(deployment: FlinkDeployment): JobReading | undefined {
  const observed = observedJobId(deployment);
  const reading = observed ? readJob(deployment, observed) : undefined;
  if (reading && !terminal(reading.state)) return reading;
  const desired = desiredJobId(deployment);
  const pending = desired && desired !== observed ? readJob(deployment, desired) : undefined;
  return pending && !terminal(pending.state) ? pending : undefined;
}

/** What a suspension with savepoint was asked against: the generation of the suspending spec, and the savepoint path recorded before it. */
export interface SuspensionRequest {
  readonly generation: number;
  readonly previousSavepoint: string | undefined;
}

/**
 * Where a suspension with savepoint stands: COMPLETED once the operator reconciled the suspending
 * generation into SUSPENDED and recorded a savepoint other than the one recorded before; FAILED
 * when the operator reports a savepoint error while the job still runs (it would retry for ever),
 * or suspended without a new savepoint (the job had ended before it, so nothing was taken), or
 * when the spec asks for a running job again (the suspension was withdrawn, so a retry stops anew).
 */
export function readSuspension(deployment: FlinkDeployment, jobId: string, request: SuspensionRequest): { status: 'IN_PROGRESS' } | { status: 'COMPLETED'; location: string } | { status: 'FAILED'; error: string } {
  if (deployment.spec.job?.state !== 'suspended' && (deployment.metadata.generation ?? 0) > request.generation) {
    return { status: 'FAILED', error: `the suspension of FlinkDeployment ${deployment.metadata.name} was withdrawn: spec.job.state is running again, so the job keeps running` };
  }
  const status = deployment.status ?? {};
  const reconciled = (status.observedGeneration ?? 0) >= request.generation;
  const path = status.jobStatus?.upgradeSavepointPath;
  const error = operatorError(status.error);
  if (reconciled && status.lifecycleState === 'SUSPENDED') {
    if (path && path !== request.previousSavepoint) return { status: 'COMPLETED', location: path };
    return { status: 'FAILED', error: `the operator suspended FlinkDeployment ${deployment.metadata.name} without taking a savepoint (the job had ended before)${error ? `: ${error}` : ''}` };
  }
  if (!reconciled && error && /savepoint/i.test(error) && observedJobId(deployment) === jobId && status.jobStatus?.state === 'RUNNING') {
    return { status: 'FAILED', error };
  }
  return { status: 'IN_PROGRESS' };
}
