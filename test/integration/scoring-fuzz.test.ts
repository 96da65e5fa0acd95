/**
 * Random bytes at a real scorer (real Kafka, schema registry and model registry): a few hundred
 * seeded bad values of every kind — empty, one byte, random, a short header, unknown and foreign
 * schema ids, truncated and over-long records, huge declared lengths, NaN/Infinity features, a
 * tombstone — interleaved with valid records on every partition. The worker must keep running
 * without failing a chunk, every bad input must land in dlq exactly once with its original bytes
 * and a reason, every good one must get exactly one score, and scores + dead letters must account
 * for every input (read_committed).
 */
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { frameWithSchemaId, MAGIC_BYTE } from '../../src/streaming/wire-format.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';
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
import { FRAUD_SCHEMA_DIRECTORY, fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-fuzz');
const MODEL = 'fraud';
const SEED = 20_251_125;
const BAD_PER_KIND = 30;
const GOOD = 200;

type Random = () => number;
const integer = (random: Random, below: number): number => Math.floor(random() * below);
const randomBytes = (random: Random, length: number): Buffer => Buffer.from(Array.from({ length }, () => integer(random, 256)));

/** An Avro long (zig-zag varint), for a string length no buffer holds. */
function zigZagVarint(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let byte = Number(zigzag & 0x7fn);
    zigzag >>= 7n;
    if (zigzag > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (zigzag > 0n);
  return Buffer.from(bytes);
}

/** What each kind of bad input is made of, and the dead letter's error type it must get. */
interface BadKind {
  readonly errorType: string;
  readonly make: (random: Random, context: { featureId: number; scoreId: number; encode: (record: object) => Buffer; good: () => object }) => Buffer | null;
}

const BAD_KINDS: Record<string, BadKind> = {
  empty: { errorType: 'NOT_AVRO_WIRE_FORMAT', make: () => Buffer.alloc(0) },
  oneByte: { errorType: 'NOT_AVRO_WIRE_FORMAT', make: (random) => randomBytes(random, 1) },
  // A first byte other than the magic byte.
  random: { errorType: 'NOT_AVRO_WIRE_FORMAT', make: (random) => Buffer.concat([Buffer.from([1 + integer(random, 255)]), randomBytes(random, integer(random, 300))]) },
  shortHeader: { errorType: 'NOT_AVRO_WIRE_FORMAT', make: (random) => Buffer.concat([Buffer.from([MAGIC_BYTE]), randomBytes(random, integer(random, 4))]) },
  // Ids from 2^30 up: the registry hands out small ones.
  unknownSchemaId: { errorType: 'UNKNOWN_SCHEMA_ID', make: (random) => frameWithSchemaId(2 ** 30 + integer(random, 2 ** 30), randomBytes(random, integer(random, 100))) },
  foreignSchemaId: { errorType: 'UNDECODABLE', make: (random, { scoreId }) => frameWithSchemaId(scoreId, randomBytes(random, integer(random, 100))) },
  truncated: {
    errorType: 'UNDECODABLE',
    make: (random, { featureId, encode, good }) => {
      const whole = frameWithSchemaId(featureId, encode(good()));
      return whole.subarray(0, 5 + integer(random, whole.length - 5));
    },
  },
  trailingBytes: { errorType: 'UNDECODABLE', make: (random, { featureId, encode, good }) => Buffer.concat([frameWithSchemaId(featureId, encode(good())), randomBytes(random, 1 + integer(random, 20))]) },
  hugeDeclaredLength: {
    errorType: 'UNDECODABLE',
    make: (random, { featureId }) => {
      const lengths = [2n ** 31n, 2n ** 53n, 2n ** 62n, -(2n ** 40n), BigInt(1_000 + integer(random, 1_000_000))];
      return Buffer.concat([frameWithSchemaId(featureId, Buffer.alloc(0)), zigZagVarint(lengths[integer(random, lengths.length)]!), randomBytes(random, integer(random, 32))]);
    },
  },
  nonFiniteFeature: {
    errorType: 'INVALID_FEATURES',
    make: (random, { featureId, encode, good }) => {
      const field = ['amount', 'amount_sum_1h', 'amount_mean_24h', 'amount_to_mean_24h', 'amount_max_10m'][integer(random, 5)]!;
      const value = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][integer(random, 3)]!;
      return frameWithSchemaId(featureId, encode({ ...good(), [field]: value }));
    },
  },
  tombstone: { errorType: 'NULL_VALUE', make: () => null },
};

/** One input as sent: where it landed, and what it must become. */
interface SentInput {
  readonly position: string;
  readonly value: Buffer | null;
  readonly expected: { readonly kind: 'score'; readonly transactionId: string } | { readonly kind: 'dead letter'; readonly errorType: string; readonly badKind: string };
}

describe('scoring worker under random bytes (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-fuzz');
  let raw: Producer;

  beforeAll(async () => {
    raw = clients.kafka.producer();
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.disconnect();
  });

  it('dead-letters every bad input with its bytes and a reason, scores every good one once, and keeps running', async () => {
    const { kafka, admin } = clients;
    const scorer = await clients.startChampionScorer({ model: MODEL, batchSize: 50 });
    const { logs } = scorer;

    const featuresTopic = fraudTopic(config, 'features');
    const schemaRegistry = createSchemaRegistryClient(config.schemaRegistry);
    const featureId = (await schemaRegistry.latestSchema(valueSubject(featuresTopic)))!.id;
    const scoreId = (await schemaRegistry.latestSchema(valueSubject(topicName(config, 'scores'))))!.id;
    const featureType = loadSchemaFile(join(FRAUD_SCHEMA_DIRECTORY, 'feature.avsc')).type;
    const good = featureRecords('fuzz', 0, GOOD);
    const spare = featureRecords('fuzz-bad', 0, BAD_PER_KIND * 3);
    let spareIndex = 0;
    const context = { featureId, scoreId, encode: (record: object) => featureType.toBuffer(record), good: () => spare[spareIndex++ % spare.length]! };

    // Good and bad inputs shuffled together, then sent in runs to one partition at a time, so each offset is known from its acknowledgement.
    const random = createSeededRandom(SEED);
    const planned: Omit<SentInput, 'position'>[] = [
      ...good.map((record) => ({ value: frameWithSchemaId(featureId, featureType.toBuffer(record)), expected: { kind: 'score' as const, transactionId: record.transaction_id } })),
      ...Object.entries(BAD_KINDS).flatMap(([badKind, kind]) =>
        Array.from({ length: BAD_PER_KIND }, () => ({ value: kind.make(random, context), expected: { kind: 'dead letter' as const, errorType: kind.errorType, badKind } })),
      ),
    ];
    for (let index = planned.length - 1; index > 0; index -= 1) {
      const other = integer(random, index + 1);
      [planned[index], planned[other]] = [planned[other]!, planned[index]!];
    }
    const partitions = (await admin.fetchTopicOffsets(featuresTopic)).length;
    const sent: SentInput[] = [];
    const RUN = 25;
    for (let from = 0; from < planned.length; from += RUN) {
      const run = planned.slice(from, from + RUN);
      const partition = (from / RUN) % partitions;
      const [ack] = await raw.send({ topic: featuresTopic, messages: run.map((input, index) => ({ partition, key: `fuzz-${from + index}`, value: input.value })) });
      run.forEach((input, index) => sent.push({ ...input, position: `${partition}:${BigInt(ack!.baseOffset!) + BigInt(index)}` }));
    }

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), featuresTopic);
    const [scores, letters] = await Promise.all([readScores(kafka, config), readDeadLetters(kafka, config)]);

    const goodInputs = sent.filter((input) => input.expected.kind === 'score');
    const badInputs = sent.filter((input) => input.expected.kind === 'dead letter');
    expect(scoreAccounting(scores, good.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    expect(scores.length + letters.length).toBe(sent.length);
    expect(goodInputs).toHaveLength(GOOD);
    expect(badInputs).toHaveLength(BAD_PER_KIND * Object.keys(BAD_KINDS).length);

    const letterAt = new Map(letters.map((letter) => [`${letter.source_partition}:${letter.source_offset}`, letter]));
    expect(letterAt.size, 'one dead letter per position').toBe(letters.length);
    const misplaced: string[] = [];
    for (const input of badInputs) {
      const expected = input.expected as Extract<SentInput['expected'], { kind: 'dead letter' }>;
      const letter = letterAt.get(input.position);
      if (letter === undefined) {
        misplaced.push(`${expected.badKind} at ${input.position}: no dead letter`);
        continue;
      }
      if (letter.error_type !== expected.errorType) misplaced.push(`${expected.badKind} at ${input.position}: ${letter.error_type} (${letter.reason}), expected ${expected.errorType}`);
      expect(letter.original_value === null ? null : Buffer.from(letter.original_value), `${expected.badKind} at ${input.position}`).toEqual(input.value);
      expect(letter.source_topic).toBe(featuresTopic);
      expect(letter.component).toBe('scorer');
      expect(letter.reason).toMatch(/\S{3,}/);
      expect(letter.reason).not.toContain('\n');
    }
    expect(misplaced).toEqual([]);

    // Never failed a chunk over a record, never crashed, still scoring.
    expect(await metricValue(scorer.metrics, 'tributary_scorer_batch_retries_total')).toBe(0);
    expect(logs.filter((line) => /crashed|failed/.test(line))).toEqual([]);
    expect(scorer.worker.readiness().ready).toBe(true);
    expect(await metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })).toBe(GOOD);
    expect(await metricValue(scorer.metrics, 'tributary_scorer_records_total', { outcome: 'dead_lettered' })).toBe(badInputs.length);
  });
});
