import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TributaryConfig } from '../config/config.js';
import { pinJar } from './deployment-jar.js';
import { deploymentRecordsDir, pinnedJarsDir } from './deployment-paths.js';
import { withDeploymentEvent, withSavepoint, type DeploymentEvent, type DeploymentRecord } from './deployment-record.js';
import { FileDeploymentRecordStore, type DeploymentRecordStore } from './deployment-record-store.js';
import { featureJobDeploymentSpec } from './deployment-spec.js';
import { FeatureJobAlreadyRunningError, FeatureJobNotRunningError } from './feature-job-errors.js';
import { FlinkRestClient, TERMINAL_JOB_STATES, type JobOverview, type JobState } from './flink-rest-client.js';
import { checkFeatureJobKafkaAccess, isSecuredKafka } from './feature-job-preflight.js';
import { writeFeatureJobSecrets } from './feature-job-secrets.js';
import { jarOf, type PipelineJarJob } from './jar-feature-job.js';
import {
  FEATURE_JOB_NAME,
  featureJobFlinkConfiguration,
  featureJobProgramArgs,
  featureJobSpec,
  type FeatureJobSpec,
  type FeatureJobSpecChoices,
} from './job-spec.js';

export interface FeatureJobDeployerOptions {
  /** @default a client of `config.flink.restUrl` */
  readonly rest?: FlinkRestClient;
  /** Receives progress lines (jar build, upload, run). @default silent */
  readonly progress?: (line: string) => void;
  /** Where submit, stop and cancel record what they did. @default the files under `<dataDir>/flink/deployments` */
  readonly records?: DeploymentRecordStore;
}

export interface SubmitFeatureJobOptions extends Partial<Omit<FeatureJobSpecChoices, 'piiKeyFile' | 'kafkaClientPropertiesFile'>> {
  /** The pipeline's jar job: what is built, run and with which topics (see `pipelineJarJob`). */
  readonly job: PipelineJarJob;
  /** Restore state from this savepoint (or retained checkpoint). @default start without state */
  readonly savepointPath?: string;
  /** Restore even when savepoint state belongs to no operator of this job. @default false */
  readonly allowNonRestoredState?: boolean;
  /** @default the cluster's parallelism.default */
  readonly parallelism?: number;
  /**
   * Run under this job id (32 hex characters). An explicit id also skips the running-job check:
   * the caller (e.g. a blue/green deployment) knows which job it starts. @default chosen by Flink
   */
  readonly jobId?: string;
  /** Submit even when a job with the same name runs. @default false */
  readonly force?: boolean;
  /** Configuration for this job only, e.g. `{ 'execution.checkpointing.interval': '2s' }`, over the feature job's defaults (see `featureJobFlinkConfiguration`). @default the defaults alone */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /** A key file the TaskManagers already have. @default the configured key, written to `<dataDir>/flink/secrets/` */
  readonly piiKeyFile?: string;
  /** How long to wait for the job to be RUNNING. @default 120_000 */
  readonly runningTimeoutMs?: number;
}

export interface SubmittedFeatureJob {
  readonly jobId: string;
  readonly spec: FeatureJobSpec;
  readonly jarPath: string;
  /**
   * Whether the job became its name's current deployment in the record, so that `flink deploy`
   * upgrades it by savepoint. False when another job of the name runs too (a forced second copy).
   */
  readonly recorded: boolean;
}

/** A job stopped with a savepoint: where its state is, and what it ran. */
export interface StoppedFeatureJob {
  readonly jobId: string;
  readonly savepoint: string;
  /** The version the record knows the job by; undefined when no deployment recorded the job. */
  readonly version: string | undefined;
}

export interface FeatureJobStatus {
  readonly jobId: string;
  readonly name: string;
  readonly state: JobState;
  /** Epoch milliseconds. */
  readonly startTime: number;
  /** The latest completed checkpoint, if any completed yet. */
  readonly lastCheckpoint: { readonly id: number; readonly completedAt: number; readonly durationMs: number; readonly path: string | undefined } | undefined;
}

const DEFAULT_RUNNING_TIMEOUT_MS = 120_000;
const CANCEL_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 300_000;

/** A version that changes whenever the job's code does: the first 12 hex digits of the jar's SHA-256. */
export function jarVersion(jarPath: string): string {
  return `jar-${createHash('sha256').update(readFileSync(jarPath)).digest('hex').slice(0, 12)}`;
}

