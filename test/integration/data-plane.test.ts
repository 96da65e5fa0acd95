import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { simulatorTopics } from '../../examples/fraud/fraud-pipeline.js';
import { createKafkaSimulationSink } from '../../examples/fraud/simulator/kafka-sink.js';
import { simulateEvents } from '../../examples/fraud/simulator/event-generator.js';
import type { Label, Transaction } from '../../examples/fraud/simulator/simulated-event.js';
import { runSimulation, type SinkRecord } from '../../examples/fraud/simulator/simulation-runner.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { collectingConsumer, type CollectingConsumer } from '../helpers/kafka.js';
import { findPii } from '../helpers/pii-scan.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../helpers/fraud-topics.js';

const TRANSACTIONS = 20_000;
const DAY_MS = 86_400_000;

/**
 * The data plane end to end, as a person runs it: the fraud definition's topics and subjects (as
 * `pipeline apply` creates them), `flink submit`, the fraud example's `simulate --count 20000` (examples/fraud/cli.ts) — then every transaction has a feature record,
 * every labelled one a training example, and no raw PII reaches a derived topic.
 */
describe('data plane end to end (real Kafka, registry and Flink)', () => {
  const runId = randomBytes(4).toString('hex');
  const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test.e2e-${runId}.` } };
  const kafka = createKafka(config, { clientIdSuffix: `data-plane-it-${runId}` });
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const deployer = new FeatureJobDeployer(config);
  const jobName = `tributary-feature-job-e2e-${runId}`;

  let admin: Admin;
  let submitted: SubmittedFeatureJob | undefined;
  const transactionIds = new Set<string>();
  const labelledIds = new Set<string>();
  const piiValues = new Set<string>();
  const consumers: CollectingConsumer[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    // A 2 s checkpoint interval: read_committed readers see output only after each checkpoint.
    submitted = await deployer.submit({ job: fraudJarJob, jobName, jobVersion: `e2e-${runId}`, flinkConfiguration: { 'execution.checkpointing.interval': '2s' } });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.consumer.disconnect()));
    if (submitted) await deployer.cancel({ jobId: submitted.jobId });
    await admin.deleteTopics({ topics: fraudRunTopics(config) });
    await admin.disconnect();
  });

  it(`computes features for all ${TRANSACTIONS} simulated transactions and a training example for every labelled one`, async () => {
    const sink = await createKafkaSimulationSink(config, simulatorTopics(config));
    const recording = {
      async send(records: SinkRecord[]) {
        for (const record of records) {
          if (record.topic === 'transactions') {
            const transaction = record.value as Transaction;
            transactionIds.add(transaction.transaction_id);
            piiValues.add(transaction.card_number).add(transaction.email);
          } else {
            labelledIds.add((record.value as Label).transaction_id);
          }
        }
        await sink.send(records);
      },
    };
    const startTime = Date.parse('2026-03-02T08:00:00Z');
    const result = await runSimulation(simulateEvents({ seed: 42, startTime, count: TRANSACTIONS, labelDelayScale: 0.05 }), recording, { rate: 5_000 });
    expect(transactionIds.size).toBe(TRANSACTIONS);
    expect(result.transactions).toBe(TRANSACTIONS);

    // In event-time mode watermarks only pass the last events once later ones arrive: one
    // transaction a day later on many cards (so on every partition) flushes everything buffered.
    // The example's job describes transactions on arrival; these then are features of their own.
    const sentinels = [...simulateEvents({ seed: 43, startTime: (result.lastEventTime ?? startTime) + DAY_MS, count: 30, outOfOrderMs: 0, lateShare: 0 })].filter(
      (event) => event.topic === 'transactions',
    );
    await sink.send(sentinels);
    await sink.close();

    const features = await collectingConsumer(kafka, fraudTopic(config, 'features'));
    const examples = await collectingConsumer(kafka, fraudTopic(config, 'training-examples'));
    consumers.push(features, examples);
    const decoder = createAvroDecoder(registry);
    /** Transaction ids of every record received so far, duplicates kept. */
    const idsIn = async (consumer: CollectingConsumer): Promise<string[]> =>
      Promise.all(consumer.received.map(async ({ message }) => ((await decoder.decode(message.value as Buffer)).value as { transaction_id: string }).transaction_id));
    const covering = async (consumer: CollectingConsumer, wanted: Set<string>): Promise<string[] | undefined> => {
      const ids = await idsIn(consumer);
      const seen = new Set(ids);
      return [...wanted].every((id) => seen.has(id)) ? ids : undefined;
    };

    const featureIds = await waitFor('a feature record for every transaction', () => covering(features, transactionIds), 240_000, 2_000);
    const exampleIds = await waitFor('a training example for every labelled transaction', () => covering(examples, labelledIds), 120_000, 2_000);

    // Exactly once: one feature per simulated transaction (the sentinels, not counted here, have
    // theirs on arrival), and a training example only for labelled transactions.
    expect(featureIds.filter((id) => transactionIds.has(id))).toHaveLength(TRANSACTIONS);
    expect(exampleIds).toHaveLength(labelledIds.size);
    expect(new Set(exampleIds)).toEqual(labelledIds);
    expect(labelledIds.size).toBeGreaterThan(TRANSACTIONS * 0.2);

    // No raw card number or email in the keys or values of any derived topic.
    for (const consumer of [features, examples]) {
      const text = consumer.received.map(({ message }) => `${message.key?.toString('latin1') ?? ''}\n${message.value?.toString('latin1') ?? ''}`).join('\n');
      expect(findPii(text, piiValues)).toEqual([]);
    }
  });

  it('keeps the job running and sends nothing to the DLQ for valid input', async () => {
    const status = await deployer.status(jobName);
    expect(status?.state).toBe('RUNNING');
    const dlq = await collectingConsumer(kafka, topicName(config, 'dlq'));
    consumers.push(dlq);
    const offsets = await admin.fetchTopicOffsets(topicName(config, 'dlq'));
    expect(offsets.every((partition) => partition.high === '0')).toBe(true);
  });
});
