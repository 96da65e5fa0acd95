/**
 * Two scoring workers in one consumer group on the real stack share the features topic's
 * partitions: both score something, and together they score every input exactly once.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import {
  featureRecords,
  metricValue,
  readScores,
  registerModelVersions,
  scoreAccounting,
  scoringRunConfig,
  startInProcessScorer,
  waitForGroupCaughtUp,
  type InProcessScorer,
} from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-group');
const MODEL = 'fraud';

describe('two scoring workers in one group (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-group');
  const scorers: InProcessScorer[] = [];

  afterAll(async () => {
    await Promise.all(scorers.map((scorer) => scorer.stop()));
  });

  it('share the partitions: each scores some inputs, together exactly one score per input', async () => {
    const { kafka, admin, registry, deployments } = clients;
    const [v1] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: v1!, updatedBy: 'scoring-test', reason: 'first champion' });
    for (const name of ['a', 'b']) scorers.push(await startInProcessScorer(config, { registry, deployments }, { model: MODEL, name, batchSize: 100 }));
    onTestFailed(() => console.error(scorers.map((scorer, index) => `scorer ${index} log:\n${scorer.logs.join('\n')}`).join('\n')));
    // Both members in the group, each with its partitions, before anything is produced.
    await waitFor('both workers to be ready with partitions of their own', () =>
      scorers.every((scorer) => scorer.worker.readiness().ready) && scorers.every((scorer) => scorer.logs.some((line) => /assigned .*\[\d/.test(line) && !/\[0, 1, 2\]/.test(line))) ? true : undefined,
    );

    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const records = featureRecords('group', 0, 600);
    // Distinct keys spread the records over the three partitions.
    await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
    await producer.disconnect();

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), fraudTopic(config, 'features'));
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    const scoredBy = await Promise.all(scorers.map((scorer) => metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })));
    expect(scoredBy.every((count) => count > 0)).toBe(true);
    expect(scoredBy[0]! + scoredBy[1]!).toBe(records.length);
  });
});
