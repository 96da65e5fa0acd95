/**
 * One drift check of a model, against Kafka and the registry: the champion's reference (a sample
 * of the training examples its lineage pins), the newest records of the model's features topic,
 * the champion's predictions of the reference rows and its newest live predictions on its
 * pipeline's scores topic (the generic score record: a probability or a regression value alike).
 */
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ServedModel } from '../serving/model-deployment.js';
import type { ScoringModel } from '../serving/scoring-model.js';
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionRange, RangeReadProgress } from '../streaming/offset-range-reader.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';
import type { CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
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
  /** Decoders of the features, examples and scores records. */
  readonly decoders: { readonly features: AvroDecoder; readonly examples: AvroDecoder; readonly scores: AvroDecoder };
  /** The topic the model's scorers read now (its deployment's), or its pipeline's features topic. */
  featuresTopicOf(model: string): Promise<string>;
  /** The topic the model's scores are written to: its pipeline's. */
  scoresTopicOf(model: string): Promise<string>;
  loadModel(model: string, served: ServedModel): Promise<ScoringModel>;
}

export interface MeasureOptions extends DriftSampleSizes {
  /** Bound on each topic read. @default 120_000 */
  readonly readTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (step: string, progress?: RangeReadProgress) => void;
}

/** The fields of a `scores` record (schemas/score.avsc) a drift check reads. */
interface ScoreRecord {
  readonly model: string;
  readonly model_version: number;
  readonly variant: 'CHAMPION' | 'CHALLENGER';
  readonly prediction: number;
}

/**
 * Records through the champion's vectoriser; a record it cannot read is left out (the scorer
 * dead-letters the same records, so they are not part of what the champion sees).
 */
function vectorise(vectoriser: CompiledVectoriser, records: readonly unknown[]): FeatureMatrix {
  const batch = vectoriser.vectoriseBatch(records);
  return { rowCount: batch.rowCount, columnCount: vectoriser.width, values: batch.values };
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

  options.onProgress?.(`loading champion v${champion.version}`);
  // Its vectoriser makes the columns compared: the ones the champion reads, fitted as it was trained.
  const scorer = await dependencies.loadModel(model, { version: champion.version, sha256: champion.artifact.sha256 });
  try {
    const reference = vectorise(scorer.vectoriser, await read<unknown>('reading the reference', referenceRanges, decoders.examples));
    const featuresTopic = await dependencies.featuresTopicOf(model);
    const liveRanges = newestRanges(await reader.snapshotEndOffsets(featuresTopic), liveCount);
    const live = vectorise(scorer.vectoriser, await read<unknown>(`reading the newest records of ${featuresTopic}`, liveRanges, decoders.features));
    if (reference.rowCount === 0) return { kind: 'skipped', reason: `no usable training example in the sampled reference of champion v${champion.version}` };
    if (live.rowCount === 0) return { kind: 'skipped', reason: `${featuresTopic} holds no usable feature record yet` };

    const scoresTopic = await dependencies.scoresTopicOf(model);
    const scoreRanges = newestRanges(await reader.snapshotEndOffsets(scoresTopic), liveCount);
    const liveScores = (await read<ScoreRecord>(`reading the newest records of ${scoresTopic}`, scoreRanges, decoders.scores))
      // A record written before the generic score record has no prediction: it is not the champion's figure.
      .filter((score) => score.model === model && score.model_version === champion.version && score.variant === 'CHAMPION' && typeof score.prediction === 'number')
      .map((score) => score.prediction);

    options.onProgress?.(`scoring the reference with champion v${champion.version}`);
    const referenceScores = await scorer.score(reference);
    return {
      kind: 'measured',
      figures: computeDriftFigures({ championVersion: champion.version, columns: scorer.vectoriser.columnNames, reference, live, referenceScores, liveScores }),
    };
  } finally {
    scorer.dispose();
  }
}
