/**
 * Activities of the `flinkDeploy` workflow: thin adapters of {@link FlinkService}, the
 * deployment record store and the topic progress reader to Temporal. Long waits poll,
 * heartbeat, and resume from their heartbeat details after a worker restart; every error
 * leaves as an `ApplicationFailure` whose `nonRetryable` follows the error's `retriable`.
 */
import { Context } from '@temporalio/activity';
import { StopWithSavepointAbandonedError, type AbandonedStop } from '../flink/abandoned-stop.js';
import { compileCatchUpOptions, judgeCatchUp, type CatchUpOptions, type CatchUpVerdict } from '../flink/blue-green.js';
import { NoRunningJobError, NothingToRunBesideError, RestoreBesideRunningJobError, UnrecordedJobError } from '../flink/deployment-errors.js';
import { checkpointDeadline, compileHealthWindowOptions, judgeHealth, watchIsOver, type HealthVerdict, type HealthWindowOptions, type JobHealthSample, type TopicProgress } from '../flink/deployment-health.js';
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
import type { OutputTopics } from '../flink/output-topics.js';
import type { ObservedTopics } from '../flink/deployment-spec.js';
import type { TopicProgressReader } from '../flink/deployment-topic-progress.js';
import { FlinkJobStateError, FlinkSavepointError, FlinkTimeoutError } from '../flink/errors.js';
import type { FlinkService, JobSubmission } from '../flink/flink-service.js';
import { TERMINAL_JOB_STATES, type JobState } from '../flink/flink-rest-client.js';
import { reportingFailures } from './application-failure.js';
import { reasonOf } from '../errors/tributary-error.js';
import type { DeploymentLog } from '../serving/deployment-log.js';
import type { PartitionOffset } from '../serving/model-deployment.js';

/** How long a failed health window waits for Flink to list the exception behind a restart. */
const EXCEPTION_TEXT_WAIT_MS = 10_000;

export interface FlinkDeployActivityDependencies {
  readonly flink: FlinkService;
  readonly records: DeploymentRecordStore;
  readonly topics: TopicProgressReader;
  /** Blue/green: creates the new version's output topic and reads the old one's committed ends. */
  readonly outputTopics: OutputTopics;
  /** Blue/green: opens the models' deployment table for the takeover (closed after each use). */
  readonly openDeployments: () => Promise<Pick<DeploymentLog, 'all' | 'publish' | 'close'>>;
  /** Time between two looks at a job or a savepoint. @default 500 */
  readonly pollIntervalMs?: number;
}

/** The deployment as the record knows it, checked against the cluster. */
export interface LocatedDeployment {
  readonly current: (CurrentDeployment & { readonly state: JobState | 'UNKNOWN' }) | undefined;
  /** Whether the current job runs, so there is something to stop. */
  readonly running: boolean;
  /**
   * The one job of the name that runs although no deployment recorded it (started by other
   * means), to adopt: stop it with a savepoint and start the new version from it. `current` is
   * then undefined: the record's spec is not what that job runs, so nothing can be rolled back to.
   */
  readonly unrecorded?: { readonly jobId: string; readonly state: JobState };
}

/** How {@link createFlinkDeployActivities}' `locateDeployment` treats what it finds. */
export interface LocateOptions {
  /** Adopt one running job the record does not know instead of refusing. @default false (runs started before adoption existed) */
  readonly adoptUnrecorded?: boolean;
  /** The savepoint the deployment restores: then nothing of the name may run, and a recorded job that has stopped is expected. @default none */
  readonly fromSavepoint?: string;
}

/** The models a blue/green takeover moved to the new topic. */
export interface FeaturesTakeover {
  /** Every model whose deployment reads the new topic with this handoff, this attempt's and earlier attempts'. */
  readonly models: readonly string[];
}

/** A savepoint an upgrade took; the old job has stopped. */
export interface TakenSavepoint {
  readonly path: string;
  readonly triggerId: string;
  /** Epoch ms when the old job was seen stopped. */
  readonly stoppedAt: number;
}

