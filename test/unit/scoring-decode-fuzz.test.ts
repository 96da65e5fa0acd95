/**
 * Fuzz of the scorer's decode path, without servers: thousands of seeded random byte strings
 * through the Avro decoder as the scorer builds it (features reader schema), then whatever decodes
 * through scoreBatch; and thousands of random decoded shapes straight into scoreBatch. Whatever
 * the input, a value either decodes or fails with a MessageDecodeError (the scorer's DLQ path),
 * scoreBatch gives exactly one outcome per input and never throws, a model only ever sees finite
 * features, and every score it builds is a valid scores record (else the producer would refuse
 * it and the chunk would fail for ever).
 */
import { join } from 'node:path';
import type { Type } from 'avsc';
import { describe, expect, it } from 'vitest';
import { scoreBatch, type BatchOutcome, type FeatureInput } from '../../src/serving/batch-scorer.js';
import type { ServingSnapshot } from '../../src/serving/served-models.js';
import type { ScoringModel } from '../../src/serving/scoring-model.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { MessageDecodeError } from '../../src/streaming/errors.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { frameWithSchemaId, MAGIC_BYTE } from '../../src/streaming/wire-format.js';
import type { FeatureMatrix } from '../../src/training/feature-matrix.js';
import { createSeededRandom } from '../../src/training/seeded-random.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { deploymentOf, testVectoriser } from '../helpers/scoring-models.js';

const schemas = join(import.meta.dirname, '../../schemas');
const featureType = loadSchemaFile(join(import.meta.dirname, '../../examples/fraud/schemas/feature.avsc')).type;
const scoreType = loadSchemaFile(join(schemas, 'score.avsc')).type;
const FEATURE_ID = 1;
/** A schema the registry knows that is not a features schema: the scorer must refuse to read it as one. */
const SCORE_ID = 2;
const registry = {
  schemaById: (id: number): Promise<string | undefined> =>
    Promise.resolve(id === FEATURE_ID ? JSON.stringify(featureType.schema()) : id === SCORE_ID ? JSON.stringify(scoreType.schema()) : undefined),
};

const NOW = 1_800_000_000_000;
const FIELDS = (featureType.schema() as { fields: { name: string }[] }).fields.map((field) => field.name);

/** Valid features records: the synthetic examples, with only the fields feature.avsc declares. */
const validRecords: Record<string, unknown>[] = generateSyntheticExamples({ count: 50, seed: 5, startTime: NOW - 60_000 }).map((example) => {
  const full: Record<string, unknown> = { ...example, feature_job_version: 'fuzz' };
  return Object.fromEntries(FIELDS.map((field) => [field, full[field]]));
});

type Random = () => number;
const integer = (random: Random, below: number): number => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]): T => items[integer(random, items.length)]!;
const randomBytes = (random: Random, length: number): Buffer => Buffer.from(Array.from({ length }, () => integer(random, 256)));

/** An Avro long (zig-zag varint): huge values make a string length no buffer holds. */
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

const NON_FINITE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const DOUBLE_FIELDS = FIELDS.filter((field) => typeof validRecords[0]![field] === 'number' && !/count|hour|event_time|distinct/.test(field));

/** One fuzz input, by kind: the shapes the brief names, and bit flips of valid records. */
const GENERATORS: Record<string, (random: Random) => Buffer> = {
  empty: () => Buffer.alloc(0),
  oneByte: (random) => randomBytes(random, 1),
  random: (random) => randomBytes(random, integer(random, 200)),
  magicThenRandom: (random) => Buffer.concat([Buffer.from([MAGIC_BYTE]), randomBytes(random, integer(random, 200))]),
  unknownSchemaId: (random) => frameWithSchemaId(3 + integer(random, 2 ** 31 - 3), randomBytes(random, integer(random, 100))),
  otherSchemaId: (random) => frameWithSchemaId(SCORE_ID, randomBytes(random, integer(random, 100))),
  truncated: (random) => {
    const whole = frameWithSchemaId(FEATURE_ID, featureType.toBuffer(pick(random, validRecords)));
    return whole.subarray(0, 5 + integer(random, whole.length - 5));
  },
  trailingBytes: (random) => Buffer.concat([frameWithSchemaId(FEATURE_ID, featureType.toBuffer(pick(random, validRecords))), randomBytes(random, 1 + integer(random, 20))]),
  bitFlipped: (random) => {
    const bytes = frameWithSchemaId(FEATURE_ID, featureType.toBuffer(pick(random, validRecords)));
    for (let flips = 1 + integer(random, 4); flips > 0; flips -= 1) {
      const at = 5 + integer(random, bytes.length - 5);
      bytes[at] = bytes[at]! ^ (1 << integer(random, 8));
    }
    return bytes;
  },
  hugeDeclaredLength: (random) => {
    const length = pick(random, [2n ** 31n, 2n ** 53n, 2n ** 62n, -(2n ** 40n), BigInt(1 + integer(random, 1_000_000))]);
    return Buffer.concat([frameWithSchemaId(FEATURE_ID, Buffer.alloc(0)), zigZagVarint(length), randomBytes(random, integer(random, 32))]);
  },
  nonFiniteField: (random) => {
    const record = { ...pick(random, validRecords), [pick(random, DOUBLE_FIELDS)]: pick(random, NON_FINITE) };
    return frameWithSchemaId(FEATURE_ID, featureType.toBuffer(record));
  },
  valid: (random) => frameWithSchemaId(FEATURE_ID, featureType.toBuffer(pick(random, validRecords))),
};

