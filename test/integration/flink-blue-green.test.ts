/**
 * A blue/green upgrade of the real feature job through the flinkDeploy workflow while the
 * simulator writes a steady stream: v2 starts beside v1 from a savepoint taken without stopping
 * it, writes `<prefix>features.v2`, and takes over once healthy and caught up; the models'
 * deployment records (real deployments topic) move to the new topic with the handoff.
 *
 * The audit reads both topics read_committed. With A = old-topic records before `overlapFrom`,
 * B = old-topic records at/after it and N = the new topic: A and N share no transaction (what
 * the old job committed before the mark is never written again), A ∪ B ∪ N covers every
 * transaction (no gap), each topic holds a transaction at most once, and deduplicating by the
 * handoff rule (skip in N what was read from B) gives exactly one feature per transaction.
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
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import type { FlinkDeployInput, FlinkDeployResult } from '../../src/workflows/flink-deploy.js';
import { startSimulatedStream, type SimulatedStream } from '../helpers/feature-stream.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

/** Events per second the simulator writes during the upgrade. */
const RATE = 200;
const FLINK_CONFIGURATION = { 'execution.checkpointing.interval': '2s' };
const HEALTH = { windowMs: 8_000, sampleIntervalMs: 500 };
const CATCH_UP = { maxBacklogRecords: 500, timeoutMs: 60_000, sampleIntervalMs: 500 };

/** One feature as read back: where it sits and what it is about. */
interface ReadFeature {
  readonly partition: number;
  readonly offset: bigint;
  readonly transactionId: string;
  readonly version: string;
}

