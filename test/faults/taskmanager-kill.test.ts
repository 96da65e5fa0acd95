/**
 * Fault: the Flink TaskManager killed with SIGKILL while the feature job processes a steady stream
 * of simulated transactions. `stack up` starts a new TaskManager (it sees the old one dead), the
 * job's restart strategy restores it from its latest completed checkpoint, and its transactional
 * Kafka sink aborts what the lost attempt had written: `features` (read_committed) holds exactly one
 * record per transaction. Measured: TaskManager back → job RUNNING again → its first checkpoint.
 */
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { auditFeatures, startSimulatedStream } from '../helpers/feature-stream.js';
import { waitFor } from '../helpers/wait-for.js';
import { killComponent, reportFault, restoreStack, unhealthyComponents } from './stack-faults.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

/** Events per second the simulator writes. */
const RATE = 200;
/** Output reaches read_committed readers on each checkpoint; a short interval keeps the test short. */
const FLINK_CONFIGURATION = { 'execution.checkpointing.interval': '2s' };

describe('fault: the Flink TaskManager killed while the feature job runs', () => {
  const runId = randomBytes(4).toString('hex');
  const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test.fault-tm-${runId}.` } };
  const jobName = `tributary-feature-job-fault-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `fault-tm-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const deployer = new FeatureJobDeployer(config, { rest });
  let admin: Admin;
  let job: SubmittedFeatureJob | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
  });

  afterAll(async () => {
    // A new TaskManager first: without one the job cannot even be cancelled cleanly.
    await restoreStack();
    if (job) await deployer.cancel({ jobId: job.jobId }).catch(() => undefined);
    await admin.deleteTopics({ topics: fraudRunTopics(config) }).catch(() => undefined);
    await admin.disconnect();
    expect(await unhealthyComponents()).toEqual([]);
  });

  it('restores the job from its checkpoint and features every transaction exactly once', async () => {
    job = await deployer.submit({ job: fraudJarJob, jobName, jobVersion: `fault-${runId}`, flinkConfiguration: FLINK_CONFIGURATION });
    const { jobId } = job;
    const stream = await startSimulatedStream(config, { seed: 17, rate: RATE });
    const { transactionIds } = stream;
    let killedAt = 0;
    let backAt = 0;
    let runningAt = 0;
    let checkpointAt = 0;
    let checkpointBeforeKill = 0;
    let restoredFrom: number | undefined;
    try {
      checkpointBeforeKill = await waitFor('a completed checkpoint with features committed', async () => {
        const [checkpoints, offsets] = await Promise.all([rest.checkpoints(jobId), admin.fetchTopicOffsets(fraudTopic(config, 'features'))]);
        const completed = checkpoints.latest.completed?.id;
        return completed !== undefined && completed >= 2 && offsets.some((partition) => Number(partition.high) > 0) ? completed : undefined;
      }, 120_000, 500);
      await killComponent('flink-taskmanager');
      killedAt = Date.now();
      await restoreStack();
      backAt = Date.now();
      // The job fails over once the JobManager notices the lost TaskManager, then restores on the new one.
      restoredFrom = await waitFor('the job to restore from a checkpoint', async () => (await rest.checkpoints(jobId)).latest.restored?.id, 180_000, 250);
      runningAt = await waitFor('the job to run again', async () => ((await rest.jobDetails(jobId)).state === 'RUNNING' ? Date.now() : undefined), 120_000, 250);
      const restoredId = restoredFrom;
      checkpointAt = await waitFor('a checkpoint after the restore', async () => ((await rest.checkpoints(jobId)).latest.completed?.id ?? 0) > restoredId ? Date.now() : undefined, 120_000, 250);
      const sent = transactionIds.size;
      await waitFor('the simulator to write 1000 more transactions', () => (transactionIds.size >= sent + 1000 ? true : undefined), 60_000, 250);
    } finally {
      stream.stop();
    }
    await stream.finish();
    // Every transaction has a feature by then; the audit fails when one is still missing.
    const { features, duplicated } = await auditFeatures(kafka, registry, config, transactionIds);
    reportFault({
      name: 'flink taskmanager killed with SIGKILL while the feature job runs',
      outcome: duplicated.length === 0 ? 'exactly once' : 'violated',
      checkpointBeforeKill,
      restoredFromCheckpoint: restoredFrom,
      taskManagerBackMs: backAt - killedAt,
      jobRunningAfterTaskManagerBackMs: runningAt - backAt,
      firstCheckpointAfterTaskManagerBackMs: checkpointAt - backAt,
      transactions: transactionIds.size,
      features: features.length,
      duplicated: duplicated.length,
    });
    expect(restoredFrom).toBeGreaterThanOrEqual(checkpointBeforeKill);
    expect(duplicated).toEqual([]);
    expect(features).toHaveLength(transactionIds.size);
  }, 540_000);
});