/** A model that refuses to see a non-finite feature, and scores each row by its first column. */
function strictModel(version: number): ScoringModel & { readonly rows: number[] } {
  const rows: number[] = [];
  return {
    model: 'fraud',
    version,
    sha256: `sha-${version}`,
    task: 'binary-classification',
    runtime: 'tfjs',
    threshold: 0.5,
    identity: FRAUD_IDENTITY,
    // The fraud example's vectoriser: the records it cannot read never reach score().
    vectoriser: testVectoriser,
    rows,
    score: (matrix: FeatureMatrix) => {
      const bad = matrix.values.findIndex((value) => !Number.isFinite(value));
      if (bad !== -1) throw new Error(`the model was given a non-finite feature at row ${Math.floor(bad / matrix.columnCount)}`);
      rows.push(matrix.rowCount);
      return Promise.resolve(Float32Array.from({ length: matrix.rowCount }, (_, row) => 1 / (1 + Math.exp(-(matrix.values[row * matrix.columnCount] ?? 0)))));
    },
    dispose: () => undefined,
  };
}

function snapshotOf(mode: 'NONE' | 'SHADOW' | 'SPLIT'): ServingSnapshot {
  const challenger = mode === 'NONE' ? undefined : strictModel(2);
  return {
    deployment: deploymentOf({ revision: 3, champion: { version: 1, sha256: 'sha-1' }, challenger: challenger && { version: 2, sha256: 'sha-2' }, challengerMode: mode, challengerShare: 0.5 }),
    champion: strictModel(1),
    challenger,
  };
}

/** Every outcome is a score the scores schema accepts, or a rejection with a reason. */
function expectAccountedFor(outcomes: readonly BatchOutcome[], inputs: readonly FeatureInput[], type: Type): void {
  expect(outcomes).toHaveLength(inputs.length);
  outcomes.forEach((outcome, index) => {
    expect(outcome, `outcome ${index}`).toBeDefined();
    if (outcome.kind === 'rejected') {
      expect(outcome.errorType).toBe('INVALID_FEATURES');
      expect(outcome.reason.length).toBeGreaterThan(10);
      return;
    }
    const problems: string[] = [];
    type.isValid(outcome.score, { errorHook: (path) => problems.push(path.join('.')) });
    expect(problems, `score of input ${index} does not fit score.avsc`).toEqual([]);
    expect(outcome.key).toBe((inputs[index]!.record as { transaction_id: string }).transaction_id);
  });
}