const isActive = (job: JobOverview): boolean => !TERMINAL_JOB_STATES.includes(job.state);

/**
 * Builds, submits, finds, stops and cancels a pipeline's jar feature job on a Flink session cluster through
 * its REST API. The job is found by name, so one name runs at most once unless forced. Each
 * writes the job's deployment record (the same one `tributary flink deploy` keeps), so a later
 * deployment upgrades a submitted job by savepoint and a stopped job's savepoint is in its history.
 */
export class FeatureJobDeployer {
  private readonly rest: FlinkRestClient;
  private readonly progress: (line: string) => void;
  private readonly records: DeploymentRecordStore;

  constructor(
    private readonly config: TributaryConfig,
    options: FeatureJobDeployerOptions = {},
  ) {
    this.rest = options.rest ?? new FlinkRestClient({ baseUrl: config.flink.restUrl });
    this.progress = options.progress ?? (() => undefined);
    this.records = options.records ?? new FileDeploymentRecordStore(deploymentRecordsDir(config));
  }

  /**
   * Builds the jar if stale, writes the PII key file, uploads the jar, runs it and waits until
   * the job is RUNNING. Refuses when a job of the same name is active, unless `force` or an
   * explicit `jobId` is given.
   */
  async submit(options: SubmitFeatureJobOptions): Promise<SubmittedFeatureJob> {
    const jobName = options.jobName ?? options.job.jobName;
    if (!options.force && !options.jobId) {
      const active = await this.activeJob(jobName);
      if (active) throw new FeatureJobAlreadyRunningError(jobName, active.jid, active.state);
    }
    const secrets = await writeFeatureJobSecrets(this.config, jobName);
    const jarPath = await jarOf(options.job, { progress: this.progress });
    const spec = featureJobSpec(this.config, options.job, {
      ...options,
      jobName,
      jobVersion: options.jobVersion ?? jarVersion(jarPath),
      piiKeyFile: options.piiKeyFile ?? secrets.piiKeyFile,
      kafkaClientPropertiesFile: secrets.kafkaClientPropertiesFile,
    });
    if (isSecuredKafka(this.config)) await checkFeatureJobKafkaAccess(this.config, spec.topics);
    this.progress(`uploading ${jarPath} to ${this.config.flink.restUrl}`);
    const jarId = await this.rest.uploadJar(jarPath);
    let jobId: string;
    try {
      this.progress(`running ${spec.jobName} version ${spec.jobVersion}${options.savepointPath ? ` from savepoint ${options.savepointPath}` : ''}`);
      jobId = await this.rest.runJar(jarId, {
        entryClass: spec.entryClass,
        programArgs: featureJobProgramArgs(spec),
        parallelism: options.parallelism,
        savepointPath: options.savepointPath,
        allowNonRestoredState: options.allowNonRestoredState,
        jobId: options.jobId,
        flinkConfiguration: featureJobFlinkConfiguration(options.flinkConfiguration),
      });
    } finally {
      // The cluster keeps its own copy of a submitted job's jar; the upload only litters /jars.
      await this.rest.deleteJar(jarId).catch(() => undefined);
    }
    this.progress(`job ${jobId} submitted; waiting for it to run`);
    const running = await this.rest.waitForJobState(jobId, ['RUNNING'], options.runningTimeoutMs ?? DEFAULT_RUNNING_TIMEOUT_MS);
    const others = (await this.rest.listJobs()).filter((job) => job.name === jobName && isActive(job) && job.jid !== jobId);
    if (others.length > 0) return { jobId, spec, jarPath, recorded: false };
    // Pinned by content, so a rollback to this spec by a later deployment runs these exact bytes.
    const deployable = featureJobDeploymentSpec(spec, {
      jarPath: await pinJar(jarPath, pinnedJarsDir(this.config)),
      parallelism: options.parallelism,
      flinkConfiguration: options.flinkConfiguration,
    });
    const deployedBy = `tributary flink submit/${jobId}`;
    await this.records.update(jobName, (record) =>
      withDeploymentEvent(
        record,
        this.event(deployedBy, 'submitted', 'submit', record, { toVersion: spec.jobVersion, jobId, savepoint: options.savepointPath }),
        { jobId, spec: deployable, since: running.timestamps.RUNNING ?? Date.now(), restoredFrom: options.savepointPath, deployedBy },
      ),
    );
    return { jobId, spec, jarPath, recorded: true };
  }

