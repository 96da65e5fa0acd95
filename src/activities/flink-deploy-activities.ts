/**
 * Activities of the `flinkDeploy` workflow: thin adapters of {@link FlinkService}, the
 * deployment record store and the topic progress reader to Temporal. Long waits poll,
 * heartbeat, and resume from their heartbeat details after a worker restart; every error
 * leaves as an `ApplicationFailure` whose `nonRetryable` follows the error's `retriable`.
 */
import { Context } from '@temporalio/activity';
import { NoRunningJobError, UnrecordedJobError } from '../flink/deployment-errors.js';
import { compileHealthWindowOptions, failsEarly, judgeHealth, type HealthVerdict, type HealthWindowOptions, type JobHealthSample, type TopicProgress } from '../flink/deployment-health.js';
import {
  retainSavepoints,
  withDeploymentEvent,
  withSavepoint,
  type CurrentDeployment,
  type DeploymentEvent,
  type DeploymentRecord,
  type SavepointEntry,
} from '../flink/deployment-record.js';
import type { DeploymentRecordStore } from '../flink/deployment-record-store.js';
import type { ObservedTopics } from '../flink/deployment-spec.js';
import type { TopicProgressReader } from '../flink/deployment-topic-progress.js';
import { FlinkJobStateError, FlinkSavepointError, FlinkTimeoutError } from '../flink/errors.js';
import type { FlinkService, JobSubmission } from '../flink/flink-service.js';
import { TERMINAL_JOB_STATES, type JobState } from '../flink/flink-rest-client.js';
import { reportingFailures } from './application-failure.js';
import { reasonOf } from '../errors/tributary-error.js';

/** How long a failed health window waits for Flink to list the exception behind a restart. */
const EXCEPTION_TEXT_WAIT_MS = 10_000;

export interface FlinkDeployActivityDependencies {
  readonly flink: FlinkService;
  readonly records: DeploymentRecordStore;
  readonly topics: TopicProgressReader;
  /** Time between two looks at a job or a savepoint. @default 500 */
  readonly pollIntervalMs?: number;
}

/** The deployment as the record knows it, checked against the cluster. */
export interface LocatedDeployment {
  readonly current: (CurrentDeployment & { readonly state: JobState | 'UNKNOWN' }) | undefined;
  /** Whether the current job runs, so there is something to stop. */
  readonly running: boolean;
}

/** A savepoint an upgrade took; the old job has stopped. */
export interface TakenSavepoint {
  readonly path: string;
  readonly triggerId: string;
  /** Epoch ms when the old job was seen stopped. */
  readonly stoppedAt: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('activity cancelled'));
    }, { once: true });
  });

