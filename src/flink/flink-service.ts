/**
 * The small surface of a Flink cluster that deployments need (after the Flink Kubernetes
 * Operator's `FlinkService`): find a job, stop it with a savepoint, submit a spec under a
 * chosen job id, cancel, sample its health, dispose of savepoints. {@link RestFlinkService}
 * implements it over the REST API; workflow tests use a fake with failure switches.
 */
import type { AbandonedStop } from './abandoned-stop.js';
import { SavepointDisposalError } from './deployment-errors.js';
import type { CheckpointSettings, JobHealthSample } from './deployment-health.js';
import type { FlinkJobSpec } from './deployment-spec.js';
import { FlinkRequestError, summarizeFlinkErrors } from './errors.js';
import { FlinkRestClient, TERMINAL_JOB_STATES, type JobState } from './flink-rest-client.js';
import { compileRestClientOptions, RestEndpoint, type RestClientOptions } from './rest-endpoint.js';

/** A job as the cluster reports it. */
export interface FlinkJobObservation {
  readonly jobId: string;
  readonly name: string;
  readonly state: JobState;
  /** Epoch ms. */
  readonly startTime: number;
}

/** Where a savepoint (or stop-with-savepoint) operation stands. */
export type SavepointProgress =
  | { readonly status: 'IN_PROGRESS' }
  | { readonly status: 'COMPLETED'; readonly location: string }
  | { readonly status: 'FAILED'; /** Flink's failure cause. */ readonly error: string };

/** One submission of a spec. */
export interface JobSubmission {
  /** The job id to run under, 32 hex characters, chosen by the caller so a retry can find the job. */
  readonly jobId: string;
  readonly spec: FlinkJobSpec;
  /** Restore state from this savepoint; undefined starts without state. */
  readonly savepointPath: string | undefined;
}

/** What deployments do with a Flink cluster. */
export interface FlinkService {
  /** The job with that id, running or ended; undefined when the cluster does not know it. */
  job(jobId: string): Promise<FlinkJobObservation | undefined>;
  /** Jobs of that name that have not ended, newest first. */
  activeJobs(jobName: string): Promise<FlinkJobObservation[]>;
  /** Starts stop-with-savepoint; resolves with the trigger id for {@link savepointProgress}. */
  stopWithSavepoint(jobId: string, options: { readonly drain: boolean }): Promise<string>;
  /** Starts a savepoint of a running job, which keeps running; resolves with the trigger id. */
  triggerSavepoint(jobId: string): Promise<string>;
  savepointProgress(jobId: string, triggerId: string): Promise<SavepointProgress>;
  /**
   * Gives up on a stop-with-savepoint: undoes what can be undone so the job keeps running, and
   * says what became of it. `triggerId` is {@link stopWithSavepoint}'s, when known (a worker lost
   * mid-activity may not have kept it). Safe to call again, and after the stop failed.
   */
  abandonStopWithSavepoint(jobId: string, triggerId: string | undefined): Promise<AbandonedStop>;
  /** Uploads the spec's jar and runs it under the submission's job id; resolves once Flink accepted the job. */
  submit(submission: JobSubmission): Promise<void>;
  /** Asks Flink to cancel the job; resolves once the request is accepted. */
  cancel(jobId: string): Promise<void>;
  /** State, restarts, exceptions and completed checkpoints of a job. */
  healthSample(jobId: string): Promise<JobHealthSample>;
  /** The checkpoint interval and timeout the job runs with (its own configuration included). */
  checkpointSettings(jobId: string): Promise<CheckpointSettings>;
  /**
   * Records the job's Kafka sources have yet to read: Flink's `pendingRecords` (the consumer's
   * lag), summed over every source and subtask; a source that has read nothing since it started
   * counts 0. Undefined when the job has no Kafka source or a lag has no value yet.
   */
  sourceBacklog(jobId: string): Promise<number | undefined>;
  /** Deletes a savepoint's files through the cluster; resolves when they are gone. */
  disposeSavepoint(path: string): Promise<void>;
}

/** Options of {@link RestFlinkService}. */
export interface RestFlinkServiceOptions extends RestClientOptions {
  /** How long Flink may take to dispose of one savepoint. @default 60_000 */
  readonly disposalTimeoutMs?: number;
}

