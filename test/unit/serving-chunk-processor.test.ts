/**
 * The chunk processor alone, with fakes for the decoder, the served models, the output and the
 * back-off: how a batch is cut, what each record becomes, and what a failed chunk leads to.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ChunkProcessor, chunkFailureVerdict, chunksOf, type ChunkTarget } from '../../src/serving/chunk-processor.js';
import { NOTHING_TO_SKIP, type HandoffSkipSet } from '../../src/serving/features-handoff.js';
import { createScorerMetrics, type ScorerMetrics } from '../../src/serving/scorer-metrics.js';
import type { ChunkOutput } from '../../src/serving/scorer-output.js';
import type { ScoringModel } from '../../src/serving/scoring-model.js';
import type { ServingSnapshot } from '../../src/serving/served-models.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import { KafkaAuthorizationError, ProduceError, UndecodableError } from '../../src/streaming/errors.js';
import type { KafkaRefusal } from '../../src/streaming/kafka-refusal.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import type { FraudFeatureRecord as FeatureRecord } from '../helpers/synthetic-examples.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { deploymentOf, testVectoriser } from '../helpers/scoring-models.js';
import { recordingBackoff } from '../fakes/recording-backoff.js';

const TOPIC = 'tributary.features';
const PARTITION = 2;
/** Valid feature records, looked up by the text of a message's value. */
const records = new Map<string, FeatureRecord>(generateSyntheticExamples({ count: 8, seed: 5 }).map((record, index) => [`record-${index}`, record]));

function message(offset: number, value: string | null): KafkaMessage {
  return { key: Buffer.from(`key-${offset}`), value: value === null ? null : Buffer.from(value), timestamp: '1800000000000', attributes: 0, offset: String(offset), headers: {} };
}

/** `bad` does not decode; `registry-down` fails as an unreachable registry does (not the record's fault). */
function fakeDecoder(failRegistryTimes = 0): AvroDecoder {
  let registryFailures = 0;
  return {
    decode(value, source) {
      const text = value.toString();
      if (text === 'bad') return Promise.reject(new UndecodableError('the bytes do not decode', source));
      if (text === 'registry-down' || registryFailures < failRegistryTimes) {
        registryFailures += 1;
        return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8085'));
      }
      const record: unknown = records.get(text) ?? JSON.parse(text);
      return Promise.resolve({ value: record, schemaId: 1, writerName: 'Feature' });
    },
  };
}

/** A champion that scores every row 0.75 against a threshold of 0.5: every decision is POSITIVE. */
const champion: ScoringModel = {
  model: 'fraud',
  version: 3,
  sha256: 'a'.repeat(64),
  task: 'binary-classification',
  runtime: 'tfjs',
  threshold: 0.5,
  identity: FRAUD_IDENTITY,
  vectoriser: testVectoriser,
  score: (matrix) => Promise.resolve(new Float32Array(matrix.rowCount).fill(0.75)),
  dispose: () => undefined,
};
const snapshot: ServingSnapshot = { deployment: deploymentOf({ revision: 4, champion: { version: 3, sha256: champion.sha256 } }), champion, challenger: undefined };

interface Harness {
  readonly processor: ChunkProcessor;
  readonly metrics: ScorerMetrics;
  readonly log: string[];
  readonly waits: number[];
  readonly refusals: KafkaRefusal[];
  readonly written: ChunkOutput[];
  readonly target: ChunkTarget;
}

/** `failures`: what the output throws on its first writes, one per write. */
function harness(options: { failures?: unknown[]; decoder?: AvroDecoder; skip?: HandoffSkipSet; batchSize?: number; stopped?: boolean; served?: ServingSnapshot } = {}): Harness {
  const metrics = createScorerMetrics();
  const log: string[] = [];
  const waits: number[] = [];
  const refusals: KafkaRefusal[] = [];
  const written: ChunkOutput[] = [];
  const failures = [...(options.failures ?? [])];
  const backoff = recordingBackoff(waits, options.stopped ?? false);
  const processor = new ChunkProcessor(
    {
      decoder: options.decoder ?? fakeDecoder(),
      servedModels: { acquire: () => ({ snapshot: options.served ?? snapshot, release: () => undefined }) },
      metrics,
      log: (line) => log.push(line),
      backoff,
      refused: (refusal) => refusals.push(refusal),
    },
    options.batchSize ?? 500,
  );
  const target: ChunkTarget = {
    skip: options.skip ?? NOTHING_TO_SKIP,
    output: {
      write: (output) => {
        if (failures.length > 0) return Promise.reject(failures.shift());
        written.push(output);
        return Promise.resolve();
      },
      skip: () => Promise.resolve(),
      retain: () => Promise.resolve(),
      close: () => Promise.resolve(),
    },
  };
  return { processor, metrics, log, waits, refusals, written, target };
}

