/**
 * `tributary serve --delivery low-latency` as a real process on the real stack:
 * - it scores features the feature job has written but not committed (an open Kafka transaction,
 *   as the job's exactly-once sink holds until its checkpoint completes);
 * - when that transaction is aborted (the job failed and restores its last checkpoint) and the job
 *   writes the events' features again, each event id's last score on the scores topic is the one
 *   from the committed features;
 * - kill -9 mid-stream and a restart: every event is scored at least once, none lost, and each
 *   event id's last score is present (duplicates are allowed: at-least-once).
 * The scores topic is read as a downstream reader of this mode must read it: keyed by event id,
 * the last record per key (by offset, within the key's partition) wins.
 */
import avro from 'avsc';
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import type { ScoreValue } from '../../src/serving/batch-scorer.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { encodeRecords, type WriterSchema } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { valueSubject } from '../../src/streaming/topic-catalogue.js';
import type { FraudFeatureRecord } from '../helpers/synthetic-examples.js';
import { featureRecords, prepareScoringTopics, readTopic, registerModelVersions, scoringRunConfig, waitForGroupCaughtUp } from '../helpers/scoring.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-low-latency');
const MODEL = 'fraud';
const groupId = defaultScorerGroupId(config, MODEL);
const featuresTopic = fraudTopic(config, 'features');

/** Every score on the scores topic, in partition then offset order, and the last one per event id (what a keyed reader keeps). */
async function scoresByEventId(kafka: Kafka): Promise<{ all: ScoreValue[]; last: Map<string, ScoreValue> }> {
  const all = (await readTopic<ScoreValue>(kafka, config, 'scores')).map((record) => record.value);
  const last = new Map<string, ScoreValue>();
  for (const score of all) last.set(score.event_id, score);
  return { all, last };
}

/** Features records of `ids`' events as a feature job of version `version` writes them. */
function featuresOf(runId: string, from: number, count: number, version: string): FraudFeatureRecord[] {
  return featureRecords(runId, from, count).map((record) => ({ ...record, feature_job_version: version }));
}

