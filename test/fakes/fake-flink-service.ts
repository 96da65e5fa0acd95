/**
 * An in-memory Flink cluster for workflow tests (after the Flink Kubernetes Operator's
 * `TestingFlinkService`): jobs with states (several of a name may run side by side, as in a
 * blue/green upgrade), savepoints that complete at once, switches that inject the failures a
 * deployment must survive, and counters of every call. Also fakes of the topics a blue/green
 * upgrade creates and reads.
 */
import type { CheckpointSettings, JobHealthSample, TopicProgress } from '../../src/flink/deployment-health.js';
import type { TopicProgressReader } from '../../src/flink/deployment-topic-progress.js';
import { OutputTopicError } from '../../src/flink/deployment-errors.js';
import type { OutputTopics } from '../../src/flink/output-topics.js';
import type { PartitionOffset } from '../../src/serving/model-deployment.js';
import { FlinkRequestError } from '../../src/flink/errors.js';
import type { AbandonedStop } from '../../src/flink/abandoned-stop.js';
import type { FlinkJobObservation, FlinkService, JobSubmission, SavepointProgress } from '../../src/flink/flink-service.js';
import type { JobState } from '../../src/flink/flink-rest-client.js';

interface FakeJob {
  readonly jobId: string;
  readonly name: string;
  readonly version: string;
  readonly startTime: number;
  state: JobState;
}

/** Failures to inject; each names what it applies to, so one test's switch never hits another's job. */
export interface FakeFlinkSwitches {
  /** Job names whose savepoints fail, with or without stop (the job keeps running). */
  readonly savepointFails: Set<string>;
  /** Job names whose stop-with-savepoint stays in progress (the job keeps running) until it is abandoned. */
  readonly stopNeverCompletes: Set<string>;
  /** Job names whose stop-with-savepoint that never completes does complete when it is abandoned (too late). */
  readonly stopCompletesWhenAbandoned: Set<string>;
  /** Job names whose savepoint progress never answers (a worker stuck mid-activity: Temporal times the activity out). */
  readonly savepointProgressHangs: Set<string>;
  /** Job names whose abandoned stop can be withdrawn, as the operator's can (`state: running` back); others' cannot, as over Flink's REST API. */
  readonly stopWithdrawable: Set<string>;
  /** Spec versions whose submission Flink rejects (main throws). */
  readonly submitFails: Set<string>;
  /** Spec versions whose jobs restart with an exception once RUNNING. */
  readonly restartsInHealthWindow: Set<string>;
  /** Spec versions whose jobs never complete a checkpoint. */
  readonly noCheckpointCompletes: Set<string>;
  /** Spec versions whose jobs complete their first checkpoint only this many ms after they started. */
  readonly slowFirstCheckpoint: Map<string, number>;
  /** Spec versions whose submit call never returns after the job was started (a worker dying mid-activity). */
  readonly hangAfterSubmit: Set<string>;
  /** Spec versions whose jobs keep a large source backlog: they never catch up with their input. */
  readonly neverCatchesUp: Set<string>;
}

export interface FakeFlinkCalls {
  job: number;
  activeJobs: number;
  stopWithSavepoint: number;
  triggerSavepoint: number;
  savepointProgress: number;
  abandonStopWithSavepoint: number;
  submit: number;
  cancel: number;
  healthSample: number;
  checkpointSettings: number;
  sourceBacklog: number;
  disposeSavepoint: number;
}

/** Flink's text when a main rejects its arguments, as the REST API returns it. */
export const FAKE_MAIN_FAILURE = 'org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: invalid feature job arguments (1 problem):\n  --features-topic is required';
export const FAKE_RUNTIME_FAILURE = 'java.lang.IllegalStateException: schema registry unreachable at http://127.0.0.1:1';
/** The backlog a job of a {@link FakeFlinkSwitches.neverCatchesUp} version reports. */
export const FAKE_STUCK_BACKLOG = 50_000;

export class FakeFlinkService implements FlinkService {
  readonly switches: FakeFlinkSwitches = {
    savepointFails: new Set(),
    stopNeverCompletes: new Set(),
    stopCompletesWhenAbandoned: new Set(),
    savepointProgressHangs: new Set(),
    stopWithdrawable: new Set(),
    submitFails: new Set(),
    restartsInHealthWindow: new Set(),
    noCheckpointCompletes: new Set(),
    slowFirstCheckpoint: new Map(),
    hangAfterSubmit: new Set(),
    neverCatchesUp: new Set(),
  };
  readonly calls: FakeFlinkCalls = { job: 0, activeJobs: 0, stopWithSavepoint: 0, triggerSavepoint: 0, savepointProgress: 0, abandonStopWithSavepoint: 0, submit: 0, cancel: 0, healthSample: 0, checkpointSettings: 0, sourceBacklog: 0, disposeSavepoint: 0 };
  /** What every job reports as its checkpointing: short, so a missing checkpoint is judged within a test's time. */
  checkpointing: CheckpointSettings = { intervalMs: 100, timeoutMs: 200 };
  /** Every abandonStopWithSavepoint call, in order. */
  readonly abandonedStops: { readonly jobId: string; readonly triggerId: string | undefined }[] = [];
  /** Every submission that reached the cluster, in order. */
  readonly submissions: JobSubmission[] = [];
  readonly disposed: string[] = [];
  private readonly jobs = new Map<string, FakeJob>();
  private readonly savepoints = new Map<string, SavepointProgress>();
  /** Stops in progress: trigger id → job id. */
  private readonly pendingStops = new Map<string, string>();
  private savepointCount = 0;

