import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FlinkJobStateError, FlinkSavepointError } from './errors.js';
import { compileRestClientOptions, RestEndpoint, type RestClientOptions } from './rest-endpoint.js';

/** Job states as Flink's REST API names them. */
export type JobState =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

/** States a job never leaves. */
export const TERMINAL_JOB_STATES: readonly JobState[] = ['FAILED', 'CANCELED', 'FINISHED'];

/** `GET /overview`, as Flink answers it. */
export interface ClusterOverview {
  readonly taskmanagers: number;
  readonly 'slots-total': number;
  readonly 'slots-available': number;
  readonly 'jobs-running': number;
  readonly 'jobs-finished': number;
  readonly 'jobs-cancelled': number;
  readonly 'jobs-failed': number;
  readonly 'flink-version': string;
  readonly 'flink-commit': string;
}

/** `GET /config` (the dashboard configuration), as Flink answers it. */
export interface DashboardConfig {
  readonly 'refresh-interval': number;
  readonly 'timezone-name': string;
  readonly 'timezone-offset': number;
  readonly 'flink-version': string;
  readonly 'flink-revision': string;
  readonly features: Readonly<Record<string, boolean>>;
}

/** One TaskManager in `GET /taskmanagers`. */
export interface TaskManagerInfo {
  readonly id: string;
  readonly path: string;
  readonly dataPort: number;
  /** Despite its name, the epoch milliseconds of the last heartbeat Flink received. */
  readonly timeSinceLastHeartbeat: number;
  readonly slotsNumber: number;
  readonly freeSlots: number;
}

/** One job in `GET /jobs/overview`. */
export interface JobOverview {
  readonly jid: string;
  readonly name: string;
  readonly state: JobState;
  readonly 'start-time': number;
  readonly 'end-time': number;
  readonly duration: number;
  readonly 'last-modification': number;
}

/** One vertex of a job in `GET /jobs/:id`. */
export interface JobVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly status: string;
  /** Records and bytes that crossed the vertex's network edges (chained operators inside it are not counted). */
  readonly metrics?: {
    readonly 'read-records': number;
    readonly 'write-records': number;
    readonly 'read-records-complete': boolean;
    readonly 'write-records-complete': boolean;
  };
}

/** One subtask's watermark in `GET /jobs/:id/vertices/:vid/watermarks`; `id` is `<subtask>.currentInputWatermark`. */
export interface SubtaskWatermark {
  readonly id: string;
  /** Epoch milliseconds as a decimal string; Long.MIN_VALUE until the first watermark arrives. */
  readonly value: string;
}

/** `GET /jobs/:id`, the fields Tributary reads. */
export interface JobDetails {
  readonly jid: string;
  readonly name: string;
  readonly isStoppable: boolean;
  readonly state: JobState;
  readonly 'start-time': number;
  readonly 'end-time': number;
  readonly duration: number;
  readonly now: number;
  readonly timestamps: Readonly<Partial<Record<JobState, number>>>;
  readonly vertices: readonly JobVertex[];
}

/** A checkpoint in `GET /jobs/:id/checkpoints`. */
export interface CheckpointSummary {
  readonly id: number;
  readonly status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  readonly is_savepoint: boolean;
  readonly trigger_timestamp: number;
  readonly latest_ack_timestamp: number;
  readonly state_size: number;
  readonly end_to_end_duration: number;
  /** Where a completed checkpoint is stored. */
  readonly external_path?: string;
  /** Why a failed checkpoint failed. */
  readonly failure_message?: string;
}

/** `GET /jobs/:id/checkpoints`, as Flink answers it. */
export interface CheckpointStatistics {
  readonly counts: {
    readonly restored: number;
    readonly total: number;
    readonly in_progress: number;
    readonly completed: number;
    readonly failed: number;
  };
  readonly latest: {
    readonly completed: CheckpointSummary | null;
    readonly savepoint: CheckpointSummary | null;
    readonly failed: CheckpointSummary | null;
    readonly restored: { readonly id: number; readonly external_path: string; readonly is_savepoint: boolean } | null;
  };
  readonly history: readonly CheckpointSummary[];
}