describe('tributary serve --delivery low-latency (real Kafka, registry, schema registry)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let registry: KafkaModelRegistry;
  let deployments: DeploymentLog;
  /** Writes features in transactions, as the feature job's exactly-once sink does. */
  let featureJob: Producer;
  let writer: WriterSchema;
  const processes: ServeProcess[] = [];

  const serve = async (): Promise<ServeProcess> => {
    const started = await startServeProcess(config, MODEL, ['--delivery', 'low-latency']);
    processes.push(started);
    onTestFailed(() => console.error(`serve process output:\n${started.output.join('')}`));
    return started;
  };

  const ready = (serving: ServeProcess): Promise<true> =>
    waitFor('the scorer to be ready', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${serving.port}/readyz`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
      // A serve process loads TensorFlow.js and the model first, which takes long on a loaded machine.
    }, 120_000);

  /**
   * Waits until a read_committed reader sees every one of `ids` in `version`: the transaction's
   * commit markers are written. Kafka writes them after commit() returns, and until then the
   * topic's end as the admin client reads it (the last stable offset) stops before the
   * transaction, so the group would count as caught up before the scorer read its records.
   */
  const committedFeaturesVisible = (ids: readonly string[], version: string) =>
    waitFor(`${ids.length} features records of ${version} to be visible to read_committed readers`, async () => {
      const visible = new Set((await readTopic<FraudFeatureRecord>(kafka, config, 'features')).filter(({ value }) => value.feature_job_version === version).map(({ value }) => value.transaction_id));
      return ids.every((id) => visible.has(id)) ? true : undefined;
    });

  const send = (transaction: Transaction | Producer, records: readonly FraudFeatureRecord[]) =>
    transaction.send({ topic: featuresTopic, messages: encodeRecords(writer, records.map((value) => ({ key: value.transaction_id, value }))), acks: -1 });

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'scoring-low-latency-test', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await prepareScoringTopics(config, admin);
    registry = await createModelRegistry(config);
    deployments = await openDeploymentLog(config);
    const subject = valueSubject(featuresTopic);
    const latest = await createSchemaRegistryClient(config.schemaRegistry).latestSchema(subject);
    if (!latest) throw new Error(`no schema registered under ${subject}`);
    writer = { topic: featuresTopic, subject, schemaId: latest.id, type: avro.Type.forSchema(JSON.parse(latest.schema) as avro.Schema) };
    featureJob = kafka.producer({ transactionalId: `${config.topics.prefix}feature-job`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 300_000 });
    await featureJob.connect();
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-low-latency-test', reason: 'first champion' });
  });

  afterAll(async () => {
    for (const serving of processes) serving.child.kill('SIGKILL');
    await featureJob?.disconnect();
    await deployments?.close();
    await registry?.close();
    await admin?.disconnect();
  });

  it("scores features before the feature job commits them; after the job's transaction aborts and the features are written again, each event's last score is from the committed ones", async () => {
    await ready(await serve());
    const attempt = featuresOf('rollback', 0, 60, 'attempt-1');
    const ids = attempt.map((record) => record.transaction_id);
    const open = await featureJob.transaction();
    await send(open, attempt);
    // Read_committed would see none of these until the commit: low-latency scores them now.
    await waitFor('every uncommitted features record to be scored', async () => {
      const { last } = await scoresByEventId(kafka);
      return ids.every((id) => last.get(id)?.feature_job_version === 'attempt-1') ? true : undefined;
    });

    // The job fails before its checkpoint: the transaction is aborted, and after restoring it writes the same events' features again.
    await open.abort();
    const again = await featureJob.transaction();
    await send(again, featuresOf('rollback', 0, 60, 'attempt-2'));
    await again.commit();

    await committedFeaturesVisible(ids, 'attempt-2');
    await waitForGroupCaughtUp(admin, groupId, featuresTopic);
    const { all, last } = await scoresByEventId(kafka);
    expect(ids.filter((id) => last.get(id)?.feature_job_version !== 'attempt-2')).toEqual([]);
    // Both attempts were scored: the first score of each event stays on the topic; a reader keyed by event id sees the last.
    expect(ids.filter((id) => all.filter((score) => score.event_id === id).length < 2)).toEqual([]);
  });

  it('kill -9 mid-stream and a restart: every event scored at least once, each event id with its last score', async () => {
    const running = processes[processes.length - 1]!;
    const sent: string[] = [];
    let producing = true;
    // Committed features every 50 ms, 20 at a time, as a feature job checkpointing often writes them.
    const stream = (async () => {
      for (let from = 0; producing; from += 20) {
        const records = featuresOf('sigkill', from, 20, 'committed');
        const transaction = await featureJob.transaction();
        await send(transaction, records);
        await transaction.commit();
        sent.push(...records.map((record) => record.transaction_id));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await waitFor('the scorer to score 100 of the stream', async () => {
        const { last } = await scoresByEventId(kafka);
        return sent.filter((id) => last.has(id)).length >= 100 ? true : undefined;
      });
      running.child.kill('SIGKILL');
      expect((await running.exited).signal).toBe('SIGKILL');
      await ready(await serve());
    } finally {
      producing = false;
      await stream;
    }
    await committedFeaturesVisible(sent, 'committed');
    await waitForGroupCaughtUp(admin, groupId, featuresTopic, 150_000);
    const { all, last } = await scoresByEventId(kafka);
    expect(sent.filter((id) => !last.has(id))).toEqual([]);
    expect(sent.filter((id) => last.get(id)?.feature_job_version !== 'committed')).toEqual([]);
    const expected = new Set([...sent, ...featureRecords('rollback', 0, 60).map((record) => record.transaction_id)]);
    expect([...new Set(all.map((score) => score.event_id))].filter((id) => !expected.has(id))).toEqual([]);
  });
});
