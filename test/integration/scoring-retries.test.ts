/**
 * A failure that is not the records' fault — the schema registry unreachable while the scorer
 * decodes — on the real stack: the chunk is tried again with backoff until it works; nothing goes
 * to dlq, nothing is skipped, every record is scored exactly once.
 */
import { describe, expect, it } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { SchemaRegistryUnreachableError } from '../../src/streaming/errors.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import {
  featureRecords,
  metricValue,
  readDeadLetters,
  readScores,
  scoreAccounting,
  scoringRunConfig,
  waitForGroupCaughtUp,
} from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';

const config = scoringRunConfig('scoring-retries');
const MODEL = 'fraud';
const UNREACHABLE_LOOKUPS = 3;

describe('scoring worker retries (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-retries');

  it('tries a chunk again while the schema registry is unreachable, and dead-letters nothing', async () => {
    const { kafka, admin } = clients;
    const real = createSchemaRegistryClient(config.schemaRegistry);
    let lookups = 0;
    // The first lookups of a writer schema get no answer, as when the registry restarts.
    const flaky: Pick<SchemaRegistryClient, 'latestSchema' | 'schemaById'> = {
      latestSchema: (subject) => real.latestSchema(subject),
      schemaById: (id) => {
        lookups += 1;
        return lookups <= UNREACHABLE_LOOKUPS ? Promise.reject(new SchemaRegistryUnreachableError(real.url, 'connect ECONNREFUSED')) : real.schemaById(id);
      },
    };
    const scorer = await clients.startChampionScorer({ model: MODEL, batchSize: 50, schemaRegistry: flaky });
    const { logs } = scorer;

    const producer = createAvroProducer({ kafka, registry: real, config });
    await producer.connect();
    const records = featureRecords('retries', 0, 150);
    await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
    await producer.disconnect();

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), topicName(config, 'features'));
    expect(scoreAccounting(await readScores(kafka, config), records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    expect(await readDeadLetters(kafka, config)).toEqual([]);
    expect(await metricValue(scorer.metrics, 'tributary_scorer_batch_retries_total')).toBeGreaterThanOrEqual(1);
    expect(logs.some((line) => /failed \(attempt 1\): schema registry at .* is unreachable: connect ECONNREFUSED; trying again in 200 ms/.test(line))).toBe(true);
  });
});