/** `GET /jobs/:id/checkpoints/config`, the fields Tributary reads. */
export interface CheckpointConfig {
  readonly mode: 'exactly_once' | 'at_least_once';
  /** Milliseconds between checkpoint triggers. */
  readonly interval: number;
  readonly timeout: number;
}

/** One failure in a job's exception history. */
export interface ExceptionHistoryEntry {
  readonly exceptionName: string;
  readonly stacktrace: string;
  readonly timestamp: number;
  readonly taskName: string | null;
  readonly endpoint: string | null;
  readonly taskManagerId: string | null;
}

/** `GET /jobs/:id/exceptions`; newest entry first. */
export interface JobExceptions {
  readonly exceptionHistory: {
    readonly entries: readonly ExceptionHistoryEntry[];
    readonly truncated: boolean;
  };
}

/** Options of stop-with-savepoint. */
export interface StopWithSavepointOptions {
  /** Where to write the savepoint. @default the cluster's `execution.checkpointing.savepoint-dir` */
  readonly targetDirectory?: string;
  /** Emit MAX_WATERMARK before stopping, firing all event-time timers (ends windows for good). */
  readonly drain: boolean;
}

/** One uploaded jar in `GET /jars`. */
export interface UploadedJar {
  /** The id to run or delete it by: Flink's stored file name, `<uuid>_<name>.jar`. */
  readonly id: string;
  /** The file name it was uploaded with. */
  readonly name: string;
  /** Epoch milliseconds of the upload. */
  readonly uploaded: number;
  readonly entry: readonly { readonly name: string; readonly description: string | null }[];
}

/** How to run an uploaded jar (`POST /jars/:id/run`). */
export interface RunJarOptions {
  /** The program's arguments, one element each (no shell splitting). @default [] */
  readonly programArgs?: readonly string[];
  /** @default the jar manifest's Main-Class */
  readonly entryClass?: string;
  /** @default the cluster's `parallelism.default` */
  readonly parallelism?: number;
  /** Savepoint or retained checkpoint to restore state from. @default none: start without state */
  readonly savepointPath?: string;
  /** Restore even when some savepoint state maps to no operator of the new job. @default false */
  readonly allowNonRestoredState?: boolean;
  /** The job id to use, 32 hex characters. @default chosen by Flink */
  readonly jobId?: string;
  /** Flink configuration for this job only, e.g. `execution.checkpointing.interval`. @default none */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /** How long the job's main may take to build and submit the job. @default 120_000 */
  readonly timeoutMs?: number;
}

const DEFAULT_RUN_TIMEOUT_MS = 120_000;

interface SavepointStatus {
  readonly status: { readonly id: 'IN_PROGRESS' | 'COMPLETED' };
  readonly operation?: {
    readonly location?: string;
    readonly 'failure-cause'?: { readonly class?: string; readonly 'stack-trace'?: string };
  };
}

/** Flink's trigger ids are 16 random bytes in hex; choosing one ourselves makes a trigger safe to retry. */
const newTriggerId = (): string => randomBytes(16).toString('hex');

/**
 * Typed client of a Flink cluster's REST API (JobManager): cluster and job status,
 * checkpoints, exceptions, savepoints, stop and cancel.
 */
export class FlinkRestClient {
  private readonly rest: RestEndpoint;

  constructor(options: RestClientOptions) {
    this.rest = new RestEndpoint(compileRestClientOptions(options));
  }

  /** Cluster summary: TaskManagers, slots, job counts and Flink version. */
  overview(): Promise<ClusterOverview> {
    return this.rest.request({ method: 'GET', path: '/overview', retry: 'idempotent' });
  }

  /** The dashboard configuration, which carries the Flink version and revision. */
  config(): Promise<DashboardConfig> {
    return this.rest.request({ method: 'GET', path: '/config', retry: 'idempotent' });
  }

