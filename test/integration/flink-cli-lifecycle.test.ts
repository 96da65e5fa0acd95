/**
 * Issue 17's sequence, through the real `tributary` binary (`node dist/cli/main.js`) on the real
 * stack, under a steady producer: `flink submit`, then `flink deploy <job> --job-version v2` (an
 * upgrade by savepoint of the submitted job), then `flink cancel` (a savepoint by default) and the
 * command it prints to resume. Afterwards `features` (read_committed) holds exactly one record per
 * transaction: the window state survived every step. Before the fix, the deploy refused and the
 * only path it left (cancel, then deploy) lost the features of the transactions held in windows.
 * The job's output subjects keep the one version registered from the example's schema files: the job reuses it
 * instead of registering an identical second version. And a job started by other means (no record
 * knows it) is adopted by `flink deploy`: stopped with a savepoint, the new version started from it.
 * The job is the fraud example's, named by its definition (`--pipeline`); without one, `flink deploy`
 * refuses a new version in one line and runs only the recorded one again (the resume).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { prepareFeatureJobDeployment } from '../../src/flink/deployment-feature-job.js';
import { deploymentRecordsDir } from '../../src/flink/deployment-paths.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { pipelinesTopic } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { RestFlinkService } from '../../src/flink/flink-service.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { auditFeatures, startSimulatedStream, type SimulatedStream } from '../helpers/feature-stream.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';
import { FRAUD_DEFINITION_FILE, fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** Events per second the producer writes throughout. */
const RATE = 200;
/** Short windows and checkpoints for the deployments (the submitted v1 runs with the cluster's). */
const DEPLOY_OPTIONS = ['--health-window', '8', '--checkpoint-interval', '2'];

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One test's own topics (registered schemas), task queue and job name, with the CLI pointed at
 * them; hooks set them up and remove them.
 */
function cliSetup(tag: string) {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.${tag}-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-flink-${tag}-${runId}` } };
  const jobName = `tributary-feature-job-${tag}-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `flink-${tag}-it-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const context = {
    config,
    jobName,
    kafka,
    registry,
    admin: undefined as unknown as Admin,
    stream: undefined as SimulatedStream | undefined,
    /** The job's output subjects, with the id their registration gave each. */
    registered: new Map<string, number | undefined>(),
    tributary: (...args: string[]): Promise<CliRun> =>
      new Promise((resolve) => {
        const env = { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue };
        execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      }),
    /** Resolves once the features topic has grown by `records` from where it is now. */
    async featuresGrow(records: number): Promise<void> {
      const end = async (): Promise<number> => (await context.admin.fetchTopicOffsets(fraudTopic(config, 'features'))).reduce((sum, partition) => sum + Number(partition.high), 0);
      const from = await end();
      await waitFor(`${records} more feature records`, async () => ((await end()) >= from + records ? true : undefined), 120_000, 1_000);
    },
  };

  beforeAll(async () => {
    context.admin = kafka.admin();
    await context.admin.connect();
    await prepareFraudTopics(config, context.admin);
    for (const topic of ['features', 'training-examples'] as const) {
      const subject = `${fraudTopic(config, topic)}-value`;
      context.registered.set(subject, (await registry.latestSchema(subject))?.id);
    }
  });

  afterAll(async () => {
    context.stream?.stop();
    await removeFeatureJobDeployments(config, jobName);
    // The pipelines topic too when `flink deploy` looked in the pipeline store for the job's definition
    // (only existing topics: the broker refuses the whole request for one it does not host).
    const existing = new Set(await context.admin.listTopics());
    const topics = [...fraudRunTopics(config), pipelinesTopic(config)].filter((topic) => existing.has(topic));
    await context.admin.deleteTopics({ topics }).catch(() => undefined);
    await context.admin.disconnect();
  });
  return context;
}

describe('flink submit → deploy → cancel → resume through the CLI, under a steady producer (real stack)', () => {
  const cli = cliSetup('cli');
  const { config, jobName, kafka, registry, registered, tributary } = cli;

  it('keeps every transaction\'s features: submit, deploy v2 by savepoint, cancel with a savepoint, resume from it', async () => {
    const stream = await startSimulatedStream(config, { seed: 17, rate: RATE });
    cli.stream = stream;

    const submitted = await tributary('flink', 'submit', '--job-name', jobName, '--job-version', 'v1', '--pipeline', FRAUD_DEFINITION_FILE);
    expect(submitted.code, submitted.stderr).toBe(0);
    const v1 = /is RUNNING as job ([0-9a-f]{32})/.exec(submitted.stdout)?.[1];
    expect(v1).toBeDefined();
    await cli.featuresGrow(200);

    // The platform has no job of its own: without a definition that names it, only the recorded version can run again.
    const undefinedJob = await tributary('flink', 'deploy', jobName, '--job-version', 'v2', ...DEPLOY_OPTIONS);
    expect(undefinedJob.code).toBe(1);
    expect(undefinedJob.stderr.trim()).toBe(
      `error: no applied pipeline has a feature job named ${jobName}; apply the pipeline's definition (\`tributary pipeline apply <file>\`, which deploys its job), or name the definition: --pipeline <file> ` +
        '(without it only the recorded version v1 can run again, unchanged)',
    );

    const deployed = await tributary('flink', 'deploy', jobName, '--job-version', 'v2', '--pipeline', FRAUD_DEFINITION_FILE, ...DEPLOY_OPTIONS);
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(deployed.stdout).toContain(`${jobName}: deployed (v1 → v2, mode savepoint)`);
    expect(deployed.stdout).toMatch(/savepoint: +\S+/);
    // One line per phase, and the worker's SDK log in its file, not on the terminal.
    expect(deployed.stderr).toMatch(/deployment worker in this process; its log: \S+flink-deploy-worker\.log/);
    expect(deployed.stderr).not.toMatch(/\bINFO\b|Workflow bundle|webpack/i);
    expect(deployed.stderr.trim().split('\n').length).toBeLessThanOrEqual(10);
    await cli.featuresGrow(200);

    const cancelled = await tributary('flink', 'cancel', '--job-name', jobName);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const savepoint = /stopped with a savepoint: (\S+)/.exec(cancelled.stdout)?.[1] ?? '';
    const resume = /resume it with its state: tributary (.+)$/m.exec(cancelled.stdout)?.[1] ?? '';
    expect(resume).toBe(`flink deploy ${jobName} --from-savepoint ${savepoint} --job-version v2`);

    // The producer keeps writing while nothing runs; the resumed job reads on from the savepoint, its recorded spec unchanged.
    const resumed = await tributary(...resume.split(' '), '--health-window', '8');
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stderr).toContain(`no applied pipeline has a feature job named ${jobName}: deploying its recorded version v2 again`);
    expect(resumed.stdout).toContain(`${jobName}: deployed (v2 → v2, mode savepoint)`);
    expect(resumed.stdout).toContain(`savepoint:   ${savepoint}`);
    await cli.featuresGrow(200);

    stream.stop();
    await stream.finish();
    const audit = await auditFeatures(kafka, registry, config, stream.transactionIds);
    expect(stream.transactionIds.size).toBeGreaterThan(1_000);
    expect(audit.duplicated).toEqual([]);
    expect(audit.features).toHaveLength(stream.transactionIds.size);
    expect(new Set(audit.features.map((feature) => feature.feature_job_version))).toEqual(new Set(['v1', 'v2']));

    const record = await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(jobName);
    expect(record.events.map((event) => [event.outcome, event.fromVersion ?? '-', event.toVersion])).toEqual([
      ['deployed', 'v2', 'v2'],
      ['stopped', 'v2', '-'],
      ['deployed', 'v1', 'v2'],
      ['submitted', '-', 'v1'],
    ]);
    expect(record.savepoints.map((entry) => [entry.reason, entry.version])).toEqual([['stop', 'v2'], ['upgrade', 'v1']]);

    const training = await cli.admin.fetchTopicOffsets(fraudTopic(config, 'training-examples'));
    expect(training.some((partition) => Number(partition.high) > 0)).toBe(true);
    for (const [subject, id] of registered) {
      expect(id, subject).toBeDefined();
      expect(await registry.latestSchema(subject), subject).toMatchObject({ version: 1, id });
    }
  }, 900_000);
});

