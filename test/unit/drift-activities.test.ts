/**
 * The measureDrift activity over in-memory topics: which offsets it reads, that only the
 * champion's own live scores count, the skip reasons, its heartbeats, and the gauges it records
 * on the activity's metric meter.
 */
import type { MetricGauge, MetricMeter, MetricTags } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDriftActivities } from '../../src/activities/drift-activities.js';
import type { DriftMeasurement, DriftMeasurementDependencies } from '../../src/drift/drift-measurement.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { serialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { ScoreValue } from '../../src/serving/batch-scorer.js';
import { loadScoringModel } from '../../src/serving/scoring-model.js';
import type { AvroDecoder } from '../../src/streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange } from '../../src/streaming/offset-range-reader.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';

const MODEL = 'drift-unit';
const EXAMPLES = 'tributary.training-examples';
const FEATURES = 'tributary.features';
const SCORES = 'tributary.scores';

/** One-partition topics whose record at offset i is values[i]. */
function memoryReader(topics: Record<string, readonly unknown[]>, reads: PartitionRange[][]): OffsetRangeReader {
  return {
    snapshotEndOffsets: async (topic) => [{ topic, partition: 0, startOffset: '0', endOffset: String(topics[topic]?.length ?? 0) }],
    async readRange(ranges, decode) {
      reads.push([...ranges]);
      const records = [];
      for (const range of ranges) {
        for (let offset = Number(range.fromOffset); offset < Number(range.toOffset); offset += 1) {
          const source = { topic: range.topic, partition: range.partition, offset: String(offset) };
          records.push({ value: await decode(Buffer.from(JSON.stringify(topics[range.topic]![offset])), source), source });
        }
      }
      return { records, undecodable: [] };
    },
  };
}
const jsonDecoder: AvroDecoder = { decode: async (value) => ({ schemaId: 1, value: JSON.parse(value.toString()) as unknown }) };

/** A meter that keeps the last value of each gauge per model and column (the activity context adds its own tags too). */
function recordingMeter(values: Map<string, number>): MetricMeter {
  const gauge = (name: string): MetricGauge => ({
    name,
    valueType: 'float',
    kind: 'gauge',
    set: (value: number, tags: MetricTags = {}) => values.set([name, tags.model, tags.column].filter((part) => part !== undefined).join(' '), value),
    withTags: () => gauge(name),
  });
  const meter: MetricMeter = {
    createGauge: gauge,
    createCounter: () => {
      throw new Error('no counters expected');
    },
    createHistogram: () => {
      throw new Error('no histograms expected');
    },
    withTags: () => meter,
  };
  return meter;
}

const score = (model: string, version: number, variant: ScoreValue['variant'], value: number): Partial<ScoreValue> => ({ model, model_version: version, variant, prediction: value });

let registry: InMemoryModelRegistry;
beforeAll(async () => {
  await useCpuBackend();
  registry = new InMemoryModelRegistry();
  const network = testNetwork(3);
  const { bytes } = await serialiseModelArtifact({ model: network, vectoriser: testSpec, task: 'binary-classification', identity: FRAUD_IDENTITY, threshold: 0.5, metadata: { model: MODEL, trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'test' } });
  network.dispose();
  const lineage = {
    offsetRanges: [{ topic: EXAMPLES, partition: 0, fromOffset: '0', toOffset: '400' }],
    featureSchemaId: 1,
    featureJobVersions: ['synthetic'],
    codeVersion: 'test',
    featureVectorVersion: VECTORISER_LAYOUT_VERSION,
    hyperParameters: {},
    backend: 'cpu',
    splitBoundaries: {},
    trainedBy: 'test',
  };
  const version = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, lineage, artifact: bytes }, { by: 'test', reason: 'test' });
  await registry.setStage(MODEL, version.version, 'champion', { by: 'test', reason: 'test' });
  await registry.setAlias(MODEL, 'champion', version.version, { by: 'test', reason: 'test' });
});