  /** TaskManagers registered with the JobManager. */
  async taskManagers(): Promise<TaskManagerInfo[]> {
    const answer = await this.rest.request<{ taskmanagers: TaskManagerInfo[] }>({ method: 'GET', path: '/taskmanagers', retry: 'idempotent' });
    return answer.taskmanagers;
  }

  /** Every job the cluster knows, running or finished. */
  async listJobs(): Promise<JobOverview[]> {
    const answer = await this.rest.request<{ jobs: JobOverview[] }>({ method: 'GET', path: '/jobs/overview', retry: 'idempotent' });
    return answer.jobs;
  }

  /** A job's state, timestamps and vertices. */
  jobDetails(jobId: string): Promise<JobDetails> {
    return this.rest.request({ method: 'GET', path: `/jobs/${jobId}`, retry: 'idempotent', context: { jobId } });
  }

  /** The input watermark of each subtask of one vertex of a job. */
  vertexWatermarks(jobId: string, vertexId: string): Promise<SubtaskWatermark[]> {
    return this.rest.request({ method: 'GET', path: `/jobs/${jobId}/vertices/${vertexId}/watermarks`, retry: 'idempotent', context: { jobId } });
  }

  /** A job's checkpoint and savepoint counts, latest ones and recent history. */
  checkpoints(jobId: string): Promise<CheckpointStatistics> {
    return this.rest.request({ method: 'GET', path: `/jobs/${jobId}/checkpoints`, retry: 'idempotent', context: { jobId } });
  }

  /** The checkpointing settings a job runs with (per-job configuration included). */
  checkpointConfig(jobId: string): Promise<CheckpointConfig> {
    return this.rest.request({ method: 'GET', path: `/jobs/${jobId}/checkpoints/config`, retry: 'idempotent', context: { jobId } });
  }

  /** A job's failure history, newest first. */
  exceptions(jobId: string): Promise<JobExceptions> {
    return this.rest.request({ method: 'GET', path: `/jobs/${jobId}/exceptions`, retry: 'idempotent', context: { jobId } });
  }

  /**
   * Starts a savepoint of a running job, which keeps running. Resolves with the trigger
   * id to pass to {@link waitForSavepoint}.
   * @param targetDirectory defaults to the cluster's `execution.checkpointing.savepoint-dir`
   */
  async triggerSavepoint(jobId: string, targetDirectory?: string): Promise<string> {
    const triggerId = newTriggerId();
    await this.rest.request({
      method: 'POST',
      path: `/jobs/${jobId}/savepoints`,
      body: { 'target-directory': targetDirectory, 'cancel-job': false, triggerId },
      retry: 'idempotent',
      context: { jobId, triggerId },
    });
    return triggerId;
  }

  /**
   * Takes a savepoint and stops the job once it is written. Resolves with the trigger id
   * to pass to {@link waitForSavepoint}; the job ends FINISHED.
   */
  async stopWithSavepoint(jobId: string, options: StopWithSavepointOptions): Promise<string> {
    const triggerId = newTriggerId();
    await this.rest.request({
      method: 'POST',
      path: `/jobs/${jobId}/stop`,
      body: { targetDirectory: options.targetDirectory, drain: options.drain, triggerId },
      retry: 'idempotent',
      context: { jobId, triggerId },
    });
    return triggerId;
  }

  /**
   * Polls a savepoint (or stop-with-savepoint) until Flink completes it, and resolves with
   * the savepoint's location (a URI such as `file:/…/savepoint-…`). Throws a
   * {@link FlinkSavepointError} with Flink's failure cause, or a timeout error.
   */
  waitForSavepoint(jobId: string, triggerId: string, timeoutMs: number): Promise<string> {
    const context = { jobId, triggerId };
    return this.rest.pollUntil(`savepoint ${triggerId} of job ${jobId}`, timeoutMs, async () => {
      const answer = await this.rest.request<SavepointStatus>({
        method: 'GET',
        path: `/jobs/${jobId}/savepoints/${triggerId}`,
        retry: 'idempotent',
        context,
      });
      if (answer.status.id !== 'COMPLETED') return { done: false, observed: answer.status.id };
      const location = answer.operation?.location;
      if (location) return { done: true, value: location };
      const cause = answer.operation?.['failure-cause'];
      throw new FlinkSavepointError({ ...context, flinkErrors: [cause?.['stack-trace'] ?? cause?.class ?? ''] });
    }, context);
  }