describe('flink deploy adopts a job started by other means, through the CLI, under a steady producer (real stack)', () => {
  const cli = cliSetup('adopt');
  const { config, jobName, kafka, registry, tributary } = cli;

  it('stops the unrecorded job with a savepoint and starts v2 from it: every transaction featured once', async () => {
    // What `flink run` or the Flink UI would do: the job runs, no deployment record knows it.
    const spec = await prepareFeatureJobDeployment(config, fraudJarJob, { jobName, jobVersion: 'by-hand', flinkConfiguration: { 'execution.checkpointing.interval': '2s' } });
    const byHand = randomBytes(16).toString('hex');
    await new RestFlinkService({ baseUrl: config.flink.restUrl }).submit({ jobId: byHand, spec, savepointPath: undefined });
    await new FlinkRestClient({ baseUrl: config.flink.restUrl }).waitForJobState(byHand, ['RUNNING'], 120_000);
    expect((await new FileDeploymentRecordStore(deploymentRecordsDir(config)).read(jobName)).current).toBeUndefined();

    const stream = await startSimulatedStream(config, { seed: 23, rate: RATE });
    cli.stream = stream;
    await cli.featuresGrow(200);

    const deployed = await tributary('flink', 'deploy', jobName, '--job-version', 'v2', '--pipeline', FRAUD_DEFINITION_FILE, ...DEPLOY_OPTIONS);
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(deployed.stdout).toContain(`${jobName}: deployed (nothing → v2, mode savepoint)`);
    expect(deployed.stdout).toContain(`  adopted:     job ${byHand} (run without a recorded deployment), stopped with the savepoint below`);
    expect(deployed.stderr).toContain(`savepointing: stopping job ${byHand}, which no deployment recorded`);
    await cli.featuresGrow(200);

    stream.stop();
    await stream.finish();
    const audit = await auditFeatures(kafka, registry, config, stream.transactionIds);
    expect(audit.duplicated).toEqual([]);
    expect(audit.features).toHaveLength(stream.transactionIds.size);
    expect(new Set(audit.features.map((feature) => feature.feature_job_version))).toEqual(new Set(['by-hand', 'v2']));
  }, 900_000);
});
