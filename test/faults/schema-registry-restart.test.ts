/**
 * Fault: the Schema Registry stopped for 20 s and started again while features are produced and
 * scored. During the outage three clients that must ask the registry meet it down: a producer that
 * starts writing then (no writer schema cached), and a scorer started then in place of the running
 * one (no schemas cached, so it cannot decode nor encode). Each backs off and carries on once the
 * registry is back; nothing goes to the DLQ and every committed feature record has exactly one
 * committed score. The new scorer's chunks fail because the registry is unreachable (not because
 * of the records), are tried again with backoff and committed on a later attempt. Measured from the registry's restart: the new producer's first write, the new
 * scorer's first committed chunk, and the registry's health check passing.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import {
  metricValue,
  readDeadLetters,
  registerModelVersions,
  scoringRunConfig,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { waitFor } from '../helpers/wait-for.js';
import { auditScores, committedRecords, steadyFeatureProducer, type SteadyProducer } from './scoring-audit.js';
import { reportFault, restoreStack, stopComponent, unhealthyComponents } from './stack-faults.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('fault-registry');
const MODEL = 'fraud';
const OUTAGE_MS = 20_000;
const groupId = defaultScorerGroupId(config, MODEL);
const featuresTopic = fraudTopic(config, 'features');

describe('fault: the Schema Registry stopped and restarted', () => {
  const clients = useScoringClients(config, 'fault-registry');
  const producers: AvroProducer[] = [];
  const scorers: InProcessScorer[] = [];

  const newProducer = (): AvroProducer => {
    const producer = createAvroProducer({ kafka: clients.kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    producers.push(producer);
    return producer;
  };

  beforeAll(async () => {
    const { registry, deployments } = clients;
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'fault-test', reason: 'champion for the schema registry fault' });
  });

  afterAll(async () => {
    await restoreStack();
    for (const scorer of scorers) await scorer.stop();
    for (const producer of producers) await producer.disconnect();
    expect(await unhealthyComponents()).toEqual([]);
  });

  it('producers and the scorer back off while it is down and lose nothing', async () => {
    const { kafka, admin, registry, deployments } = clients;
    const logs: string[] = [];
    onTestFailed(() => console.error(`log:\n${logs.join('\n')}`));
    const startScorer = async (name: string): Promise<InProcessScorer> => {
      const scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: 100, name });
      scorers.push(scorer);
      onTestFailed(() => console.error(`scorer ${name} log:\n${scorer.logs.join('\n')}`));
      return scorer;
    };
    const first = await startScorer('before-outage');
    const steady = newProducer();
    await steady.connect();
    const running = steadyFeatureProducer(() => steady, 'registry-steady', (line) => logs.push(line));
    let late: SteadyProducer | undefined;
    let stoppedAt = 0;
    let restartedAt = 0;
    let healthyAt = 0;
    let lateFirstWriteAt = 0;
    let scorerRecoveredAt = 0;
    let second: InProcessScorer | undefined;
    try {
      await waitFor('the scorer to commit its first scores', async () => ((await committedRecords(admin, groupId, featuresTopic)) >= 200 ? true : undefined), 60_000, 250);
      await stopComponent('schema-registry');
      stoppedAt = Date.now();
      // A producer that starts now has no writer schema, and a scorer that starts now has no schemas at all.
      const lateProducer = newProducer();
      await lateProducer.connect();
      late = steadyFeatureProducer(() => lateProducer, 'registry-late', (line) => logs.push(line));
      await first.stop();
      second = await startScorer('during-outage');
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      expect(late.acknowledged).toEqual([]);
      expect(await metricValue(second.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })).toBe(0);
      const lateProducing = late;
      const restarted = second;
      // Watched from the restart on: both may recover before the registry's health check passes.
      const recovered = Promise.all([
        waitFor('the late producer to write', () => (lateProducing.acknowledged.length > 0 ? Date.now() : undefined), 180_000, 100),
        waitFor('the new scorer to commit scores', async () => ((await metricValue(restarted.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })) > 0 ? Date.now() : undefined), 180_000, 100),
      ]);
      restartedAt = Date.now();
      await restoreStack();
      healthyAt = Date.now();
      [lateFirstWriteAt, scorerRecoveredAt] = await recovered;
      await waitFor('the late producer to write 200 records', () => (lateProducing.acknowledged.length >= 200 ? true : undefined), 60_000, 100);
    } finally {
      await running.stop();
      await late?.stop();
    }
    await waitForGroupCaughtUp(admin, groupId, featuresTopic, 150_000);
    const acknowledged = [...running.acknowledged, ...(late?.acknowledged ?? [])];
    const audit = await auditScores(kafka, config, acknowledged);
    const deadLetters = await readDeadLetters(kafka, config);
    const retries = second ? await metricValue(second.metrics, 'tributary_scorer_batch_retries_total') : 0;
    reportFault({
      name: 'schema registry stopped for 20 s and restarted (a producer and a scorer started during the outage)',
      outcome: audit.missing.length + audit.duplicated.length + audit.unexpected.length + audit.lostInputs.length + deadLetters.length === 0 ? 'exactly once' : 'violated',
      registryStoppedMs: restartedAt - stoppedAt,
      restartToHealthyMs: healthyAt - restartedAt,
      lateProducerRecoveryAfterRestartMs: lateFirstWriteAt - restartedAt,
      scorerRecoveryAfterRestartMs: scorerRecoveredAt - restartedAt,
      runningProducerFailedAttempts: running.failedAttempts(),
      lateProducerFailedAttempts: late?.failedAttempts(),
      scorerChunkRetries: retries,
      inputs: audit.inputs,
      scores: audit.scores,
      deadLetters: deadLetters.length,
      missing: audit.missing.length,
      duplicated: audit.duplicated.length,
      unexpected: audit.unexpected.length,
      lostInputs: audit.lostInputs.length,
    });
    expect(deadLetters).toEqual([]);
    expect(audit).toMatchObject({ missing: [], duplicated: [], unexpected: [], lostInputs: [] });
    expect(audit.scores).toBe(audit.inputs);
    expect(late?.failedAttempts()).toBeGreaterThan(0);
    // The scorer started during the outage met the registry down while decoding and tried the chunk again.
    expect(retries).toBeGreaterThan(0);
    const scorerLog = second?.logs ?? [];
    expect(scorerLog.some((line) => / chunk of \d+ records at .* failed \(attempt \d+\): schema registry at \S+ is unreachable: .*; trying again in \d+ ms$/.test(line))).toBe(true);
    expect(scorerLog.some((line) => / chunk of \d+ records at .* committed on attempt \d+$/.test(line))).toBe(true);
  }, 420_000);
});
