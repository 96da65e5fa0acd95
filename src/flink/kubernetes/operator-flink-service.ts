/**
 * {@link FlinkService} through the Flink Kubernetes Operator: each Tributary job is the job of
 * one FlinkDeployment (application mode) named after it, which the Helm chart creates.
 * Tributary changes only `spec.job` and a few `spec.flinkConfiguration` keys, and reads the
 * operator's `status`; the operator does the work. Flink's REST API of the job's own JobManager
 * (the `<name>-rest` service) answers what the status does not hold: restarts, exceptions,
 * checkpoints, backlog, savepoint disposal.
 *
 * - submit: `spec.job` gets the jar, entry class, arguments, parallelism and `state: running`;
 *   the job id goes in `$internal.pipeline.job-id`. From a savepoint: `upgradeMode: savepoint`,
 *   `initialSavepointPath` and a new `savepointRedeployNonce`, which makes the operator redeploy
 *   from exactly that savepoint (a rollback restores the same savepoint as the failed upgrade);
 *   without one: `upgradeMode: stateless`. Refused while another job of the resource runs.
 * - stopWithSavepoint: `state: suspended` with `upgradeMode: savepoint`; done when the operator
 *   reconciled that generation to SUSPENDED and recorded `jobStatus.upgradeSavepointPath`. A
 *   savepoint error while the job runs puts `state: running` back, so the operator stops
 *   retrying and the job keeps running, as after a failed stop-with-savepoint over REST.
 * - abandonStopWithSavepoint: puts `state: running` back when the suspension was not completed in
 *   time; left suspended, the operator would keep trying and stop the job later, with nothing to
 *   start it again. Had it stopped already, the operator restarts it from its new savepoint.
 * - cancel: `state: suspended` with `upgradeMode: stateless`.
 *
 * The operator's own rollback (`kubernetes.operator.deployment.rollback.enabled`) must stay off:
 * Tributary's health window and rollback replace it, and in savepoint mode it could not restore
 * the savepoint the failed upgrade started from. Blue/green needs two jobs side by side, which one
 * FlinkDeployment cannot hold: its submission is refused and the old job keeps running.
 */
import { TERMINAL_JOB_STATES } from '../flink-rest-client.js';
import type { AbandonedStop } from '../abandoned-stop.js';
import { RestFlinkService, type FlinkJobObservation, type FlinkService, type JobSubmission, type RestFlinkServiceOptions, type SavepointProgress } from '../flink-service.js';
import type { CheckpointSettings, JobHealthSample } from '../deployment-health.js';
import type { KubernetesApiClient } from './kubernetes-api-client.js';
import {
  activeJob,
  configurationValue,
  desiredJobId,
  DRAIN_KEY,
  FLINK_DEPLOYMENT_API,
  JOB_ID_KEY,
  observedJobId,
  readJob,
  readSuspension,
  REST_PORT_KEY,
  SUBMITTED_KEYS_ANNOTATION,
  type FlinkDeployment,
  type JobReading,
  type SuspensionRequest,
} from './flink-deployment.js';
import { DeploymentNameError, FlinkDeploymentMissingError, JobBesideRunningJobError, KubernetesFlinkError } from './kubernetes-errors.js';

/** Options of {@link OperatorFlinkService}. */
export interface OperatorFlinkServiceOptions {
  readonly api: KubernetesApiClient;
  /** The namespace of the FlinkDeployments. */
  readonly namespace: string;
  /**
   * The REST API of a FlinkDeployment's JobManager.
   * @default `http://<name>-rest.<namespace>.svc:<rest.port, 8081>` (the service the operator creates)
   */
  readonly jobManagerUrl?: (deployment: { readonly name: string; readonly namespace: string; readonly port: number }) => string;
  /** Options of the REST clients of the JobManagers (timeouts, retries). @default RestFlinkService's */
  readonly rest?: Omit<RestFlinkServiceOptions, 'baseUrl'>;
}

/** Flink's cluster id (the resource's name) is a DNS label of at most 45 characters. */
const DEPLOYMENT_NAME = /^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$/;
const DEFAULT_REST_PORT = 8081;
/** Trigger ids of suspensions start with this; others are Flink's own (savepoints taken over REST). */
const SUSPEND_TRIGGER = 'operator-suspend.';
/** Flink configuration keys whose savepoint directory tells which JobManager can dispose of a savepoint. */
const SAVEPOINT_DIR_KEYS = ['execution.checkpointing.savepoint-dir', 'state.savepoints.dir'];