interface AsynchronousOperationStatus {
  readonly status: { readonly id: 'IN_PROGRESS' | 'COMPLETED' };
  readonly operation?: {
    readonly location?: string;
    readonly 'failure-cause'?: { readonly class?: string; readonly 'stack-trace'?: string };
  };
}

/**
 * A source operator's metric (FLIP-33) of records it has yet to read, e.g.
 * `Source__transactions_source.pendingRecords`. The Kafka source registers it once a partition
 * returned records: a source without it has read nothing since it started, because its input
 * had nothing new (it polls all the time), so it counts as no backlog.
 */
const PENDING_RECORDS = '.pendingRecords';
/** Part of every Kafka source operator's metric names: how a source is recognised. */
const KAFKA_SOURCE_READER = '.KafkaSourceReader.';

const failureText = (cause: { readonly class?: string; readonly 'stack-trace'?: string } | undefined): string =>
  summarizeFlinkErrors([cause?.['stack-trace'] ?? cause?.class ?? '']) || 'Flink gave no cause';

/** {@link FlinkService} over a session cluster's REST API. */
export class RestFlinkService implements FlinkService {
  private readonly client: FlinkRestClient;
  private readonly rest: RestEndpoint;
  private readonly disposalTimeoutMs: number;

  constructor(options: RestFlinkServiceOptions) {
    this.client = new FlinkRestClient(options);
    this.rest = new RestEndpoint(compileRestClientOptions(options));
    this.disposalTimeoutMs = options.disposalTimeoutMs ?? 60_000;
  }