/** Creates the activities; the worker passes the REST-backed service and Kafka, workflow tests fakes. */
export function createFlinkDeployActivities({ flink, records, topics, pollIntervalMs = 500 }: FlinkDeployActivityDependencies) {
  const terminal = (state: JobState): boolean => TERMINAL_JOB_STATES.includes(state);

  return {
    /**
     * Reads the job's deployment record and looks up its current job on the cluster. Refuses
     * (non-retryable) when another job of the name runs that the record does not know, or when
     * a savepoint upgrade finds no running job to take the savepoint of.
     */
    locateDeployment: reportingFailures(async (jobName: string, mode: 'savepoint' | 'stateless'): Promise<LocatedDeployment> => {
      const record = await records.read(jobName);
      const active = await flink.activeJobs(jobName);
      const recordedId = record.current?.jobId;
      const unrecorded = active.filter((job) => job.jobId !== recordedId).map((job) => job.jobId);
      if (unrecorded.length > 0) throw new UnrecordedJobError(jobName, unrecorded);
      if (!record.current) return { current: undefined, running: false };
      const state = (await flink.job(record.current.jobId))?.state ?? 'UNKNOWN';
      const running = state === 'RUNNING';
      if (mode === 'savepoint' && !running) throw new NoRunningJobError(jobName, record.current.jobId, state);
      return { current: { ...record.current, state }, running };
    }),

    /**
     * Stops the job with a savepoint, polls the trigger until Flink completes it, and adds the
     * savepoint to the job's history. A retry resumes the trigger of the attempt before (kept in
     * the heartbeat) instead of stopping twice. A failed savepoint leaves the job running.
     */
    stopWithSavepoint: reportingFailures(async (request: { jobName: string; jobId: string; version: string; drain: boolean; timeoutMs: number }): Promise<TakenSavepoint> => {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as { triggerId?: string } | undefined;
      let triggerId = resumed?.triggerId;
      // The attempt before triggered a stop that then failed: the job kept running, so stop it anew.
      if (triggerId && (await flink.savepointProgress(request.jobId, triggerId)).status === 'FAILED') triggerId = undefined;
      if (!triggerId) {
        const job = await flink.job(request.jobId);
        if (job?.state !== 'RUNNING') throw new NoRunningJobError(request.jobName, request.jobId, job?.state ?? 'UNKNOWN');
        triggerId = await flink.stopWithSavepoint(request.jobId, { drain: request.drain });
      }
      const deadline = Date.now() + request.timeoutMs;
      for (;;) {
        context.heartbeat({ triggerId });
        const progress = await flink.savepointProgress(request.jobId, triggerId);
        if (progress.status === 'FAILED') {
          throw new FlinkSavepointError({ jobId: request.jobId, triggerId, flinkErrors: [progress.error] });
        }
        if (progress.status === 'COMPLETED') {
          const entry: SavepointEntry = { path: progress.location, takenAt: Date.now(), jobId: request.jobId, version: request.version, triggerId, reason: 'upgrade' };
          await records.update(request.jobName, (record) => withSavepoint(record, entry));
          return { path: progress.location, triggerId, stoppedAt: entry.takenAt };
        }
        if (Date.now() >= deadline) throw new FlinkTimeoutError(`stop-with-savepoint ${triggerId} of job ${request.jobId}`, request.timeoutMs, progress.status, { jobId: request.jobId, triggerId });
        await sleep(pollIntervalMs, context.cancellationSignal);
      }
    }),

    /** Cancels a job (no savepoint) and waits until it has ended; a job already ended or unknown is left alone. */
    cancelJob: reportingFailures(async (request: { jobId: string; timeoutMs: number }): Promise<{ stoppedAt: number }> => {
      const context = Context.current();
      const deadline = Date.now() + request.timeoutMs;
      let requested = false;
      for (;;) {
        const job = await flink.job(request.jobId);
        if (!job || terminal(job.state)) return { stoppedAt: Date.now() };
        if (!requested) {
          await flink.cancel(request.jobId);
          requested = true;
        }
        if (Date.now() >= deadline) throw new FlinkTimeoutError(`job ${request.jobId} to be cancelled`, request.timeoutMs, job.state, { jobId: request.jobId });
        context.heartbeat(job.state);
        await sleep(pollIntervalMs, context.cancellationSignal);
      }
    }),

    /**
     * Submits the spec under the workflow's job id, unless the cluster already knows that id:
     * then an earlier attempt submitted it (the worker died before it could say so), and a
     * second submit would start the job twice.
     */
    submitJob: reportingFailures(async (submission: JobSubmission): Promise<{ alreadySubmitted: boolean }> => {
      const context = Context.current();
      if (await flink.job(submission.jobId)) return { alreadySubmitted: true };
      context.heartbeat('submitting');
      // Running the jar executes its main, which may take a while: keep the heartbeat alive meanwhile.
      const beat = setInterval(() => context.heartbeat('submitting'), 1_000);
      try {
        await flink.submit(submission);
      } finally {
        clearInterval(beat);
      }
      return { alreadySubmitted: false };
    }),

    /** Waits until the job is RUNNING; fails non-retryably with Flink's exception when it ends first. */
    waitForRunning: reportingFailures(async (request: { jobId: string; timeoutMs: number }): Promise<{ runningAt: number }> => {
      const context = Context.current();
      const deadline = Date.now() + request.timeoutMs;
      for (;;) {
        const sample = await flink.healthSample(request.jobId);
        if (sample.state === 'RUNNING') return { runningAt: Date.now() };
        if (terminal(sample.state)) {
          throw new FlinkJobStateError(sample.state, ['RUNNING'], { jobId: request.jobId, flinkErrors: sample.latestException ? [sample.latestException] : [] });
        }
        if (Date.now() >= deadline) throw new FlinkTimeoutError(`job ${request.jobId} to be RUNNING`, request.timeoutMs, sample.state, { jobId: request.jobId });
        context.heartbeat(sample.state);
        await sleep(pollIntervalMs, context.cancellationSignal);
      }
    }),

    /**
     * Watches a RUNNING job for the health window and returns the verdict (an unhealthy job is a
     * verdict, not an error). Ends early when a sample already condemns the job. A retry starts
     * the window again: a window that restarts is only ever longer.
     */
    watchHealth: reportingFailures(async (request: { jobId: string; topics: ObservedTopics | undefined; options: HealthWindowOptions }): Promise<HealthVerdict> => {
      const context = Context.current();
      const options = compileHealthWindowOptions(request.options);
      const began = Date.now();
      const start: TopicProgress | undefined = request.topics ? await topics.read(request.topics) : undefined;
      let sample: JobHealthSample;
      for (;;) {
        sample = await flink.healthSample(request.jobId);
        context.heartbeat(sample);
        if (failsEarly(sample, options) || Date.now() - began >= options.windowMs) break;
        await sleep(Math.min(options.sampleIntervalMs, Math.max(1, began + options.windowMs - Date.now())), context.cancellationSignal);
      }
      // Flink lists a restart before the exception that caused it; give its text a moment to arrive, so the verdict carries it.
      const exceptionDeadline = Date.now() + EXCEPTION_TEXT_WAIT_MS;
      while (sample.restarts > 0 && sample.latestException === undefined && Date.now() < exceptionDeadline) {
        await sleep(options.sampleIntervalMs, context.cancellationSignal);
        sample = await flink.healthSample(request.jobId);
        context.heartbeat(sample);
      }
      const end = request.topics ? await topics.read(request.topics) : undefined;
      return judgeHealth(sample, start && end ? { start, end } : undefined, Date.now() - began, options);
    }),

    /**
     * Records how a deployment ended and what runs now, then applies the savepoint retention.
     * Returns the savepoints that fell out of the history, for {@link disposeSavepoints}.
     */
    recordDeployment: reportingFailures(async (request: { jobName: string; event: DeploymentEvent; current: CurrentDeployment | undefined; keepCurrent: boolean; savepointRetention: number }): Promise<SavepointEntry[]> => {
      let expired: SavepointEntry[] = [];
      await records.update(request.jobName, (record: DeploymentRecord) => {
        const ended = withDeploymentEvent(record, request.event, request.keepCurrent ? record.current : request.current);
        const retained = retainSavepoints(ended, request.savepointRetention);
        expired = retained.expired;
        return retained.record;
      });
      return expired;
    }),

    /** Disposes of savepoints through the cluster; returns the ones that failed with the reason, and never throws for one. */
    disposeSavepoints: reportingFailures(async (paths: readonly string[]): Promise<{ path: string; error: string }[]> => {
      const failed: { path: string; error: string }[] = [];
      for (const path of paths) {
        Context.current().heartbeat(path);
        await flink.disposeSavepoint(path).catch((error: unknown) => failed.push({ path, error: reasonOf(error) }));
      }
      return failed;
    }),
  };
}

/** The activities as the workflow sees them (import this type only). */
export type FlinkDeployActivities = ReturnType<typeof createFlinkDeployActivities>;