const terminal = (reading: JobReading): boolean => TERMINAL_JOB_STATES.includes(reading.state);

/** A suspension's trigger id carries what its progress is judged against, so a restarted worker needs nothing else. */
export function suspendTriggerId(request: SuspensionRequest): string {
  return `${SUSPEND_TRIGGER}${request.generation}.${Buffer.from(request.previousSavepoint ?? '', 'utf8').toString('base64url')}`;
}

function suspensionOf(triggerId: string): SuspensionRequest | undefined {
  if (!triggerId.startsWith(SUSPEND_TRIGGER)) return undefined;
  const [generation = '', previous = ''] = triggerId.slice(SUSPEND_TRIGGER.length).split('.');
  const previousSavepoint = Buffer.from(previous, 'base64url').toString('utf8');
  return { generation: Number(generation), previousSavepoint: previousSavepoint === '' ? undefined : previousSavepoint };
}

/** The jar as the operator's `jarURI`: a URI as it is; a path as `local://` (the jar must be at that path in the Flink image or a volume mounted there). */
export const jarUri = (jarPath: string): string => (/^[a-z][a-z0-9+.-]*:\/\//i.test(jarPath) ? jarPath : `local://${jarPath}`);

export class OperatorFlinkService implements FlinkService {
  private readonly api: KubernetesApiClient;
  private readonly namespace: string;
  private readonly jobManagerUrl: NonNullable<OperatorFlinkServiceOptions['jobManagerUrl']>;
  private readonly restOptions: Omit<RestFlinkServiceOptions, 'baseUrl'>;
  private readonly jobManagers = new Map<string, RestFlinkService>();

  constructor(options: OperatorFlinkServiceOptions) {
    this.api = options.api;
    this.namespace = options.namespace;
    this.jobManagerUrl = options.jobManagerUrl ?? (({ name, namespace, port }) => `http://${name}-rest.${namespace}.svc:${port}`);
    this.restOptions = options.rest ?? {};
  }

  async job(jobId: string): Promise<FlinkJobObservation | undefined> {
    const found = await this.find(jobId);
    return found && this.observation(found.deployment, found.reading);
  }

  async activeJobs(jobName: string): Promise<FlinkJobObservation[]> {
    const deployment = await this.api.get<FlinkDeployment>(this.path(jobName));
    const reading = deployment && activeJob(deployment);
    return deployment && reading ? [this.observation(deployment, reading)] : [];
  }

  async stopWithSavepoint(jobId: string, options: { readonly drain: boolean }): Promise<string> {
    const { deployment } = await this.require(jobId);
    let previousSavepoint: string | undefined;
    const updated = await this.api.update<FlinkDeployment>(this.path(deployment.metadata.name), (current) => {
      if (observedJobId(current) !== jobId) throw new KubernetesFlinkError(`FlinkDeployment ${current.metadata.name} no longer runs job ${jobId}`, this.context(current, jobId));
      previousSavepoint = current.status?.jobStatus?.upgradeSavepointPath;
      const drain = String(options.drain);
      const asked = current.spec.job?.state === 'suspended' && current.spec.job.upgradeMode === 'savepoint' && configurationValue(current.spec.flinkConfiguration, DRAIN_KEY) === drain;
      return asked ? undefined : { spec: { job: { state: 'suspended', upgradeMode: 'savepoint' }, flinkConfiguration: { [DRAIN_KEY]: drain } } };
    });
    if (!updated) throw new FlinkDeploymentMissingError(deployment.metadata.name, this.namespace);
    return suspendTriggerId({ generation: updated.metadata.generation ?? 0, previousSavepoint });
  }

  async triggerSavepoint(jobId: string): Promise<string> {
    const { deployment } = await this.requireDeployed(jobId);
    return this.rest(deployment).triggerSavepoint(jobId);
  }

  async savepointProgress(jobId: string, triggerId: string): Promise<SavepointProgress> {
    const suspension = suspensionOf(triggerId);
    const found = await this.find(jobId);
    if (!found) return { status: 'FAILED', error: `no FlinkDeployment in namespace ${this.namespace} holds job ${jobId} any more` };
    if (!suspension) return this.rest(found.deployment).savepointProgress(jobId, triggerId);
    const progress = readSuspension(found.deployment, jobId, suspension);
    if (progress.status === 'FAILED' && found.deployment.status?.lifecycleState !== 'SUSPENDED') await this.withdrawSuspension(found.deployment.metadata.name, jobId, suspension.generation);
    return progress;
  }

  async abandonStopWithSavepoint(jobId: string, triggerId: string | undefined): Promise<AbandonedStop> {
    const found = await this.find(jobId);
    if (!found) return { outcome: 'ended', state: 'UNKNOWN' };
    // Without its trigger id (a lost activity), any suspension with savepoint of this job is the one given up on.
    const generation = triggerId === undefined ? undefined : suspensionOf(triggerId)?.generation;
    if (await this.withdrawSuspension(found.deployment.metadata.name, jobId, generation)) return { outcome: 'resumed' };
    const { state } = found.reading;
    return state === 'RUNNING' ? { outcome: 'running' } : { outcome: 'ended', state };
  }

  async submit({ jobId, spec, savepointPath }: JobSubmission): Promise<void> {
    const name = this.checkedName(spec.jobName);
    const updated = await this.api.update<FlinkDeployment>(this.path(name), (current) => {
      if (desiredJobId(current) === jobId && current.spec.job?.state === 'running') return undefined;
      const running = activeJob(current);
      if (running && running.jobId !== jobId) throw new JobBesideRunningJobError(name, this.namespace, running.jobId, jobId);
      const configuration: Record<string, string | null> = { ...spec.flinkConfiguration, [JOB_ID_KEY]: jobId };
      const submitted = Object.keys(configuration).sort();
      for (const key of this.submittedKeys(current)) if (!(key in configuration)) configuration[key] = null;
      const state = savepointPath
        ? { upgradeMode: 'savepoint', initialSavepointPath: savepointPath, savepointRedeployNonce: (current.spec.job?.savepointRedeployNonce ?? 0) + 1 }
        : { upgradeMode: 'stateless', initialSavepointPath: null };
      return {
        metadata: { annotations: { [SUBMITTED_KEYS_ANNOTATION]: JSON.stringify(submitted) } },
        spec: {
          job: {
            jarURI: jarUri(spec.jarPath),
            entryClass: spec.entryClass,
            args: spec.programArgs,
            ...(spec.parallelism === undefined ? {} : { parallelism: spec.parallelism }),
            allowNonRestoredState: spec.allowNonRestoredState ?? null,
            state: 'running',
            ...state,
          },
          flinkConfiguration: configuration,
        },
      };
    });
    if (!updated) throw new FlinkDeploymentMissingError(name, this.namespace);
  }

  async cancel(jobId: string): Promise<void> {
    const found = await this.find(jobId);
    if (!found) return;
    await this.api.update<FlinkDeployment>(this.path(found.deployment.metadata.name), (current) => {
      const reading = readJob(current, jobId);
      if (!reading || terminal(reading) || (current.spec.job?.state === 'suspended' && current.spec.job.upgradeMode === 'stateless')) return undefined;
      return { spec: { job: { state: 'suspended', upgradeMode: 'stateless' } } };
    });
  }

  async healthSample(jobId: string): Promise<JobHealthSample> {
    const { deployment, reading } = await this.require(jobId);
    if (this.jobManagerAnswers(deployment, reading)) return this.rest(deployment).healthSample(jobId);
    // No JobManager runs this job (not deployed yet, or ended): the resource's status is all there is.
    return { state: reading.state, restarts: 0, exceptions: reading.error ? 1 : 0, latestException: reading.error, completedCheckpoints: 0 };
  }

  async checkpointSettings(jobId: string): Promise<CheckpointSettings> {
    const { deployment } = await this.requireDeployed(jobId);
    return this.rest(deployment).checkpointSettings(jobId);
  }

  async sourceBacklog(jobId: string): Promise<number | undefined> {
    const { deployment } = await this.requireDeployed(jobId);
    return this.rest(deployment).sourceBacklog(jobId);
  }

  async disposeSavepoint(path: string): Promise<void> {
    const ready = (await this.api.list<FlinkDeployment>(this.collection())).filter((deployment) => deployment.status?.jobManagerDeploymentStatus === 'READY');
    const sameStorage = ready.find((deployment) => SAVEPOINT_DIR_KEYS.some((key) => {
      const directory = configurationValue(deployment.spec.flinkConfiguration, key);
      return directory !== undefined && path.startsWith(directory);
    }));
    const jobManager = sameStorage ?? ready[0];
    if (!jobManager) {
      throw new KubernetesFlinkError(`no JobManager runs in namespace ${this.namespace} to dispose of savepoint ${path}; it stays in the savepoint storage (delete it there once no deployment needs it)`, { namespace: this.namespace, retriable: true });
    }
    await this.rest(jobManager).disposeSavepoint(path);
  }

  /** The resource that runs or asks for the job, with what it says about it; a status match wins over a spec match. */
  private async find(jobId: string): Promise<{ deployment: FlinkDeployment; reading: JobReading } | undefined> {
    const deployments = await this.api.list<FlinkDeployment>(this.collection());
    const holder = deployments.find((deployment) => observedJobId(deployment) === jobId) ?? deployments.find((deployment) => desiredJobId(deployment) === jobId);
    const reading = holder && readJob(holder, jobId);
    return holder && reading ? { deployment: holder, reading } : undefined;
  }

  private async require(jobId: string): Promise<{ deployment: FlinkDeployment; reading: JobReading }> {
    const found = await this.find(jobId);
    if (!found) throw new KubernetesFlinkError(`no FlinkDeployment in namespace ${this.namespace} runs or asks for job ${jobId}`, { namespace: this.namespace, jobId, retriable: false });
    return found;
  }

  private async requireDeployed(jobId: string): Promise<{ deployment: FlinkDeployment; reading: JobReading }> {
    const found = await this.require(jobId);
    if (!this.jobManagerAnswers(found.deployment, found.reading)) {
      const { reading } = found;
      throw new KubernetesFlinkError(
        `job ${jobId} of FlinkDeployment ${found.deployment.metadata.name} is ${reading.state} and its JobManager is ${found.deployment.status?.jobManagerDeploymentStatus ?? 'unknown'}, so it cannot answer${reading.error ? `; the operator reports: ${reading.error}` : ''}`,
        { ...this.context(found.deployment, jobId), retriable: !terminal(reading) },
      );
    }
    return found;
  }

  /** The JobManager that ran the job is up; it answers for an ended job too (until the operator removes its cluster). */
  private jobManagerAnswers(deployment: FlinkDeployment, reading: JobReading): boolean {
    return reading.deployed && deployment.status?.jobManagerDeploymentStatus === 'READY';
  }

  /**
   * Puts `state: running` back after a failed or abandoned suspension with savepoint of the job,
   * unless the spec changed since (the suspension's `generation`, when known); whether it did.
   */
  private async withdrawSuspension(name: string, jobId: string, generation: number | undefined): Promise<boolean> {
    let withdrawn = false;
    await this.api.update<FlinkDeployment>(this.path(name), (current) => {
      const job = current.spec.job;
      const suspending = job?.state === 'suspended' && job.upgradeMode === 'savepoint' && (observedJobId(current) === jobId || desiredJobId(current) === jobId);
      // The update reads again after a conflict: what counts is the last reading.
      withdrawn = suspending && (generation === undefined || current.metadata.generation === generation);
      return withdrawn ? { spec: { job: { state: 'running' } } } : undefined;
    });
    return withdrawn;
  }

  private submittedKeys(deployment: FlinkDeployment): string[] {
    const annotation = deployment.metadata.annotations?.[SUBMITTED_KEYS_ANNOTATION];
    if (!annotation) return [];
    try {
      const keys: unknown = JSON.parse(annotation);
      return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
    } catch {
      // Someone edited the annotation by hand: remove nothing rather than guess.
      return [];
    }
  }

  private observation(deployment: FlinkDeployment, reading: JobReading): FlinkJobObservation {
    return { jobId: reading.jobId, name: deployment.metadata.name, state: reading.state, startTime: reading.startTime };
  }

  private rest(deployment: FlinkDeployment): RestFlinkService {
    const port = Number(configurationValue(deployment.spec.flinkConfiguration, REST_PORT_KEY) ?? DEFAULT_REST_PORT);
    const baseUrl = this.jobManagerUrl({ name: deployment.metadata.name, namespace: this.namespace, port });
    let client = this.jobManagers.get(baseUrl);
    if (!client) {
      client = new RestFlinkService({ ...this.restOptions, baseUrl });
      this.jobManagers.set(baseUrl, client);
    }
    return client;
  }

  private checkedName(jobName: string): string {
    if (!DEPLOYMENT_NAME.test(jobName)) throw new DeploymentNameError(jobName);
    return jobName;
  }

  private collection(): string {
    return `/apis/${FLINK_DEPLOYMENT_API}/namespaces/${this.namespace}/flinkdeployments`;
  }

  private path(name: string): string {
    return `${this.collection()}/${this.checkedName(name)}`;
  }

  private context(deployment: FlinkDeployment, jobId: string) {
    return { namespace: this.namespace, deployment: deployment.metadata.name, jobId };
  }
}