interface FakeBatch {
  readonly payload: EachBatchPayload;
  readonly resolved: string[];
  readonly heartbeats: { count: number };
}

function batchOf(messages: KafkaMessage[], lastOffset: string, highWatermark: string, state: { running?: () => boolean; stale?: () => boolean } = {}): FakeBatch {
  const resolved: string[] = [];
  const heartbeats = { count: 0 };
  const payload = {
    batch: { topic: TOPIC, partition: PARTITION, highWatermark, messages, lastOffset: () => lastOffset },
    resolveOffset: (offset: string) => resolved.push(offset),
    heartbeat: () => {
      heartbeats.count += 1;
      return Promise.resolve();
    },
    isRunning: state.running ?? (() => true),
    isStale: state.stale ?? (() => false),
  } as unknown as EachBatchPayload;
  return { payload, resolved, heartbeats };
}

async function counter(metrics: ScorerMetrics, name: 'records' | 'deadLetters' | 'decisions' | 'batchRetries'): Promise<Record<string, number>> {
  const { values } = await metrics[name].get();
  return Object.fromEntries(values.map(({ labels, value }) => [Object.values(labels).join('/') || 'all', value]));
}

const refusal = (): KafkaAuthorizationError =>
  new KafkaAuthorizationError('scorer', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', { operation: 'write to', topics: ['tributary.scores'], transactionalId: 'g.t.2' }, undefined);

describe('chunksOf', () => {
  const messages = [10, 11, 12, 13, 14].map((offset) => message(offset, 'x'));

  it('cuts 5 records into chunks of 2, 2 and 1; the last commits past the batch end (15, a transaction marker), so 16 is read next', () => {
    expect(chunksOf(messages, '15', 2).map(({ messages: chunk, lastOffset, next }) => ({ offsets: chunk.map((m) => m.offset), lastOffset, next }))).toEqual([
      { offsets: ['10', '11'], lastOffset: '11', next: '12' },
      { offsets: ['12', '13'], lastOffset: '13', next: '14' },
      { offsets: ['14'], lastOffset: '15', next: '16' },
    ]);
  });

  it('keeps a batch that fits in one chunk whole, and gives no chunk for an empty batch', () => {
    expect(chunksOf(messages, '14', 5).map(({ lastOffset, next }) => ({ lastOffset, next }))).toEqual([{ lastOffset: '14', next: '15' }]);
    expect(chunksOf([], '9', 5)).toEqual([]);
  });

  it('counts offsets beyond 2^53 exactly', () => {
    expect(chunksOf([message(1, 'x')], '9007199254740993', 5)[0]!.next).toBe('9007199254740994');
  });
});

describe('chunkFailureVerdict', () => {
  it('stops on a refusal even while the partition is owned, retries anything else while owned, leaves it to be read again otherwise', () => {
    expect(chunkFailureVerdict(refusal(), true)).toBe('refused');
    expect(chunkFailureVerdict(new ProduceError(['tributary.scores'], 'broker down', { retriable: true, cause: undefined }), true)).toBe('retry');
    expect(chunkFailureVerdict(new Error('fenced'), false)).toBe('reread');
  });
});

describe('ChunkProcessor', () => {
  it('commits each chunk with the offset after it, resolves it, heartbeats and sets the lag from the high watermark', async () => {
    const { processor, target, written, metrics } = harness({ batchSize: 2 });
    const batch = batchOf([10, 11, 12, 13, 14].map((offset, index) => message(offset, `record-${index}`)), '15', '20');
    await processor.processBatch(target, batch.payload);
    expect(written.map((output) => [output.consumed.offset, output.scores.length])).toEqual([['12', 2], ['14', 2], ['16', 1]]);
    expect(written.every((output) => output.consumed.topic === TOPIC && output.consumed.partition === PARTITION)).toBe(true);
    expect(batch.resolved).toEqual(['11', '13', '15']);
    expect(batch.heartbeats.count).toBe(3);
    // 20 (high watermark) - 16 (next offset) = 4 records behind.
    expect((await metrics.consumerLag.get()).values).toEqual([{ labels: { topic: TOPIC, partition: '2' }, value: 4 }]);
    expect(await counter(metrics, 'records')).toEqual({ scored: 5, dead_lettered: 0 });
    expect(await counter(metrics, 'decisions')).toEqual({ 'champion/POSITIVE': 5 });
  });

  it('adapts the chunk to the traffic: a lone record is scored and committed on its own, a large batch in chunks up to the batch size', async () => {
    const { processor, target, written, metrics } = harness({ batchSize: 3 });
    await processor.processBatch(target, batchOf([message(0, 'record-0')], '0', '1').payload);
    expect(written.map((output) => [output.consumed.offset, output.scores.length])).toEqual([['1', 1]]);
    await processor.processBatch(target, batchOf([1, 2, 3, 4, 5, 6, 7].map((offset) => message(offset, `record-${offset}`)), '7', '8').payload);
    expect(written.map((output) => output.scores.length)).toEqual([1, 3, 3, 1]);
    const { values } = await metrics.chunkRecords.get();
    const bucket = (le: number): number | undefined => values.find((value) => value.metricName === 'tributary_scorer_chunk_records_bucket' && value.labels.le === le)?.value;
    // Chunks of 1, 3, 3 and 1 records: two in the bucket up to 1, all four up to 5.
    expect([bucket(1), bucket(2), bucket(5)]).toEqual([2, 2, 4]);
  });

  it('counts a regression model\'s predictions under decision NONE, with no threshold or decision in the score', async () => {
    const regression: ScoringModel = { ...champion, task: 'regression', score: (matrix) => Promise.resolve(new Float32Array(matrix.rowCount).fill(42.5)) };
    const { processor, target, written, metrics } = harness({ served: { ...snapshot, champion: regression } });
    await processor.processBatch(target, batchOf([message(0, 'record-0'), message(1, 'record-1')], '1', '2').payload);
    expect(written[0]!.scores.map((score) => score.value)).toMatchObject([
      { prediction: 42.5, threshold: null, decision: null },
      { prediction: 42.5, threshold: null, decision: null },
    ]);
    expect(await counter(metrics, 'decisions')).toEqual({ 'champion/NONE': 2 });
  });

  it('dead-letters a tombstone, bytes that do not decode and invalid features, skips what the handoff scored, and scores the rest', async () => {
    const skipped = records.get('record-1')!;
    const { processor, target, written, metrics, log } = harness({ skip: { previousTopic: 'tributary.features.v1', eventIds: new Set([skipped.transaction_id]) } });
    const noCardHash = Object.fromEntries(Object.entries(records.get('record-2')!).filter(([field]) => field !== 'card_hash'));
    const batch = batchOf([message(0, null), message(1, 'bad'), message(2, 'record-1'), message(3, JSON.stringify(noCardHash)), message(4, 'record-0')], '4', '5');
    await processor.processBatch(target, batch.payload);
    const [output] = written;
    expect(output!.scores.map((score) => score.key)).toEqual([records.get('record-0')!.transaction_id]);
    expect(output!.scores[0]!.value).toMatchObject({ prediction: 0.75, threshold: 0.5, decision: 'POSITIVE', model_version: 3, deployment_revision: 4, variant: 'CHAMPION' });
    // Decode failures are found while decoding, invalid features once the chunk is scored.
    expect(output!.deadLetters.map((letter) => [letter.key, (letter.value as { error_type: string }).error_type])).toEqual([
      [`${TOPIC}:2:0`, 'NULL_VALUE'],
      [`${TOPIC}:2:1`, 'UNDECODABLE'],
      [`${TOPIC}:2:3`, 'INVALID_FEATURES'],
    ]);
    expect(await counter(metrics, 'records')).toEqual({ scored: 1, dead_lettered: 3, skipped: 1 });
    expect(await counter(metrics, 'deadLetters')).toEqual({ NULL_VALUE: 1, UNDECODABLE: 1, INVALID_FEATURES: 1 });
    expect(log).toEqual([`skipped 1 records of ${TOPIC} partition 2 already scored from tributary.features.v1`]);
  });

  it('tries a chunk the output failed again after 200 then 400 ms, and resolves it once committed on the third attempt', async () => {
    const down = (): ProduceError => new ProduceError(['tributary.scores'], 'the broker is not reachable', { retriable: true, cause: undefined });
    const { processor, target, written, metrics, log, waits } = harness({ failures: [down(), down()] });
    const batch = batchOf([message(7, 'record-0'), message(8, 'record-1')], '8', '9');
    await processor.processBatch(target, batch.payload);
    expect(waits).toEqual([200, 400]);
    expect(log).toEqual([
      `chunk of 2 records at ${TOPIC} partition 2 offsets 7..8 failed (attempt 1): producing to tributary.scores failed: the broker is not reachable; trying again in 200 ms`,
      `chunk of 2 records at ${TOPIC} partition 2 offsets 7..8 failed (attempt 2): producing to tributary.scores failed: the broker is not reachable; trying again in 400 ms`,
      `chunk of 2 records at ${TOPIC} partition 2 offsets 7..8 committed on attempt 3`,
    ]);
    expect(written).toHaveLength(1);
    expect(batch.resolved).toEqual(['8']);
    // One heartbeat after each of the 2 waits, one after the commit.
    expect(batch.heartbeats.count).toBe(3);
    expect(await counter(metrics, 'batchRetries')).toEqual({ all: 2 });
    expect(await counter(metrics, 'records')).toEqual({ scored: 2, dead_lettered: 0 });
  });

  it('tries the whole chunk again when the registry cannot be reached, instead of dead-lettering its records', async () => {
    const { processor, target, written, waits } = harness({ decoder: fakeDecoder(1) });
    const batch = batchOf([message(0, 'record-0')], '0', '1');
    await processor.processBatch(target, batch.payload);
    expect(waits).toEqual([200]);
    expect(written.map((output) => [output.scores.length, output.deadLetters.length])).toEqual([[1, 0]]);
  });

  it('on a refusal, tells the worker and stops the batch: nothing resolved, no retry, later chunks not tried', async () => {
    const refused = refusal();
    const { processor, target, written, refusals, waits, log } = harness({ failures: [refused], batchSize: 1 });
    const batch = batchOf([message(0, 'record-0'), message(1, 'record-1')], '1', '2');
    await processor.processBatch(target, batch.payload);
    expect(refusals).toEqual([refused]);
    expect(waits).toEqual([]);
    expect(written).toEqual([]);
    expect(batch.resolved).toEqual([]);
    expect(log).toEqual([`chunk at ${TOPIC} partition 2 offsets 0..0 not committed: the broker refused it`]);
  });

  it('leaves a failed chunk to be read again when the partition was lost meanwhile', async () => {
    const { processor, target, waits, log } = harness({ failures: [new Error('fenced')] });
    let asked = 0;
    // Asked before the chunk starts (still owned), then after it failed (lost meanwhile).
    const batch = batchOf([message(5, 'record-0')], '5', '6', { stale: () => (asked += 1) > 1 });
    await processor.processBatch(target, batch.payload);
    expect(waits).toEqual([]);
    expect(batch.resolved).toEqual([]);
    expect(log).toEqual([`chunk at ${TOPIC} partition 2 offsets 5..5 not committed (fenced); the partition is read again from its committed offset`]);
  });

  it('leaves a failed chunk to be read again when the worker is stopping', async () => {
    const { processor, target, waits, log } = harness({ failures: [new Error('fenced')], stopped: true });
    const batch = batchOf([message(5, 'record-0')], '5', '6');
    await processor.processBatch(target, batch.payload);
    expect(waits).toEqual([]);
    expect(batch.resolved).toEqual([]);
    expect(log).toEqual([`chunk at ${TOPIC} partition 2 offsets 5..5 not committed (fenced); the partition is read again from its committed offset`]);
  });

  it('does not start a chunk once the consumer stops running', async () => {
    const { processor, target, written } = harness();
    const batch = batchOf([message(0, 'record-0')], '0', '1', { running: () => false });
    await processor.processBatch(target, batch.payload);
    expect(written).toEqual([]);
    expect(batch.resolved).toEqual([]);
  });
});
