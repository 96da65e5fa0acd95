/**
 * Issue 17's sequence, through the real `tributary` binary (`node dist/cli/main.js`) on the real
 * stack, under a steady producer: `flink submit`, then `flink deploy <job> --job-version v2` (an
 * upgrade by savepoint of the submitted job), then `flink cancel` (a savepoint by default) and the
 * command it prints to resume. Afterwards `features` (read_committed) holds exactly one record per
 * transaction: the window state survived every step. Before the fix, the deploy refused and the
 * only path it left (cancel, then deploy) lost the features of the transactions held in windows.
 * The job's output subjects keep the one version `schemas register` registered: the job reuses it
 * instead of registering an identical second version.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { deploymentRecordsDir } from '../../src/flink/deployment-paths.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { topicCatalogue, topicName } from '../../src/streaming/topic-catalogue.js';
import { auditFeatures, startSimulatedStream, type SimulatedStream } from '../helpers/feature-stream.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';

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

describe('flink submit → deploy → cancel → resume through the CLI, under a steady producer (real stack)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.cli-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-flink-cli-${runId}` } };
  const jobName = `tributary-feature-job-cli-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `flink-cli-it-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  let admin: Admin;
  let stream: SimulatedStream | undefined;
  /** The job's output subjects, with the id `schemas register` gave each. */
  const registered = new Map<string, number | undefined>();

  const tributary = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      const env = { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue };
      execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  /** Resolves once the features topic has grown by `records` from where it is now. */
  const featuresGrow = async (records: number): Promise<void> => {
    const end = async (): Promise<number> => (await admin.fetchTopicOffsets(topicName(config, 'features'))).reduce((sum, partition) => sum + Number(partition.high), 0);
    const from = await end();
    await waitFor(`${records} more feature records`, async () => ((await end()) >= from + records ? true : undefined), 120_000, 1_000);
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicCatalogue(config));
    await registerSchemas(registry, config);
    for (const topic of ['features', 'training-examples'] as const) {
      const subject = `${topicName(config, topic)}-value`;
      registered.set(subject, (await registry.latestSchema(subject))?.id);
    }
  });

  afterAll(async () => {
    stream?.stop();
    await removeFeatureJobDeployments(config, jobName);
    await admin.deleteTopics({ topics: topicCatalogue(config).map((topic) => topic.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('keeps every transaction\'s features: submit, deploy v2 by savepoint, cancel with a savepoint, resume from it', async () => {
    stream = await startSimulatedStream(config, { seed: 17, rate: RATE });

    const submitted = await tributary('flink', 'submit', '--job-name', jobName, '--job-version', 'v1');
    expect(submitted.code, submitted.stderr).toBe(0);
    const v1 = /is RUNNING as job ([0-9a-f]{32})/.exec(submitted.stdout)?.[1];
    expect(v1).toBeDefined();
    await featuresGrow(200);

    const deployed = await tributary('flink', 'deploy', jobName, '--job-version', 'v2', ...DEPLOY_OPTIONS);
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(deployed.stdout).toContain(`${jobName}: deployed (v1 → v2, mode savepoint)`);
    expect(deployed.stdout).toMatch(/savepoint: +\S+/);
    // One line per phase, and the worker's SDK log in its file, not on the terminal.
    expect(deployed.stderr).toMatch(/deployment worker in this process; its log: \S+flink-deploy-worker\.log/);
    expect(deployed.stderr).not.toMatch(/\bINFO\b|Workflow bundle|webpack/i);
    expect(deployed.stderr.trim().split('\n').length).toBeLessThanOrEqual(10);
    await featuresGrow(200);

    const cancelled = await tributary('flink', 'cancel', '--job-name', jobName);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const savepoint = /stopped with a savepoint: (\S+)/.exec(cancelled.stdout)?.[1] ?? '';
    const resume = /resume it with its state: tributary (.+)$/m.exec(cancelled.stdout)?.[1] ?? '';
    expect(resume).toBe(`flink deploy ${jobName} --from-savepoint ${savepoint} --job-version v2`);

    // The producer keeps writing while nothing runs; the resumed job reads on from the savepoint.
    const resumed = await tributary(...resume.split(' '), ...DEPLOY_OPTIONS);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stdout).toContain(`${jobName}: deployed (v2 → v2, mode savepoint)`);
    expect(resumed.stdout).toContain(`savepoint:   ${savepoint}`);
    await featuresGrow(200);

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

    const training = await admin.fetchTopicOffsets(topicName(config, 'training-examples'));
    expect(training.some((partition) => Number(partition.high) > 0)).toBe(true);
    for (const [subject, id] of registered) {
      expect(id, subject).toBeDefined();
      expect(await registry.latestSchema(subject), subject).toMatchObject({ version: 1, id });
    }
  }, 900_000);
});
