/**
 * Bad records on the real stack: malformed bytes, an unknown schema id, a NaN feature and an empty
 * event id each land in dlq with their error type, reason, source position and original bytes, and the worker keeps
 * scoring the good records around them (exactly one score each).
 */
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
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
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-dlq');
const MODEL = 'fraud';

describe('scoring worker dead letters (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-dlq');
  let raw: Producer;

  beforeAll(async () => {
    raw = clients.kafka.producer();
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.disconnect();
  });

  it('sends malformed bytes, an unknown schema id, a NaN feature and an empty event id to dlq with their reasons and keeps scoring', async () => {
    const { kafka, admin } = clients;
    const scorer = await clients.startChampionScorer({ model: MODEL, batchSize: 50 });

    const featuresTopic = fraudTopic(config, 'features');
    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const good = featureRecords('dlq', 0, 120);
    const nan = { ...featureRecords('dlq-nan', 0, 1)[0]!, amount_sum_1h: Number.NaN };
    // Valid Avro, but no event to key a score by (the example's features.eventId is transaction_id).
    const noEventId = { ...featureRecords('dlq-no-id', 0, 1)[0]!, transaction_id: '' };
    const malformed = Buffer.from('not avro at all');
    // Magic byte 0, then a schema id no registry has handed out, then a body.
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]), Buffer.from('body')]);
    // All to partition 0 so their offsets are known from the acknowledgements.
    const [first] = await producer.send('features', good.slice(0, 60).map((value) => ({ key: 'same-key', value })));
    const [badBytes] = await raw.send({ topic: featuresTopic, messages: [{ key: 'same-key', value: malformed }] });
    const [badId] = await raw.send({ topic: featuresTopic, messages: [{ key: 'same-key', value: unknownId }] });
    const [badValue] = await producer.send('features', [{ key: 'same-key', value: nan }]);
    const [noIdSent] = await producer.send('features', [{ key: 'same-key', value: noEventId }]);
    await producer.send('features', good.slice(60).map((value) => ({ key: 'same-key', value })));
    await producer.disconnect();
    const partition = first!.partition;

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), featuresTopic);
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, good.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });

    const letters = await readDeadLetters(kafka, config);
    const bySourceOffset = new Map(letters.map((letter) => [String(letter.source_offset), letter]));
    expect(letters).toHaveLength(4);
    for (const letter of letters) {
      expect(letter).toMatchObject({ source_topic: featuresTopic, source_partition: partition, component: 'scorer' });
      expect(letter.original_key?.toString()).toBe('same-key');
    }
    const malformedLetter = bySourceOffset.get(badBytes!.baseOffset!);
    expect(malformedLetter?.error_type).toBe('NOT_AVRO_WIRE_FORMAT');
    expect(malformedLetter?.reason).toMatch(/not the registry wire format's magic byte/);
    expect(malformedLetter?.original_value).toEqual(malformed);
    const unknownLetter = bySourceOffset.get(badId!.baseOffset!);
    expect(unknownLetter?.error_type).toBe('UNKNOWN_SCHEMA_ID');
    expect(unknownLetter?.reason).toMatch(/schema id 2147483647 is not in the registry/);
    expect(unknownLetter?.original_value).toEqual(unknownId);
    const nanLetter = bySourceOffset.get(badValue!.baseOffset!);
    expect(nanLetter?.error_type).toBe('INVALID_FEATURES');
    expect(nanLetter?.reason).toMatch(/amount_sum_1h/);
    expect(nanLetter?.reason).toContain(nan.transaction_id);
    const noIdLetter = bySourceOffset.get(noIdSent!.baseOffset!);
    expect(noIdLetter?.error_type).toBe('INVALID_FEATURES');
    expect(noIdLetter?.reason).toBe('field transaction_id (features.eventId) of the features record is "", expected a non-empty string or a whole number');

    expect(await metricValue(scorer.metrics, 'tributary_scorer_dead_letters_total', { error_type: 'UNKNOWN_SCHEMA_ID' })).toBe(1);
    expect(await metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })).toBe(good.length);
  });
});