function dependencies(topics: Record<string, readonly unknown[]>, reads: PartitionRange[][]): DriftMeasurementDependencies {
  return {
    registry,
    reader: memoryReader(topics, reads),
    decoders: { features: jsonDecoder, examples: jsonDecoder, scores: jsonDecoder },
    featuresTopicOf: async () => FEATURES,
    scoresTopicOf: async () => SCORES,
    loadModel: (model, served) => loadScoringModel(registry, model, served),
  };
}

describe('measureDrift activity', () => {
  it('reads a reference sample and the newest records, counts only the champion version 1 scores, heartbeats and records gauges', async () => {
    const reads: PartitionRange[][] = [];
    const topics = {
      [EXAMPLES]: generateSyntheticExamples({ count: 400, seed: 1 }),
      [FEATURES]: generateSyntheticExamples({ count: 300, seed: 2 }).map((example) => ({ ...example, amount: example.amount * 50 })),
      [SCORES]: [
        ...Array.from({ length: 40 }, (_, i) => score(MODEL, 1, 'CHAMPION', i / 40)),
        score(MODEL, 1, 'CHALLENGER', 0.9),
        score(MODEL, 2, 'CHAMPION', 0.9),
        score('other-model', 1, 'CHAMPION', 0.9),
      ],
    };
    const gauges = new Map<string, number>();
    const environment = new MockActivityEnvironment(undefined, { metricMeter: recordingMeter(gauges) });
    const steps: string[] = [];
    environment.on('heartbeat', (details: { step: string }) => {
      if (steps.at(-1) !== details.step) steps.push(details.step);
    });
    const activities = createDriftActivities({ measurement: dependencies(topics, reads), client: () => undefined as never });

    const result: DriftMeasurement = await environment.run(activities.measureDrift, MODEL, { liveRecords: 100, referenceRecords: 200 });

    expect(reads).toEqual([
      [{ topic: EXAMPLES, partition: 0, fromOffset: '200', toOffset: '400' }],
      [{ topic: FEATURES, partition: 0, fromOffset: '200', toOffset: '300' }],
      [{ topic: SCORES, partition: 0, fromOffset: '0', toOffset: '43' }],
    ]);
    expect(steps).toEqual([
      'loading champion v1',
      'reading the reference',
      `reading the newest records of ${FEATURES}`,
      `reading the newest records of ${SCORES}`,
      'scoring the reference with champion v1',
    ]);
    expect(result.kind).toBe('measured');
    if (result.kind !== 'measured') return;
    expect(result.figures).toMatchObject({ championVersion: 1, referenceRecords: 200, liveRecords: 100, maxFeature: { column: 'amount:log1p' } });
    expect(result.figures.score?.liveScores).toBe(40);
    expect(gauges.get(`tributary_drift_max_feature_psi ${MODEL}`)).toBe(result.figures.maxFeature.psi);
    expect(gauges.get(`tributary_drift_feature_psi ${MODEL} amount:log1p`)).toBe(result.figures.maxFeature.psi);
    expect(gauges.get(`tributary_drift_score_psi ${MODEL}`)).toBe(result.figures.score?.psi);
    expect(gauges.get(`tributary_drift_score_ks_statistic ${MODEL}`)).toBe(result.figures.score?.ksStatistic);
  });

  it('skips without live feature records, and without a champion, saying why', async () => {
    const activities = createDriftActivities({ measurement: dependencies({ [EXAMPLES]: generateSyntheticExamples({ count: 400, seed: 1 }), [FEATURES]: [], [SCORES]: [] }, []), client: () => undefined as never });
    expect(await new MockActivityEnvironment().run(activities.measureDrift, MODEL, {})).toEqual({ kind: 'skipped', reason: `${FEATURES} holds no usable feature record yet` });
    expect(await new MockActivityEnvironment().run(activities.measureDrift, 'no-such-model', {})).toEqual({ kind: 'skipped', reason: 'model no-such-model has no champion yet' });
  });
});
