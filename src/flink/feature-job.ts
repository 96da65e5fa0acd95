import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TributaryConfig } from '../config/config.js';
import { FeatureJobAlreadyRunningError, FeatureJobNotRunningError } from './feature-job-errors.js';
import { FlinkRestClient, TERMINAL_JOB_STATES, type JobOverview, type JobState } from './flink-rest-client.js';
import { checkFeatureJobKafkaAccess, isSecuredKafka } from './feature-job-preflight.js';
import { writeFeatureJobSecrets } from './feature-job-secrets.js';
import { ensureJar, type MavenJarModule } from './jar-builder.js';
import {
  FEATURE_JOB_ENTRY_CLASS,
  FEATURE_JOB_MODULE,
  FEATURE_JOB_NAME,
  featureJobProgramArgs,
  featureJobSpec,
  type FeatureJobSpec,
  type FeatureJobSpecChoices,
} from './job-spec.js';

export interface FeatureJobDeployerOptions {
  /** @default a client of `config.flink.restUrl` */
  readonly rest?: FlinkRestClient;
  /** @default {@link FEATURE_JOB_MODULE} (flink/feature-job) */
  readonly module?: MavenJarModule;
  /** Receives progress lines (jar build, upload, run). @default silent */
  readonly progress?: (line: string) => void;
}

export interface SubmitFeatureJobOptions extends Partial<Omit<FeatureJobSpecChoices, 'piiKeyFile' | 'kafkaClientPropertiesFile'>> {
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
  /** Configuration for this job only, e.g. `{ 'execution.checkpointing.interval': '2s' }`. @default none */
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

/** A version that changes whenever the job's code does: the first 12 hex digits of the jar's SHA-256. */
export function jarVersion(jarPath: string): string {
  return `jar-${createHash('sha256').update(readFileSync(jarPath)).digest('hex').slice(0, 12)}`;
}

const isActive = (job: JobOverview): boolean => !TERMINAL_JOB_STATES.includes(job.state);

/**
 * Builds, submits, finds and cancels the feature job on a Flink session cluster through its
 * REST API. The job is found by name, so one name runs at most once unless forced.
 */
export class FeatureJobDeployer {
  private readonly rest: FlinkRestClient;
  private readonly module: MavenJarModule;
  private readonly progress: (line: string) => void;

  constructor(
    private readonly config: TributaryConfig,
    options: FeatureJobDeployerOptions = {},
  ) {
    this.rest = options.rest ?? new FlinkRestClient({ baseUrl: config.flink.restUrl });
    this.module = options.module ?? FEATURE_JOB_MODULE;
    this.progress = options.progress ?? (() => undefined);
  }

  /**
   * Builds the jar if stale, writes the PII key file, uploads the jar, runs it and waits until
   * the job is RUNNING. Refuses when a job of the same name is active, unless `force` or an
   * explicit `jobId` is given.
   */
  async submit(options: SubmitFeatureJobOptions = {}): Promise<SubmittedFeatureJob> {
    const jobName = options.jobName ?? FEATURE_JOB_NAME;
    if (!options.force && !options.jobId) {
      const active = await this.activeJob(jobName);
      if (active) throw new FeatureJobAlreadyRunningError(jobName, active.jid, active.state);
    }
    const secrets = await writeFeatureJobSecrets(this.config, jobName);
    const jarPath = await ensureJar(this.module, { progress: this.progress });
    const spec = featureJobSpec(this.config, {
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
        entryClass: FEATURE_JOB_ENTRY_CLASS,
        programArgs: featureJobProgramArgs(spec),
        parallelism: options.parallelism,
        savepointPath: options.savepointPath,
        allowNonRestoredState: options.allowNonRestoredState,
        jobId: options.jobId,
        flinkConfiguration: options.flinkConfiguration,
      });
    } finally {
      // The cluster keeps its own copy of a submitted job's jar; the upload only litters /jars.
      await this.rest.deleteJar(jarId).catch(() => undefined);
    }
    this.progress(`job ${jobId} submitted; waiting for it to run`);
    await this.rest.waitForJobState(jobId, ['RUNNING'], options.runningTimeoutMs ?? DEFAULT_RUNNING_TIMEOUT_MS);
    return { jobId, spec, jarPath };
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

  /** Cancels the active job of that name (or the given job id) and waits until it is CANCELED; resolves with its id. */
  async cancel(target: { readonly jobName?: string; readonly jobId?: string } = {}): Promise<string> {
    const jobName = target.jobName ?? FEATURE_JOB_NAME;
    const jobId = target.jobId ?? (await this.activeJob(jobName))?.jid;
    if (!jobId) throw new FeatureJobNotRunningError(jobName);
    await this.rest.cancel(jobId);
    await this.rest.waitForJobState(jobId, ['CANCELED'], CANCEL_TIMEOUT_MS);
    return jobId;
  }

  /** The newest non-terminal job with that name. */
  private async activeJob(jobName: string): Promise<JobOverview | undefined> {
    const jobs = (await this.rest.listJobs()).filter((job) => job.name === jobName && isActive(job));
    return jobs.sort((a, b) => b['start-time'] - a['start-time'])[0];
  }
}
