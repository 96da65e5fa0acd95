/**
 * Fault: the Kafka broker stops for 20 s and comes back while the exactly-once scorer scores a
 * steady stream. The producer's refused batches are tried again, the scorer's consumer and
 * transactional producer reconnect, and afterwards every committed feature record has exactly one
 * committed score (read_committed). Measured from the broker's restart: its health check passing, and
 * the scorer's next committed chunk.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import {
  metricValue,
  registerModelVersions,
  scoringRunConfig,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { waitFor } from '../helpers/wait-for.js';
import { auditScores, committedRecords, steadyFeatureProducer } from './scoring-audit.js';
import { reportFault, restoreStack, stopComponent, unhealthyComponents } from './stack-faults.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('fault-broker');
const MODEL = 'fraud';
const OUTAGE_MS = 20_000;
const groupId = defaultScorerGroupId(config, MODEL);
const featuresTopic = fraudTopic(config, 'features');

describe('fault: the Kafka broker stopped for 20 s while scoring', () => {
  const clients = useScoringClients(config, 'fault-broker');
  let producer: AvroProducer;
  let scorer: InProcessScorer | undefined;

  beforeAll(async () => {
    const { kafka, registry, deployments } = clients;
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'fault-test', reason: 'champion for the broker fault' });
    producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
  });

  afterAll(async () => {
    // Whatever happened above, the shared broker runs again before anything else.
    await restoreStack();
    await scorer?.stop();
    await producer?.disconnect();
    expect(await unhealthyComponents()).toEqual([]);
  });

  it('scores every feature record exactly once across the outage', async () => {
    const { kafka, admin, registry, deployments } = clients;
    scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL, batchSize: 100, name: 'fault-broker' });
    const logs = scorer.logs;
    onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));
    const scored = (): Promise<number> => metricValue(scorer!.metrics, 'tributary_scorer_records_total', { outcome: 'scored' });
    const stream = steadyFeatureProducer(() => producer, 'broker', (line) => logs.push(line));
    let stoppedAt = 0;
    let restartedAt = 0;
    let healthyAt = 0;
    let scoredAtOutage = 0;
    let recoveredAt = 0;
    try {
      await waitFor('the scorer to commit its first scores', async () => ((await committedRecords(admin, groupId, featuresTopic)) >= 200 ? true : undefined), 60_000, 250);
      await stopComponent('kafka');
      stoppedAt = Date.now();
      // Nothing can commit while the broker is down: this is the count the scorer must move past.
      scoredAtOutage = await scored();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      expect(await scored()).toBe(scoredAtOutage);
      // Watched from the restart on: the scorer may commit before the broker's health check passes.
      const recovered = waitFor('the scorer to commit scores again', async () => ((await scored()) > scoredAtOutage ? Date.now() : undefined), 180_000, 100);
      restartedAt = Date.now();
      await restoreStack();
      healthyAt = Date.now();
      recoveredAt = await recovered;
      // Keep the stream going a little past recovery, so records written after the outage are audited too.
      const acknowledgedAtRecovery = stream.acknowledged.length;
      await waitFor('the producer to write 200 more records', () => (stream.acknowledged.length >= acknowledgedAtRecovery + 200 ? true : undefined), 60_000, 100);
    } finally {
      await stream.stop();
    }
    await waitForGroupCaughtUp(admin, groupId, featuresTopic, 150_000);
    const audit = await auditScores(kafka, config, stream.acknowledged);
    reportFault({
      name: 'kafka broker stopped for 20 s while scoring (exactly-once scorer)',
      outcome: audit.missing.length + audit.duplicated.length + audit.unexpected.length + audit.lostInputs.length === 0 ? 'exactly once' : 'violated',
      brokerStoppedMs: restartedAt - stoppedAt,
      restartToHealthyMs: healthyAt - restartedAt,
      recoveryAfterRestartMs: recoveredAt - restartedAt,
      producerFailedAttempts: stream.failedAttempts(),
      inputs: audit.inputs,
      scores: audit.scores,
      missing: audit.missing.length,
      duplicated: audit.duplicated.length,
      unexpected: audit.unexpected.length,
      lostInputs: audit.lostInputs.length,
    });
    expect(audit).toMatchObject({ missing: [], duplicated: [], unexpected: [], lostInputs: [] });
    expect(audit.scores).toBe(audit.inputs);
    expect(audit.inputs).toBeGreaterThanOrEqual(stream.acknowledged.length);
  }, 420_000);
});