  /** The active job of that name with its latest completed checkpoint, or undefined when none runs. */
  async status(jobName: string = FEATURE_JOB_NAME): Promise<FeatureJobStatus | undefined> {
    const job = await this.activeJob(jobName);
    if (!job) return undefined;
    const { latest } = await this.rest.checkpoints(job.jid);
    const completed = latest.completed;
    return {
      jobId: job.jid,
      name: job.name,
      state: job.state,
      startTime: job['start-time'],
      lastCheckpoint: completed
        ? { id: completed.id, completedAt: completed.latest_ack_timestamp, durationMs: completed.end_to_end_duration, path: completed.external_path }
        : undefined,
    };
  }

  /**
   * Stops the active job of that name (or the given job id) with a savepoint, so the state its
   * windows and timers hold survives, waits until it has ended, and adds the savepoint to the
   * job's history (the record's current spec stays, for a resume to roll back to).
   */
  async stop(target: { readonly jobName?: string; readonly jobId?: string } = {}): Promise<StoppedFeatureJob> {
    const jobName = target.jobName ?? FEATURE_JOB_NAME;
    const jobId = target.jobId ?? (await this.activeJob(jobName))?.jid;
    if (!jobId) throw new FeatureJobNotRunningError(jobName);
    this.progress(`stopping job ${jobId} with a savepoint`);
    const triggerId = await this.rest.stopWithSavepoint(jobId, { drain: false });
    const savepoint = await this.rest.waitForSavepoint(jobId, triggerId, STOP_TIMEOUT_MS);
    await this.rest.waitForJobState(jobId, ['FINISHED', 'CANCELED'], CANCEL_TIMEOUT_MS);
    const version = await this.recordedVersion(jobName, jobId);
    await this.records.update(jobName, (record) =>
      withDeploymentEvent(
        withSavepoint(record, { path: savepoint, takenAt: Date.now(), jobId, version: version ?? '(unrecorded)', triggerId, reason: 'stop' }),
        this.event(`tributary flink cancel/${jobId}`, 'stopped', 'stop with savepoint', record, { fromVersion: version, savepoint }),
        record.current,
      ),
    );
    return { jobId, savepoint, version };
  }

  /**
   * Cancels the active job of that name (or the given job id) WITHOUT a savepoint and waits until
   * it is CANCELED; resolves with its id. The state its windows and timers hold is lost.
   */
  async cancel(target: { readonly jobName?: string; readonly jobId?: string } = {}): Promise<string> {
    const jobName = target.jobName ?? FEATURE_JOB_NAME;
    const jobId = target.jobId ?? (await this.activeJob(jobName))?.jid;
    if (!jobId) throw new FeatureJobNotRunningError(jobName);
    await this.rest.cancel(jobId);
    await this.rest.waitForJobState(jobId, ['CANCELED'], CANCEL_TIMEOUT_MS);
    const version = await this.recordedVersion(jobName, jobId);
    await this.records.update(jobName, (record) =>
      withDeploymentEvent(record, this.event(`tributary flink cancel/${jobId}`, 'cancelled', 'cancel, state discarded', record, { fromVersion: version }), record.current),
    );
    return jobId;
  }

  /** The version the job's record knows `jobId` by, if it is the recorded one. */
  private async recordedVersion(jobName: string, jobId: string): Promise<string | undefined> {
    const current = (await this.records.read(jobName)).current;
    return current?.jobId === jobId ? current.spec.version : undefined;
  }

  private event(
    deployedBy: string,
    outcome: DeploymentEvent['outcome'],
    mode: string,
    record: DeploymentRecord,
    fields: { fromVersion?: string; toVersion?: string; jobId?: string; savepoint?: string },
  ): DeploymentEvent {
    return {
      at: Date.now(),
      deployedBy,
      outcome,
      mode,
      fromVersion: fields.fromVersion ?? (outcome === 'submitted' ? record.current?.spec.version : undefined),
      toVersion: fields.toVersion ?? '-',
      jobId: fields.jobId,
      savepoint: fields.savepoint,
      downtimeMs: undefined,
      error: undefined,
    };
  }

  /** The newest non-terminal job with that name. */
  private async activeJob(jobName: string): Promise<JobOverview | undefined> {
    const jobs = (await this.rest.listJobs()).filter((job) => job.name === jobName && isActive(job));
    return jobs.sort((a, b) => b['start-time'] - a['start-time'])[0];
  }
}