  async job(jobId: string): Promise<FlinkJobObservation | undefined> {
    this.calls.job++;
    const job = this.jobs.get(jobId);
    return job && { jobId: job.jobId, name: job.name, state: job.state, startTime: job.startTime };
  }

  async activeJobs(jobName: string): Promise<FlinkJobObservation[]> {
    this.calls.activeJobs++;
    return [...this.jobs.values()]
      .filter((job) => job.name === jobName && !['FAILED', 'CANCELED', 'FINISHED'].includes(job.state))
      .map((job) => ({ jobId: job.jobId, name: job.name, state: job.state, startTime: job.startTime }));
  }

  async stopWithSavepoint(jobId: string): Promise<string> {
    this.calls.stopWithSavepoint++;
    const job = this.running(jobId);
    const triggerId = `trigger-${++this.savepointCount}`;
    if (this.switches.savepointFails.has(job.name)) {
      this.savepoints.set(triggerId, { status: 'FAILED', error: 'java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint Coordinator is suspending.' });
    } else if (this.switches.stopNeverCompletes.has(job.name)) {
      this.savepoints.set(triggerId, { status: 'IN_PROGRESS' });
      this.pendingStops.set(triggerId, jobId);
    } else {
      this.savepoints.set(triggerId, { status: 'COMPLETED', location: `file:/fake/savepoints/savepoint-${jobId.slice(0, 6)}-${this.savepointCount}` });
      job.state = 'FINISHED';
    }
    return triggerId;
  }

  async triggerSavepoint(jobId: string): Promise<string> {
    this.calls.triggerSavepoint++;
    const job = this.running(jobId);
    const triggerId = `trigger-${++this.savepointCount}`;
    this.savepoints.set(
      triggerId,
      this.switches.savepointFails.has(job.name)
        ? { status: 'FAILED', error: 'org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired before completing.' }
        : { status: 'COMPLETED', location: `file:/fake/savepoints/savepoint-${jobId.slice(0, 6)}-${this.savepointCount}` },
    );
    return triggerId;
  }

  async savepointProgress(jobId: string, triggerId: string): Promise<SavepointProgress> {
    this.calls.savepointProgress++;
    const job = this.jobs.get(jobId);
    if (job && this.switches.savepointProgressHangs.has(job.name)) await new Promise<never>(() => undefined);
    return this.savepoints.get(triggerId) ?? { status: 'FAILED', error: `unknown trigger ${triggerId}` };
  }

  async abandonStopWithSavepoint(jobId: string, triggerId: string | undefined): Promise<AbandonedStop> {
    this.calls.abandonStopWithSavepoint++;
    this.abandonedStops.push({ jobId, triggerId });
    const job = this.jobs.get(jobId);
    const pending = triggerId !== undefined && this.pendingStops.get(triggerId) === jobId;
    if (pending && job && this.switches.stopCompletesWhenAbandoned.has(job.name)) this.completeStop(triggerId, job);
    if (pending && job && this.switches.stopWithdrawable.has(job.name) && this.pendingStops.has(triggerId)) {
      this.pendingStops.delete(triggerId);
      this.savepoints.set(triggerId, { status: 'FAILED', error: 'the stop was withdrawn' });
      return { outcome: 'resumed' };
    }
    const progress = triggerId === undefined ? undefined : this.savepoints.get(triggerId);
    if (progress?.status === 'COMPLETED') return { outcome: 'stopped', savepoint: progress.location };
    if (job?.state !== 'RUNNING') return { outcome: 'ended', state: job?.state ?? 'UNKNOWN' };
    return progress?.status === 'IN_PROGRESS' && triggerId !== undefined ? { outcome: 'pending', triggerId } : { outcome: 'running' };
  }

  async submit(submission: JobSubmission): Promise<void> {
    this.calls.submit++;
    const { jobId, spec } = submission;
    if (this.jobs.has(jobId)) throw new FlinkRequestError('HTTP 409', { method: 'POST', url: 'fake:/jars/run', status: 409, flinkErrors: [`DuplicateJobSubmissionException: job ${jobId} already exists`], jobId });
    if (this.switches.submitFails.has(spec.version)) {
      throw new FlinkRequestError('HTTP 400', { method: 'POST', url: 'fake:/jars/run', status: 400, flinkErrors: [FAKE_MAIN_FAILURE], jobId });
    }
    this.submissions.push(submission);
    this.jobs.set(jobId, { jobId, name: spec.jobName, version: spec.version, startTime: Date.now(), state: 'RUNNING' });
    if (this.switches.hangAfterSubmit.has(spec.version)) await new Promise<never>(() => undefined);
  }