  /**
   * Uploads a jar (`POST /jars/upload`, multipart) and resolves with its id for
   * {@link runJar}. Sent once: a retried upload would leave a second copy on the cluster.
   */
  async uploadJar(jarPath: string): Promise<string> {
    const form = new FormData();
    form.append('jarfile', new Blob([await readFile(jarPath)], { type: 'application/java-archive' }), basename(jarPath));
    const answer = await this.rest.request<{ filename: string; status: string }>({
      method: 'POST',
      path: '/jars/upload',
      body: form,
      // axios sets the boundary itself once the JSON default is out of the way.
      headers: { 'Content-Type': 'multipart/form-data' },
      retry: 'once',
    });
    return basename(answer.filename);
  }

  /**
   * Runs an uploaded jar's main, which builds and submits the job, and resolves with the job
   * id. When main fails (e.g. it rejects its arguments), the {@link FlinkRequestError} carries
   * Flink's text, which includes main's exception message. Not retried once sent: a second run
   * would start a second job.
   */
  async runJar(jarId: string, options: RunJarOptions = {}): Promise<string> {
    const answer = await this.rest.request<{ jobid: string }>({
      method: 'POST',
      path: `/jars/${encodeURIComponent(jarId)}/run`,
      body: {
        programArgsList: options.programArgs ?? [],
        entryClass: options.entryClass,
        parallelism: options.parallelism,
        savepointPath: options.savepointPath,
        allowNonRestoredState: options.allowNonRestoredState,
        jobId: options.jobId,
        flinkConfiguration: options.flinkConfiguration,
      },
      timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      retry: 'once',
      ...(options.jobId ? { context: { jobId: options.jobId } } : {}),
    });
    return answer.jobid;
  }

  /** The jars uploaded to the cluster, newest first as Flink lists them. */
  async listJars(): Promise<UploadedJar[]> {
    const answer = await this.rest.request<{ files: UploadedJar[] }>({ method: 'GET', path: '/jars', retry: 'idempotent' });
    return answer.files;
  }

  /** Deletes an uploaded jar; running jobs started from it are not affected. */
  async deleteJar(jarId: string): Promise<void> {
    await this.rest.request({ method: 'DELETE', path: `/jars/${encodeURIComponent(jarId)}`, retry: 'idempotent' });
  }

  /** Asks Flink to cancel a job; returns once the request is accepted (see {@link waitForJobState}). */
  async cancel(jobId: string): Promise<void> {
    await this.rest.request({ method: 'PATCH', path: `/jobs/${jobId}`, query: { mode: 'cancel' }, retry: 'idempotent', context: { jobId } });
  }

  /**
   * Polls a job until it is in one of `states`, and resolves with its details. Throws a
   * {@link FlinkJobStateError} carrying the job's latest exception when it ends in another
   * terminal state, or a timeout error naming the last state seen.
   */
  waitForJobState(jobId: string, states: readonly JobState[], timeoutMs: number): Promise<JobDetails> {
    return this.rest.pollUntil(`job ${jobId} to be ${states.join(' or ')}`, timeoutMs, async () => {
      const details = await this.jobDetails(jobId);
      if (states.includes(details.state)) return { done: true, value: details };
      if (TERMINAL_JOB_STATES.includes(details.state)) {
        const latest = (await this.exceptions(jobId)).exceptionHistory.entries[0];
        throw new FlinkJobStateError(details.state, states, { jobId, flinkErrors: latest ? [latest.stacktrace] : [] });
      }
      return { done: false, observed: details.state };
    }, { jobId });
  }
}
