/**
 * One drift check of a model, against Kafka and the registry: the champion's reference (a sample
 * of the training examples its lineage pins), the newest records of the model's features topic,
 * the champion's scores of the reference rows and its newest live scores on the scores topic.
 */
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ScoreValue } from '../serving/batch-scorer.js';
import type { ServedModel } from '../serving/model-deployment.js';
import type { ScoringModel } from '../serving/scoring-model.js';
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange, RangeReadProgress } from '../streaming/offset-range-reader.js';
import { FeatureValueError } from '../training/errors.js';
import { FEATURE_VECTOR_VERSION, FEATURE_VECTOR_WIDTH, toFeatureVector, type FeatureMatrix } from '../training/feature-vector.js';
import type { FeatureRecord } from '../training/training-example.js';
import { computeDriftFigures, type DriftFigures } from './drift-figures.js';
import { newestRanges, sampleOfRanges } from './sample-ranges.js';

export interface DriftSampleSizes {
  /** Newest feature records (and newest score records) compared. @default 2000 */
  readonly liveRecords?: number;
  /** Training examples of the champion's lineage used as the reference. @default 5000 */
  readonly referenceRecords?: number;
}

/** A check's outcome: figures, or why there are none (nothing to compare yet). */
export type DriftMeasurement = { readonly kind: 'measured'; readonly figures: DriftFigures } | { readonly kind: 'skipped'; readonly reason: string };

export interface DriftMeasurementDependencies {
  readonly registry: Pick<ModelRegistry, 'resolveAlias' | 'getVersion' | 'loadArtifact'>;
  readonly reader: OffsetRangeReader;
  /** Decoders into feature.avsc's, training-example.avsc's and score.avsc's shapes. */
  readonly decoders: { readonly features: AvroDecoder; readonly examples: AvroDecoder; readonly scores: AvroDecoder };
  /** The topic the model's scorers read now (its deployment's), or the default features topic. */
  featuresTopicOf(model: string): Promise<string>;
  readonly scoresTopic: string;
  loadModel(model: string, served: ServedModel): Promise<ScoringModel>;
}

export interface MeasureOptions extends DriftSampleSizes {
  /** Bound on each topic read. @default 120_000 */
  readonly readTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (step: string, progress?: RangeReadProgress) => void;
}

/** Feature records become a matrix; a record that cannot be vectorised is left out and counted. */
function vectorise(records: readonly FeatureRecord[]): { matrix: FeatureMatrix; invalid: number } {
  const values = new Float32Array(records.length * FEATURE_VECTOR_WIDTH);
  let rows = 0;
  for (const record of records) {
    try {
      values.set(toFeatureVector(record), rows * FEATURE_VECTOR_WIDTH);
      rows += 1;
    } catch (error) {
      if (!(error instanceof FeatureValueError)) throw error;
    }
  }
  return {
    matrix: { featureVectorVersion: FEATURE_VECTOR_VERSION, rowCount: rows, columnCount: FEATURE_VECTOR_WIDTH, values: values.subarray(0, rows * FEATURE_VECTOR_WIDTH) },
    invalid: records.length - rows,
  };
}

/** Measures drift of `model`'s champion; see the module comment. */
export async function measureDrift(dependencies: DriftMeasurementDependencies, model: string, options: MeasureOptions = {}): Promise<DriftMeasurement> {
  const { registry, reader, decoders } = dependencies;
  const liveCount = options.liveRecords ?? 2000;
  const referenceCount = options.referenceRecords ?? 5000;
  const read = async <Value>(step: string, ranges: readonly PartitionRange[], decoder: AvroDecoder): Promise<Value[]> => {
    options.onProgress?.(step);
    const result = await reader.readRange(ranges, (value, source) => decoder.decode(value, source), {
      timeoutMs: options.readTimeoutMs ?? 120_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: (progress) => options.onProgress?.(step, progress),
    });
    return result.records.map((record) => record.value.value as Value);
  };

  const champion = await registry.resolveAlias(model, 'champion');
  if (champion === undefined) return { kind: 'skipped', reason: `model ${model} has no champion yet` };
  const referenceRanges = sampleOfRanges(champion.lineage.offsetRanges, referenceCount);
  if (referenceRanges.length === 0) return { kind: 'skipped', reason: `champion v${champion.version} of ${model} records no training offset ranges to compare with` };
  const reference = vectorise(await read<FeatureRecord>('reading the reference', referenceRanges, decoders.examples)).matrix;

  const featuresTopic = await dependencies.featuresTopicOf(model);
  const liveRanges = newestRanges(await reader.snapshotEndOffsets(featuresTopic), liveCount);
  const live = vectorise(await read<FeatureRecord>(`reading the newest records of ${featuresTopic}`, liveRanges, decoders.features)).matrix;
  if (reference.rowCount === 0) return { kind: 'skipped', reason: `no usable training example in the sampled reference of champion v${champion.version}` };
  if (live.rowCount === 0) return { kind: 'skipped', reason: `${featuresTopic} holds no usable feature record yet` };

  const scoreRanges = newestRanges(await reader.snapshotEndOffsets(dependencies.scoresTopic), liveCount);
  const liveScores = (await read<ScoreValue>(`reading the newest records of ${dependencies.scoresTopic}`, scoreRanges, decoders.scores))
    .filter((score) => score.model === model && score.model_version === champion.version && score.variant === 'CHAMPION')
    .map((score) => score.score);

  options.onProgress?.(`scoring the reference with champion v${champion.version}`);
  const scorer = await dependencies.loadModel(model, { version: champion.version, sha256: champion.artifact.sha256 });
  let referenceScores: Float32Array;
  try {
    referenceScores = await scorer.score(reference);
  } finally {
    scorer.dispose();
  }
  return { kind: 'measured', figures: computeDriftFigures({ championVersion: champion.version, reference, live, referenceScores, liveScores }) };
}