  async cancel(jobId: string): Promise<void> {
    this.calls.cancel++;
    const job = this.jobs.get(jobId);
    if (job) job.state = 'CANCELED';
  }

  async healthSample(jobId: string): Promise<JobHealthSample> {
    this.calls.healthSample++;
    const job = this.jobs.get(jobId);
    if (!job) throw new FlinkRequestError('HTTP 404', { method: 'GET', url: `fake:/jobs/${jobId}`, status: 404, jobId });
    const restarts = job.state === 'RUNNING' && this.switches.restartsInHealthWindow.has(job.version) ? 1 : 0;
    return {
      state: job.state,
      restarts,
      exceptions: restarts,
      latestException: restarts > 0 ? FAKE_RUNTIME_FAILURE : undefined,
      completedCheckpoints: this.switches.noCheckpointCompletes.has(job.version) || Date.now() - job.startTime < (this.switches.slowFirstCheckpoint.get(job.version) ?? 0) ? 0 : 1,
    };
  }

  async checkpointSettings(jobId: string): Promise<CheckpointSettings> {
    this.calls.checkpointSettings++;
    if (!this.jobs.has(jobId)) throw new FlinkRequestError('HTTP 404', { method: 'GET', url: `fake:/jobs/${jobId}/checkpoints/config`, status: 404, jobId });
    return this.checkpointing;
  }

  async sourceBacklog(jobId: string): Promise<number | undefined> {
    this.calls.sourceBacklog++;
    const job = this.jobs.get(jobId);
    if (!job) throw new FlinkRequestError('HTTP 404', { method: 'GET', url: `fake:/jobs/${jobId}`, status: 404, jobId });
    return this.switches.neverCatchesUp.has(job.version) ? FAKE_STUCK_BACKLOG : 0;
  }

  async disposeSavepoint(path: string): Promise<void> {
    this.calls.disposeSavepoint++;
    this.disposed.push(path);
  }

  /** Submissions of one version, e.g. to assert a version was submitted exactly once. */
  submissionsOf(version: string): JobSubmission[] {
    return this.submissions.filter((submission) => submission.spec.version === version);
  }

  /** Starts a job the way `flink run` or the Flink UI would: no deployment knows it. */
  startUnrecorded(jobId: string, jobName: string, version: string): void {
    this.jobs.set(jobId, { jobId, name: jobName, version, startTime: Date.now(), state: 'RUNNING' });
  }

  stateOf(jobId: string): JobState | undefined {
    return this.jobs.get(jobId)?.state;
  }

  /** Versions of the job name's RUNNING jobs, sorted: e.g. both colours during a blue/green upgrade. */
  runningVersions(jobName: string): string[] {
    return [...this.jobs.values()].filter((job) => job.name === jobName && job.state === 'RUNNING').map((job) => job.version).sort();
  }

  private completeStop(triggerId: string, job: FakeJob): void {
    this.pendingStops.delete(triggerId);
    this.savepoints.set(triggerId, { status: 'COMPLETED', location: `file:/fake/savepoints/savepoint-${job.jobId.slice(0, 6)}-late-${triggerId}` });
    job.state = 'FINISHED';
  }

  private running(jobId: string): FakeJob {
    const job = this.jobs.get(jobId);
    if (job?.state !== 'RUNNING') throw new FlinkRequestError('HTTP 409', { method: 'POST', url: `fake:/jobs/${jobId}/stop`, status: 409, jobId });
    return job;
  }
}

/** Topics that grow by 10 input and 10 output records per read: a job that keeps up. */
export class FakeTopicProgress implements TopicProgressReader {
  private reads = 0;

  async read(): Promise<TopicProgress> {
    this.reads++;
    return { inputRecords: this.reads * 10, outputRecords: this.reads * 10 };
  }
}

/** Output topics in memory: each created topic has 3 partitions whose committed ends grow by 10 per read. */
export class FakeOutputTopics implements OutputTopics {
  /** Topics whose creation fails. */
  readonly createFails = new Set<string>();
  /** Every topic created, with its template. */
  readonly created = new Map<string, string>();
  private reads = 0;

  async createLike(template: string, topic: string): Promise<{ created: boolean; partitions: number }> {
    if (this.createFails.has(topic)) throw new OutputTopicError(topic, 'could not be read or created: fake broker refused', false);
    const created = !this.created.has(topic);
    this.created.set(topic, template);
    return { created, partitions: 3 };
  }

  async committedEnds(): Promise<PartitionOffset[]> {
    this.reads++;
    return [0, 1, 2].map((partition) => ({ partition, offset: String(this.reads * 10 + partition) }));
  }
}