describe('blue/green upgrade of the feature job (real Temporal, Kafka, registry and Flink)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.bg-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-flink-bg-${runId}` } };
  const jobName = `tributary-feature-job-bg-${runId}`;
  const oldTopic = fraudTopic(config, 'features');
  const newTopic = `${oldTopic}.v2`;
  const kafka = createKafka(config, { clientIdSuffix: `flink-bg-it-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const records = new FileDeploymentRecordStore(deploymentRecordsDir(config));
  const reads = `fraud-bg-${runId}`;
  const other = `other-bg-${runId}`;

  let admin: Admin;
  let connection: Connection;
  let client: Client;
  let deployments: DeploymentLog;
  const consumers: CollectingConsumer[] = [];

  const spec = (jobVersion: string, extra: FeatureJobDeploymentChoices = {}) => prepareFeatureJobDeployment(config, fraudJarJob, { jobName, jobVersion, flinkConfiguration: FLINK_CONFIGURATION, ...extra });
  const deploy = async (input: FlinkDeployInput): Promise<FlinkDeployResult> => {
    const handle = await startDeployment(client, { health: HEALTH, ...input }, { taskQueue: flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
    return handle.result();
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    deployments = await openDeploymentLog(config);
    await deployments.publish(reads, { featuresTopic: oldTopic, updatedBy: 'test', reason: 'reads the feature job under test' });
    await deployments.publish(other, { featuresTopic: `${oldTopic}.elsewhere`, updatedBy: 'test', reason: 'reads another topic' });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.consumer.disconnect()));
    await removeFeatureJobDeployments(config, jobName);
    await deployments?.close();
    await admin.deleteTopics({ topics: [...fraudRunTopics(config), newTopic] }).catch(() => undefined);
    await admin.disconnect();
    await connection.close();
  });

  const readFeatures = async (topic: string): Promise<() => Promise<ReadFeature[]>> => {
    const consumer = await collectingConsumer(kafka, topic);
    consumers.push(consumer);
    const decoder = createAvroDecoder(registry);
    return () =>
      Promise.all(consumer.received.map(async ({ partition, message }) => {
        const value = (await decoder.decode(message.value as Buffer)).value as { transaction_id: string; feature_job_version: string };
        return { partition, offset: BigInt(message.offset), transactionId: value.transaction_id, version: value.feature_job_version };
      }));
  };

  it('moves features to the new topic with no gap: the old job runs until the takeover, the handoff marks the only overlap', async () => {
    let v1: FlinkDeployResult | undefined;
    let upgrade: FlinkDeployResult | undefined;
    let stream: SimulatedStream | undefined;

    await withInProcessDeployWorker(config, async () => {
      v1 = await deploy({ spec: await spec('v1'), health: { ...HEALTH, windowMs: 4_000 } });
      expect(v1.outcome, v1.error).toBe('deployed');
      stream = await startSimulatedStream(config, { seed: 17, rate: RATE });
      try {
        // Upgrade once v1 has committed a few hundred features, so the mark falls in the middle of the stream.
        await waitFor('v1 to commit its first features', async () => {
          const offsets = await admin.fetchTopicOffsets(oldTopic);
          return offsets.reduce((sum, partition) => sum + Number(partition.high), 0) > 500 ? true : undefined;
        }, 60_000, 500);

        upgrade = await deploy({ spec: await spec('v2', { versionedFeaturesTopic: true }), mode: 'blue-green', catchUp: CATCH_UP });
        expect(upgrade.error).toBeUndefined();
        expect(upgrade).toMatchObject({ outcome: 'deployed', mode: 'blue-green', fromVersion: 'v1', toVersion: 'v2', catchUp: { caughtUp: true } });
        expect(upgrade.health).toMatchObject({ healthy: true, figures: { restarts: 0, exceptions: 0 } });
        expect(upgrade.health?.figures.outputRecords).toBeGreaterThan(0);
        expect(upgrade.handoff).toMatchObject({ previousTopic: oldTopic, newTopic, models: [reads] });
      } finally {
        stream.stop();
      }
      await stream.finish();
    });
    if (!v1 || !upgrade || !stream) throw new Error('the deployments did not run');
    const { transactionIds } = stream;
    const overlapFrom = new Map((upgrade.handoff?.overlapFrom ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]));
    expect(overlapFrom.size).toBe(3);

    // The old job ran beside the new one without a failure (no fenced transactions), then stopped with a savepoint.
    expect((await rest.jobDetails(v1.jobId ?? '')).state).toBe('FINISHED');
    expect((await rest.exceptions(v1.jobId ?? '')).exceptionHistory.entries).toEqual([]);
    expect((await rest.jobDetails(upgrade.jobId ?? '')).state).toBe('RUNNING');
    const record = await records.read(jobName);
    expect(record.current).toMatchObject({ jobId: upgrade.jobId, spec: { version: 'v2', observedTopics: { outputs: [newTopic] } }, restoredFrom: upgrade.savepoint });
    expect(record.savepoints.map((entry) => entry.reason)).toEqual(['upgrade', 'blue-green']);
    expect(await deployments.latest(reads)).toMatchObject({ featuresTopic: newTopic, featuresHandoff: { previousTopic: oldTopic, overlapFrom: upgrade.handoff?.overlapFrom }, updatedBy: `workflow:flink-deploy:${jobName}` });
    expect((await deployments.latest(other))?.featuresTopic).toBe(`${oldTopic}.elsewhere`);

    const readOld = await readFeatures(oldTopic);
    const readNew = await readFeatures(newTopic);
    const [old, fresh] = await waitFor(`features of all ${transactionIds.size} transactions in ${oldTopic} ∪ ${newTopic}`, async () => {
      const both = [(await readOld()).filter((feature) => transactionIds.has(feature.transactionId)), (await readNew()).filter((feature) => transactionIds.has(feature.transactionId))] as const;
      const seen = new Set([...both[0], ...both[1]].map((feature) => feature.transactionId));
      return [...transactionIds].every((id) => seen.has(id)) ? both : undefined;
    }, 180_000, 2_000);

    const beforeMark = old.filter((feature) => feature.offset < (overlapFrom.get(feature.partition) ?? 0n));
    const afterMark = old.filter((feature) => feature.offset >= (overlapFrom.get(feature.partition) ?? 0n));
    const inNew = new Set(fresh.map((feature) => feature.transactionId));
    const duplicatesIn = (features: readonly ReadFeature[]) => features.length - new Set(features.map((feature) => feature.transactionId)).size;

    expect(duplicatesIn(old)).toBe(0);
    expect(duplicatesIn(fresh)).toBe(0);
    expect(beforeMark.length).toBeGreaterThan(0);
    expect(beforeMark.filter((feature) => inNew.has(feature.transactionId))).toEqual([]);
    expect(new Set(old.map((feature) => feature.version))).toEqual(new Set(['v1']));
    expect(new Set(fresh.map((feature) => feature.version))).toEqual(new Set(['v2']));
    // The overlap was real: both jobs featured some transactions after the mark.
    const overlap = afterMark.filter((feature) => inNew.has(feature.transactionId));
    expect(overlap.length).toBeGreaterThan(0);
    // What only the old topic has after the mark came from input before the savepoint: per partition it precedes the overlap.
    const onlyOld = afterMark.filter((feature) => !inNew.has(feature.transactionId));
    for (const partition of overlapFrom.keys()) {
      const lastOnlyOld = onlyOld.filter((feature) => feature.partition === partition).reduce((max, feature) => (feature.offset > max ? feature.offset : max), -1n);
      const firstOverlap = overlap.filter((feature) => feature.partition === partition).reduce((min, feature) => (feature.offset < min ? feature.offset : min), BigInt(Number.MAX_SAFE_INTEGER));
      expect(lastOnlyOld < firstOverlap, `partition ${partition}: old-only records after the mark precede the overlap`).toBe(true);
    }
    // The handoff rule: a scorer reads the old topic, then the new one, skipping there what it already read after the mark.
    const readAfterMark = new Set(afterMark.map((feature) => feature.transactionId));
    const scored = [...old.map((feature) => feature.transactionId), ...fresh.filter((feature) => !readAfterMark.has(feature.transactionId)).map((feature) => feature.transactionId)];
    expect(scored).toHaveLength(transactionIds.size);
    expect(new Set(scored).size).toBe(transactionIds.size);
    console.info(JSON.stringify({
      transactions: transactionIds.size,
      oldBeforeMark: beforeMark.length,
      oldAfterMark: afterMark.length,
      overlap: overlap.length,
      onlyOldAfterMark: onlyOld.length,
      newTopic: fresh.length,
      takeoverMs: upgrade.takeoverMs,
      catchUp: upgrade.catchUp,
    }));
  }, 480_000);
});