  async job(jobId: string): Promise<FlinkJobObservation | undefined> {
    try {
      const details = await this.client.jobDetails(jobId);
      return { jobId: details.jid, name: details.name, state: details.state, startTime: details['start-time'] };
    } catch (error) {
      if (error instanceof FlinkRequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async activeJobs(jobName: string): Promise<FlinkJobObservation[]> {
    return (await this.client.listJobs())
      .filter((job) => job.name === jobName && !TERMINAL_JOB_STATES.includes(job.state))
      .sort((a, b) => b['start-time'] - a['start-time'])
      .map((job) => ({ jobId: job.jid, name: job.name, state: job.state, startTime: job['start-time'] }));
  }

  stopWithSavepoint(jobId: string, options: { readonly drain: boolean }): Promise<string> {
    return this.client.stopWithSavepoint(jobId, { drain: options.drain });
  }

  triggerSavepoint(jobId: string): Promise<string> {
    return this.client.triggerSavepoint(jobId);
  }

  async savepointProgress(jobId: string, triggerId: string): Promise<SavepointProgress> {
    const answer = await this.rest.request<AsynchronousOperationStatus>({
      method: 'GET',
      path: `/jobs/${jobId}/savepoints/${triggerId}`,
      retry: 'idempotent',
      context: { jobId, triggerId },
    });
    if (answer.status.id !== 'COMPLETED') return { status: 'IN_PROGRESS' };
    const location = answer.operation?.location;
    return location ? { status: 'COMPLETED', location } : { status: 'FAILED', error: failureText(answer.operation?.['failure-cause']) };
  }

  /** Flink cannot withdraw a stop-with-savepoint: this only reads what became of it. */
  async abandonStopWithSavepoint(jobId: string, triggerId: string | undefined): Promise<AbandonedStop> {
    const progress = triggerId === undefined ? undefined : await this.savepointProgress(jobId, triggerId).catch((error: unknown) => {
      // Flink forgets an operation some minutes after it ended (rest.async.store-duration): judge by the job alone.
      if (error instanceof FlinkRequestError && error.status === 404) return undefined;
      throw error;
    });
    if (progress?.status === 'COMPLETED') return { outcome: 'stopped', savepoint: progress.location };
    const state = (await this.job(jobId))?.state ?? 'UNKNOWN';
    if (state !== 'RUNNING') return { outcome: 'ended', state };
    return progress?.status === 'IN_PROGRESS' && triggerId !== undefined ? { outcome: 'pending', triggerId } : { outcome: 'running' };
  }

  async submit({ jobId, spec, savepointPath }: JobSubmission): Promise<void> {
    const jarId = await this.client.uploadJar(spec.jarPath);
    try {
      await this.client.runJar(jarId, {
        jobId,
        entryClass: spec.entryClass,
        programArgs: spec.programArgs,
        parallelism: spec.parallelism,
        savepointPath,
        allowNonRestoredState: spec.allowNonRestoredState,
        flinkConfiguration: spec.flinkConfiguration,
      });
    } finally {
      // The cluster keeps its own copy of a submitted job's jar; the upload only litters /jars.
      await this.client.deleteJar(jarId).catch(() => undefined);
    }
  }

  cancel(jobId: string): Promise<void> {
    return this.client.cancel(jobId);
  }

  async healthSample(jobId: string): Promise<JobHealthSample> {
    const [details, metrics, exceptions, checkpoints] = await Promise.all([
      this.client.jobDetails(jobId),
      this.rest.request<{ id: string; value: string }[]>({ method: 'GET', path: `/jobs/${jobId}/metrics`, query: { get: 'numRestarts' }, retry: 'idempotent', context: { jobId } }),
      this.client.exceptions(jobId),
      this.client.checkpoints(jobId),
    ]);
    const entries = exceptions.exceptionHistory.entries;
    return {
      state: details.state,
      restarts: Number(metrics.find((metric) => metric.id === 'numRestarts')?.value ?? 0),
      exceptions: entries.length,
      latestException: entries[0] ? summarizeFlinkErrors([entries[0].stacktrace]) : undefined,
      completedCheckpoints: checkpoints.counts.completed,
    };
  }

  async checkpointSettings(jobId: string): Promise<CheckpointSettings> {
    const { interval, timeout } = await this.client.checkpointConfig(jobId);
    return { intervalMs: interval, timeoutMs: timeout };
  }

  async sourceBacklog(jobId: string): Promise<number | undefined> {
    const details = await this.client.jobDetails(jobId);
    let sources = 0;
    let backlog = 0;
    for (const vertex of details.vertices) {
      const path = `/jobs/${jobId}/vertices/${vertex.id}/subtasks/metrics`;
      const names = (await this.rest.request<{ id: string }[]>({ method: 'GET', path, retry: 'idempotent', context: { jobId } })).map((metric) => metric.id);
      const operators = new Set(names.filter((id) => id.includes(KAFKA_SOURCE_READER)).map((id) => id.slice(0, id.indexOf('.'))));
      if (operators.size === 0) continue;
      sources += operators.size;
      const pending = names.filter((id) => id.endsWith(PENDING_RECORDS));
      if (pending.length === 0) continue;
      const answer = await this.rest.request<unknown>({ method: 'GET', path, query: { get: pending.join(',') }, retry: 'idempotent', context: { jobId } });
      // A metric without a value (NaN) arrives as text; the backlog is then unknown.
      const sums = (Array.isArray(answer) ? (answer as { sum?: unknown }[]) : []).map((entry) => entry.sum);
      if (sums.length !== pending.length || !sums.every((sum): sum is number => typeof sum === 'number' && Number.isFinite(sum))) return undefined;
      backlog += sums.reduce((total, sum) => total + sum, 0);
    }
    return sources > 0 ? backlog : undefined;
  }

  async disposeSavepoint(path: string): Promise<void> {
    const { 'request-id': requestId } = await this.rest.request<{ 'request-id': string }>({
      method: 'POST',
      path: '/savepoint-disposal',
      body: { 'savepoint-path': path },
      retry: 'idempotent',
    });
    await this.rest.pollUntil(`disposal of savepoint ${path}`, this.disposalTimeoutMs, async () => {
      const answer = await this.rest.request<AsynchronousOperationStatus>({ method: 'GET', path: `/savepoint-disposal/${requestId}`, retry: 'idempotent' });
      if (answer.status.id !== 'COMPLETED') return { done: false, observed: answer.status.id };
      const cause = answer.operation?.['failure-cause'];
      if (cause) throw new SavepointDisposalError(path, { flinkErrors: [failureText(cause)] });
      return { done: true, value: undefined };
    });
  }
}