describe('the scorer decode path under random bytes', () => {
  const CASES_PER_KIND = 400;
  const kinds = Object.keys(GENERATORS);

  it(`decodes or refuses with a MessageDecodeError, and scores or rejects what decodes (${CASES_PER_KIND} cases per kind)`, async () => {
    const random = createSeededRandom(20_251_125);
    const decoder = createAvroDecoder(registry, { readerSchema: featureType });
    const tally: Record<string, { decoded: number; refused: Record<string, number> }> = {};
    const decodedInputs: FeatureInput[] = [];
    for (const kind of kinds) {
      tally[kind] = { decoded: 0, refused: {} };
      for (let index = 0; index < CASES_PER_KIND; index += 1) {
        const bytes = GENERATORS[kind]!(random);
        const source = { topic: 'fuzz.features', partition: 0, offset: String(index) };
        try {
          const { value } = await decoder.decode(bytes, source);
          tally[kind].decoded += 1;
          decodedInputs.push({ record: value, kafkaTimestamp: NOW - 10 });
        } catch (error) {
          if (!(error instanceof MessageDecodeError)) throw new Error(`${kind} input ${bytes.toString('hex')} threw ${String(error)}, not a MessageDecodeError`);
          expect(error.message).toContain('fuzz.features');
          expect(error.message).not.toContain('\n');
          tally[kind].refused[error.code] = (tally[kind].refused[error.code] ?? 0) + 1;
        }
      }
    }
    // Each kind fails the way it must; only bit flips and huge lengths may sometimes still decode.
    expect(tally.empty).toEqual({ decoded: 0, refused: { NOT_AVRO_WIRE_FORMAT: CASES_PER_KIND } });
    expect(tally.oneByte).toEqual({ decoded: 0, refused: { NOT_AVRO_WIRE_FORMAT: CASES_PER_KIND } });
    expect(tally.unknownSchemaId).toEqual({ decoded: 0, refused: { UNKNOWN_SCHEMA_ID: CASES_PER_KIND } });
    expect(tally.otherSchemaId).toEqual({ decoded: 0, refused: { UNDECODABLE: CASES_PER_KIND } });
    expect(tally.truncated).toEqual({ decoded: 0, refused: { UNDECODABLE: CASES_PER_KIND } });
    expect(tally.trailingBytes).toEqual({ decoded: 0, refused: { UNDECODABLE: CASES_PER_KIND } });
    expect(tally.valid).toEqual({ decoded: CASES_PER_KIND, refused: {} });
    expect(tally.nonFiniteField).toEqual({ decoded: CASES_PER_KIND, refused: {} });
    expect(tally.bitFlipped!.refused.UNDECODABLE ?? 0).toBeGreaterThan(0);

    for (const mode of ['NONE', 'SHADOW', 'SPLIT'] as const) {
      const outcomes = await scoreBatch(snapshotOf(mode), decodedInputs, () => NOW);
      expectAccountedFor(outcomes, decodedInputs, scoreType);
      // A non-finite feature is refused, naming its transaction; the valid records all score.
      const rejected = outcomes.filter((outcome) => outcome.kind === 'rejected').length;
      expect(rejected).toBeGreaterThanOrEqual(CASES_PER_KIND);
      expect(outcomes.filter((outcome) => outcome.kind === 'scored').length).toBeGreaterThanOrEqual(CASES_PER_KIND);
    }
  });

  it('refuses every record with a NaN or infinite feature, naming the field and the transaction', async () => {
    const random = createSeededRandom(7);
    const inputs: FeatureInput[] = Array.from({ length: 500 }, () => {
      const field = pick(random, DOUBLE_FIELDS);
      return { record: { ...pick(random, validRecords), [field]: pick(random, NON_FINITE) }, kafkaTimestamp: NOW };
    });
    const outcomes = await scoreBatch(snapshotOf('NONE'), inputs, () => NOW);
    outcomes.forEach((outcome, index) => {
      const record = inputs[index]!.record as Record<string, unknown>;
      const field = DOUBLE_FIELDS.find((name) => typeof record[name] === 'number' && !Number.isFinite(record[name]))!;
      expect(outcome).toMatchObject({ kind: 'rejected', errorType: 'INVALID_FEATURES' });
      expect((outcome as { reason: string }).reason).toContain(field);
      expect((outcome as { reason: string }).reason).toContain(String(record.transaction_id));
    });
  });
});

/** A random JS value of any shape a decoder (or a careless producer) could hand over. */
function randomValue(random: Random, depth = 0): unknown {
  switch (integer(random, depth > 1 ? 7 : 9)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return pick(random, [0, -1, 1.5, 2 ** 53, -(2 ** 60), ...NON_FINITE]);
    case 3:
      return pick(random, ['', 'x', '💳', '\u0000', 'a'.repeat(1000)]);
    case 4:
      return random() < 0.5;
    case 5:
      return BigInt(integer(random, 1000));
    case 6:
      return Buffer.from('bytes');
    case 7:
      return Array.from({ length: integer(random, 3) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: integer(random, 4) }, () => [pick(random, [...FIELDS, 'extra']), randomValue(random, depth + 1)]));
  }
}

/** A valid record with some fields replaced by random values, removed, or added. */
function mangledRecord(random: Random): unknown {
  const record: Record<string, unknown> = { ...pick(random, validRecords) };
  for (let changes = 1 + integer(random, 3); changes > 0; changes -= 1) {
    const field = pick(random, [...FIELDS, 'extra']);
    if (random() < 0.2) delete record[field];
    else record[field] = randomValue(random, 1);
  }
  return record;
}

describe('scoreBatch under random decoded shapes', () => {
  it('gives one outcome per input, never throws, and builds only scores the schema accepts (5,000 inputs, every mode)', async () => {
    const random = createSeededRandom(11);
    const inputs: FeatureInput[] = Array.from({ length: 5_000 }, () => ({
      record: random() < 0.3 ? randomValue(random) : random() < 0.2 ? pick(random, validRecords) : mangledRecord(random),
      kafkaTimestamp: NOW - integer(random, 1000),
    }));
    for (const mode of ['NONE', 'SHADOW', 'SPLIT'] as const) {
      const outcomes = await scoreBatch(snapshotOf(mode), inputs, () => NOW);
      expectAccountedFor(outcomes, inputs, scoreType);
      expect(outcomes.filter((outcome) => outcome.kind === 'scored').length).toBeGreaterThan(500);
    }
  });
});
