/**
 * Upgrades of the real feature job through the flinkDeploy workflow while the simulator
 * writes a steady stream: v1 → v2 with a savepoint, then a v3 that fails at runtime and is
 * rolled back to v2 from the same savepoint. Afterwards `features` (read_committed) holds
 * exactly one record per simulated transaction: none lost, none duplicated.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { startDeployment } from '../../src/worker/flink-deploy-client.js';
import { prepareFeatureJobDeployment, type FeatureJobDeploymentChoices } from '../../src/flink/deployment-feature-job.js';
import { FileDeploymentRecordStore } from '../../src/flink/deployment-record-store.js';
import { deploymentRecordsDir } from '../../src/flink/deployment-paths.js';
import { flinkDeployTaskQueue, withInProcessDeployWorker } from '../../src/worker/flink-deploy-worker.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import type { FlinkDeployInput, FlinkDeployResult } from '../../src/workflows/flink-deploy.js';
import { auditFeatures, startSimulatedStream, type SimulatedStream } from '../helpers/feature-stream.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

/** Events per second the simulator writes during the upgrades. */
const RATE = 200;
/** A short checkpoint interval: output becomes visible to read_committed readers on each checkpoint. */
const FLINK_CONFIGURATION = { 'execution.checkpointing.interval': '2s' };
const HEALTH = { windowMs: 8_000, sampleIntervalMs: 500 };

describe('feature job upgrades through flinkDeploy (real Temporal, Kafka, registry and Flink)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.up-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-flink-upgrade-${runId}` } };
  const jobName = `tributary-feature-job-up-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `flink-upgrade-it-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const records = new FileDeploymentRecordStore(deploymentRecordsDir(config));

  let admin: Admin;
  let connection: Connection;
  let client: Client;
  const results: FlinkDeployResult[] = [];

  const spec = (jobVersion: string, extra: FeatureJobDeploymentChoices = {}) => prepareFeatureJobDeployment(config, fraudJarJob, { jobName, jobVersion, flinkConfiguration: FLINK_CONFIGURATION, ...extra });
  const deploy = async (input: FlinkDeployInput): Promise<FlinkDeployResult> => {
    const handle = await startDeployment(client, { health: HEALTH, ...input }, { taskQueue: flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
    const result = await handle.result();
    results.push(result);
    return result;
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  afterAll(async () => {
    await removeFeatureJobDeployments(config, jobName);
    await admin.deleteTopics({ topics: fraudRunTopics(config) }).catch(() => undefined);
    await admin.disconnect();
    await connection.close();
  });

  it('upgrades v1 → v2 from a savepoint and rolls a failing v3 back to v2, with every transaction featured exactly once', async () => {
    let stream: SimulatedStream | undefined;
    await withInProcessDeployWorker(config, async () => {
      const first = await deploy({ spec: await spec('v1'), health: { ...HEALTH, windowMs: 4_000 } });
      expect(first.outcome, first.error).toBe('deployed');

      stream = await startSimulatedStream(config, { seed: 7, rate: RATE });
      try {
        // Upgrade once v1 has committed features, so the savepoint falls in the middle of the stream.
        await waitFor('v1 to commit its first features', async () => {
          const offsets = await admin.fetchTopicOffsets(fraudTopic(config, 'features'));
          return offsets.some((partition) => Number(partition.high) > 0) ? true : undefined;
        }, 60_000, 500);

        const upgrade = await deploy({ spec: await spec('v2') });
        expect(upgrade.error).toBeUndefined();
        expect(upgrade).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
        expect(upgrade.savepoint).toMatch(/savepoint-/);
        expect(upgrade.health).toMatchObject({ healthy: true, figures: { restarts: 0, exceptions: 0 } });
        expect(upgrade.health?.figures.completedCheckpoints).toBeGreaterThanOrEqual(1);
        expect(upgrade.health?.figures.outputRecords).toBeGreaterThan(0);
        expect((await rest.jobDetails(first.jobId ?? '')).state).toBe('FINISHED');

        // v3 starts (main accepts its arguments) but cannot reach the schema registry, so it fails on its first record and restarts.
        const broken = await deploy({ spec: await spec('v3', { argumentOverrides: { 'schema-registry-url': 'http://127.0.0.1:1/apis/ccompat/v7' } }) });
        expect(broken).toMatchObject({ outcome: 'rolled-back', fromVersion: 'v2', toVersion: 'v3' });
        expect(broken.health?.healthy).toBe(false);
        expect(broken.error).toMatch(/restarted|exception|is not healthy/);
        expect(broken.health?.flinkError).toBeTruthy();
        expect(broken.rollbackHealth?.healthy).toBe(true);
        expect((await records.read(jobName)).current).toMatchObject({ jobId: broken.jobId, spec: { version: 'v2' }, restoredFrom: broken.savepoint });
        expect((await rest.jobDetails(broken.jobId ?? '')).state).toBe('RUNNING');
      } finally {
        // A failed expectation must not leave the producer writing into topics afterAll deletes.
        stream.stop();
      }
      await stream.finish();
    });
    if (!stream) throw new Error('the stream did not start');
    const { transactionIds } = stream;

    const { features, duplicated } = await auditFeatures(kafka, registry, config, transactionIds);
    expect(duplicated).toEqual([]);
    expect(features).toHaveLength(transactionIds.size);
    // Both versions wrote features: the upgrade happened in the middle of the stream, and v3 wrote none.
    const versions = new Set(features.map((value) => value.feature_job_version));
    expect([...versions].sort()).toEqual(['v1', 'v2']);
    console.info(JSON.stringify({ transactions: transactionIds.size, downtimeMs: results.map((result) => [result.toVersion, result.outcome, result.downtimeMs]) }));
  }, 480_000);
});