/** Sleeps unless the activity is cancelled; removes its listener either way, so long polls do not pile listeners on the signal. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('activity cancelled'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Creates the activities; the worker passes the REST-backed service and Kafka, workflow tests fakes. */
export function createFlinkDeployActivities({ flink, records, topics, outputTopics, openDeployments, pollIntervalMs = 500 }: FlinkDeployActivityDependencies) {
  const terminal = (state: JobState): boolean => TERMINAL_JOB_STATES.includes(state);

  /** Adds a completed savepoint to the job's history (once: a retry finds it there) and returns its entry. */
  const recordSavepoint = async (request: { jobName: string; jobId: string; version: string }, path: string, triggerId: string, reason: SavepointEntry['reason']): Promise<SavepointEntry> => {
    const entry: SavepointEntry = { path, takenAt: Date.now(), jobId: request.jobId, version: request.version, triggerId, reason };
    await records.update(request.jobName, (record) => withSavepoint(record, entry));
    return entry;
  };

  /**
   * Polls a savepoint trigger (heartbeating its id) until Flink completes it, adds the savepoint
   * to the job's history and returns it; throws Flink's failure or a timeout.
   */
  const completeSavepoint = async (
    request: { jobName: string; jobId: string; version: string; timeoutMs: number },
    triggerId: string,
    reason: SavepointEntry['reason'],
  ): Promise<SavepointEntry> => {
    const context = Context.current();
    const deadline = Date.now() + request.timeoutMs;
    for (;;) {
      context.heartbeat({ triggerId });
      const progress = await flink.savepointProgress(request.jobId, triggerId);
      if (progress.status === 'FAILED') {
        throw new FlinkSavepointError({ jobId: request.jobId, triggerId, flinkErrors: [progress.error] });
      }
      if (progress.status === 'COMPLETED') return recordSavepoint(request, progress.location, triggerId, reason);
      if (Date.now() >= deadline) throw new FlinkTimeoutError(`savepoint ${triggerId} of job ${request.jobId}`, request.timeoutMs, progress.status, { jobId: request.jobId, triggerId });
      await sleep(pollIntervalMs, context.cancellationSignal);
    }
  };

  /** The trigger of the attempt before (from its heartbeat), unless it failed: then the job kept running and a new trigger is due. */
  const resumedTrigger = async (jobId: string): Promise<string | undefined> => {
    const resumed = Context.current().info.heartbeatDetails as { triggerId?: string } | undefined;
    const triggerId = resumed?.triggerId;
    if (triggerId && (await flink.savepointProgress(jobId, triggerId)).status !== 'FAILED') return triggerId;
    return undefined;
  };

  return {
    /**
     * Reads the job's deployment record and looks up its current job on the cluster. With
     * `adoptUnrecorded`, one running job of the name that the record does not know is returned
     * for adoption. Refuses (non-retryable) when it cannot tell which job to upgrade (several
     * unrecorded ones, or one beside the recorded job), when `fromSavepoint` would start a second
     * copy beside a running job, or when a savepoint or blue/green upgrade finds no running job to
     * take the savepoint of and restores no savepoint either.
     */
    locateDeployment: reportingFailures(async (jobName: string, mode: 'savepoint' | 'stateless' | 'blue-green', options: LocateOptions = {}): Promise<LocatedDeployment> => {
      const record = await records.read(jobName);
      const active = await flink.activeJobs(jobName);
      const recordedId = record.current?.jobId;
      const recordedActive = active.some((job) => job.jobId === recordedId);
      const unrecorded = active.filter((job) => job.jobId !== recordedId);
      const [adoptable] = unrecorded;
      if (adoptable) {
        if (!options.adoptUnrecorded || unrecorded.length > 1 || recordedActive) {
          throw new UnrecordedJobError(jobName, unrecorded.map((job) => job.jobId), 'several', recordedActive ? recordedId : undefined);
        }
        if (mode === 'blue-green') throw new UnrecordedJobError(jobName, [adoptable.jobId], 'blue-green');
        if (options.fromSavepoint) throw new RestoreBesideRunningJobError(jobName, adoptable.jobId, options.fromSavepoint);
        return { current: undefined, running: false, unrecorded: { jobId: adoptable.jobId, state: adoptable.state } };
      }
      if (!record.current) {
        if (mode === 'blue-green') throw new NothingToRunBesideError(jobName);
        return { current: undefined, running: false };
      }
      if (options.fromSavepoint && recordedActive) throw new RestoreBesideRunningJobError(jobName, record.current.jobId, options.fromSavepoint);
      const state = (await flink.job(record.current.jobId))?.state ?? 'UNKNOWN';
      const running = state === 'RUNNING';
      if ((mode === 'savepoint' || mode === 'blue-green') && !running && !options.fromSavepoint) {
        throw new NoRunningJobError(jobName, record.current.jobId, state, record.savepoints[0]?.path);
      }
      return { current: { ...record.current, state }, running };
    }),

    /**
     * Stops the job with a savepoint, polls the trigger until Flink completes it, and adds the
     * savepoint to the job's history. A retry resumes the trigger of the attempt before (kept in
     * the heartbeat) instead of stopping twice. A failed savepoint leaves the job running; one that
     * does not complete in time is given up on (see abandonStopWithSavepoint), and the error says
     * what runs now.
     */
    stopWithSavepoint: reportingFailures(async (request: { jobName: string; jobId: string; version: string; drain: boolean; timeoutMs: number }): Promise<TakenSavepoint> => {
      let triggerId = await resumedTrigger(request.jobId);
      if (!triggerId) {
        const job = await flink.job(request.jobId);
        if (job?.state !== 'RUNNING') throw new NoRunningJobError(request.jobName, request.jobId, job?.state ?? 'UNKNOWN');
        triggerId = await flink.stopWithSavepoint(request.jobId, { drain: request.drain });
      }
      try {
        const entry = await completeSavepoint(request, triggerId, 'upgrade');
        return { path: entry.path, triggerId, stoppedAt: entry.takenAt };
      } catch (error) {
        if (!(error instanceof FlinkTimeoutError)) throw error;
        // Left as it is, a stop the operator still works on would stop the job later, with nothing to start it again.
        const abandoned = await flink.abandonStopWithSavepoint(request.jobId, triggerId);
        if (abandoned.outcome !== 'stopped') throw new StopWithSavepointAbandonedError(request.jobName, request.jobId, triggerId, abandoned, error);
        const entry = await recordSavepoint(request, abandoned.savepoint, triggerId, 'upgrade');
        return { path: entry.path, triggerId, stoppedAt: entry.takenAt };
      }
    }),

    /**
     * Gives up on a stop-with-savepoint that did not complete: the workflow calls it when
     * stopWithSavepoint failed, timed out, or was lost with its worker (then the activity's own
     * code never saw the timeout). Puts the job back to running where the service can, and says
     * what became of it. Flink's REST API cannot withdraw a stop: while Flink still works on it,
     * this waits up to `timeoutMs` for Flink to settle it (Flink fails a savepoint at the job's
     * checkpoint timeout). A stop that completed after all has its savepoint recorded.
     */
    abandonStopWithSavepoint: reportingFailures(async (request: { jobName: string; jobId: string; version: string; triggerId: string | undefined; timeoutMs: number }): Promise<AbandonedStop> => {
      const context = Context.current();
      const deadline = Date.now() + request.timeoutMs;
      for (;;) {
        const abandoned = await flink.abandonStopWithSavepoint(request.jobId, request.triggerId);
        context.heartbeat(abandoned);
        if (abandoned.outcome === 'stopped' && request.triggerId !== undefined) await recordSavepoint(request, abandoned.savepoint, request.triggerId, 'upgrade');
        if (abandoned.outcome !== 'pending' || Date.now() >= deadline) return abandoned;
        await sleep(pollIntervalMs, context.cancellationSignal);
      }
    }),

    /**
     * Blue/green: takes a savepoint of the running job WITHOUT stopping it, polls until Flink
     * completes it, and adds it to the history. A retry resumes the trigger of the attempt before.
     */
    takeSavepoint: reportingFailures(async (request: { jobName: string; jobId: string; version: string; timeoutMs: number }): Promise<SavepointEntry> => {
      let triggerId = await resumedTrigger(request.jobId);
      if (!triggerId) {
        const job = await flink.job(request.jobId);
        if (job?.state !== 'RUNNING') throw new NoRunningJobError(request.jobName, request.jobId, job?.state ?? 'UNKNOWN');
        triggerId = await flink.triggerSavepoint(request.jobId);
      }
      return completeSavepoint(request, triggerId, 'blue-green');
    }),

    /** Blue/green: creates the new version's output topic as a twin of the old one (idempotent). */
    prepareOutputTopic: reportingFailures(async (request: { template: string; topic: string }): Promise<{ created: boolean; partitions: number }> =>
      outputTopics.createLike(request.template, request.topic),
    ),

    /**
     * Blue/green: the old output topic's committed end offsets, read BEFORE the savepoint is
     * triggered: what the old job committed up to here came from input before the savepoint, so
     * the new job never writes it again; anything later may appear in both topics.
     */
    markOverlap: reportingFailures(async (topic: string): Promise<PartitionOffset[]> => outputTopics.committedEnds(topic)),

    /**
     * Blue/green: waits until the job's sources have (nearly) nothing left to read, or the
     * timeout passes; "not caught up" is a verdict, not an error. Ends early when the job leaves RUNNING.
     */
    waitForCatchUp: reportingFailures(async (request: { jobId: string; options: CatchUpOptions }): Promise<CatchUpVerdict> => {
      const context = Context.current();
      const options = compileCatchUpOptions(request.options);
      const began = Date.now();
      for (;;) {
        const job = await flink.job(request.jobId);
        const waitedMs = Date.now() - began;
        if (job?.state !== 'RUNNING') return { caughtUp: false, backlogRecords: undefined, waitedMs, problem: `the job is ${job?.state ?? 'unknown to the cluster'}, not RUNNING` };
        const verdict = judgeCatchUp(await flink.sourceBacklog(request.jobId), waitedMs, options);
        context.heartbeat(verdict);
        if (verdict.caughtUp || waitedMs >= options.timeoutMs) return verdict;
        await sleep(options.sampleIntervalMs, context.cancellationSignal);
      }
    }),

    /**
     * Blue/green takeover: every model whose deployment reads `previousTopic` moves to
     * `newTopic`, with the handoff that tells its scorers where the two overlap. A retry skips the
     * models an earlier attempt already moved.
     */
    handOverFeatures: reportingFailures(async (request: { previousTopic: string; newTopic: string; overlapFrom: readonly PartitionOffset[]; updatedBy: string; reason: string }): Promise<FeaturesTakeover> => {
      const deployments = await openDeployments();
      try {
        const moved: string[] = [];
        for (const deployment of await deployments.all()) {
          const alreadyMoved = deployment.featuresTopic === request.newTopic && deployment.featuresHandoff?.previousTopic === request.previousTopic;
          if (alreadyMoved) moved.push(deployment.model);
          if (deployment.featuresTopic !== request.previousTopic) continue;
          Context.current().heartbeat(deployment.model);
          await deployments.publish(deployment.model, {
            featuresTopic: request.newTopic,
            featuresHandoff: { previousTopic: request.previousTopic, overlapFrom: request.overlapFrom },
            updatedBy: request.updatedBy,
            reason: request.reason,
          });
          moved.push(deployment.model);
        }
        return { models: moved.sort() };
      } finally {
        await deployments.close();
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

    /**
     * Waits until the job has ended (a stop-with-savepoint completes its savepoint before the job
     * finishes committing and shutting down). Resolves with when it was seen ended and its final state.
     */
    waitForEnd: reportingFailures(async (request: { jobId: string; timeoutMs: number }): Promise<{ endedAt: number; state: JobState | 'UNKNOWN' }> => {
      const context = Context.current();
      const deadline = Date.now() + request.timeoutMs;
      for (;;) {
        const job = await flink.job(request.jobId);
        if (!job || terminal(job.state)) return { endedAt: Date.now(), state: job?.state ?? 'UNKNOWN' };
        if (Date.now() >= deadline) throw new FlinkTimeoutError(`job ${request.jobId} to end`, request.timeoutMs, job.state, { jobId: request.jobId });
        context.heartbeat(job.state);
        await sleep(pollIntervalMs, context.cancellationSignal);
      }
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
     * verdict, not an error). When the window ends before the required checkpoints completed, it
     * keeps watching until they do or the checkpoint deadline derived from the job's own interval
     * and timeout passes. Ends early when a sample already condemns the job. A retry starts the
     * window again: a window that restarts is only ever longer.
     */
    watchHealth: reportingFailures(async (request: { jobId: string; topics: ObservedTopics | undefined; options: HealthWindowOptions }): Promise<HealthVerdict> => {
      const context = Context.current();
      const options = compileHealthWindowOptions(request.options);
      const began = Date.now();
      const deadline = checkpointDeadline(await flink.checkpointSettings(request.jobId), options);
      const start: TopicProgress | undefined = request.topics ? await topics.read(request.topics) : undefined;
      let sample: JobHealthSample;
      for (;;) {
        sample = await flink.healthSample(request.jobId);
        context.heartbeat(sample);
        const watchedMs = Date.now() - began;
        if (watchIsOver(sample, watchedMs, options, deadline)) break;
        const nextEnd = watchedMs < options.windowMs ? options.windowMs : deadline.ms;
        await sleep(Math.min(options.sampleIntervalMs, Math.max(1, nextEnd - watchedMs)), context.cancellationSignal);
      }
      // Flink lists a restart before the exception that caused it; give its text a moment to arrive, so the verdict carries it.
      const exceptionDeadline = Date.now() + EXCEPTION_TEXT_WAIT_MS;
      while (sample.restarts > 0 && sample.latestException === undefined && Date.now() < exceptionDeadline) {
        await sleep(options.sampleIntervalMs, context.cancellationSignal);
        sample = await flink.healthSample(request.jobId);
        context.heartbeat(sample);
      }
      const end = request.topics ? await topics.read(request.topics) : undefined;
      return judgeHealth(sample, start && end ? { start, end } : undefined, Date.now() - began, options, deadline);
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

