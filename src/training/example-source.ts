/**
 * Where training examples come from: a pipeline's training-examples topic, read by pinned offset
 * ranges (so a model can be rebuilt from its lineage), decoded, read as examples with the fields
 * the pipeline definition names, and split by event time.
 */
import type { AvroDecoder } from '../streaming/avro-decoder.js';
import type { OffsetRangeReader, PartitionEndOffset, PartitionRange, ReadRangeOptions, UndecodableRecord } from '../streaming/offset-range-reader.js';
import { splitByEventTime, type DatasetSplit, type SplitFractions } from './dataset-split.js';
import { TrainingError } from './errors.js';
import { toTrainingExample, type ExampleFields, type FeatureRecord, type TrainingExample } from './training-example.js';

/** The examples of some offset ranges, and what the lineage records about them. */
export interface ExampleSet {
  readonly examples: readonly TrainingExample[];
  /** Records that could not be decoded, with their offsets; never silently dropped. */
  readonly undecodable: readonly UndecodableRecord[];
  /** Registry ids of the writer schemas of the examples, ascending. */
  readonly schemaIds: readonly number[];
  /** Distinct `feature_job_version` values, sorted (records without one are not counted). */
  readonly featureJobVersions: readonly string[];
}

/** Reads training examples by offset ranges of the training-examples topics. */
export interface ExampleSource {
  /** The pre-pipeline training-examples topic (src/streaming/pre-pipeline-topics.ts), which runs started before pipelines had their own topics read. */
  readonly topic: string;
  /** Where the committed data of `topic` (full name; the pre-pipeline one when left out) ends on every partition now. */
  snapshot(topic?: string): Promise<PartitionEndOffset[]>;
  /** Throws the training layer's `ExampleFieldError` for a record whose id, event time or label cannot be read. */
  read(ranges: readonly PartitionRange[], fields: ExampleFields, options?: ReadRangeOptions): Promise<ExampleSet>;
}

/** A split dataset ready for training and evaluation. */
export interface LoadedDataset {
  readonly set: ExampleSet;
  readonly split: DatasetSplit<TrainingExample>;
}

/** Fewer examples than a training run asks for. Not retriable: the same ranges hold the same examples. */
export class InsufficientExamplesError extends TrainingError {
  override readonly name = 'InsufficientExamplesError';

  constructor(
    readonly found: number,
    readonly required: number,
    readonly undecodable: number,
  ) {
    super(
      `the offset ranges hold ${found} training examples (${undecodable} more undecodable), fewer than the ${required} required; ` +
        'wait for more labelled data or lower the minimum',
    );
  }
}

/** What a Kafka example source reads with. */
export interface KafkaExampleSourceOptions {
  /** The pre-pipeline training-examples topic. */
  readonly topic: string;
  readonly reader: OffsetRangeReader;
  /** Decodes records of every topic in their writer's shape: the platform ships no reader schema for a pipeline's examples. */
  readonly decoder: AvroDecoder;
}

/** An example source reading through `reader`. */
export function createKafkaExampleSource({ topic, reader, decoder }: KafkaExampleSourceOptions): ExampleSource {
  return {
    topic,
    snapshot: (snapshotTopic = topic) => reader.snapshotEndOffsets(snapshotTopic),
    async read(ranges, fields, options) {
      const result = await reader.readRange(ranges, (value, source) => decoder.decode(value, source), options);
      const examples = result.records.map(({ value, source }) =>
        toTrainingExample(value.value as FeatureRecord, fields, `${source.topic}[${source.partition}]@${source.offset}`),
      );
      const jobVersions = examples.map((example) => example.record.feature_job_version).filter((version): version is string => typeof version === 'string');
      return {
        examples,
        undecodable: result.undecodable,
        schemaIds: [...new Set(result.records.map((record) => record.value.schemaId))].sort((a, b) => a - b),
        featureJobVersions: [...new Set(jobVersions)].sort(),
      };
    },
  };
}

/**
 * Reads the ranges, refuses fewer than `minExamples` decodable examples with
 * {@link InsufficientExamplesError}, and splits by event time ({@link DatasetSplitError} when a
 * split would be empty, or a classifier's one-class).
 */
export async function loadDataset(
  source: ExampleSource,
  ranges: readonly PartitionRange[],
  { fields, minExamples, fractions, read }: { fields: ExampleFields; minExamples: number; fractions?: SplitFractions; read?: ReadRangeOptions },
): Promise<LoadedDataset> {
  const set = await source.read(ranges, fields, read);
  if (set.examples.length < minExamples) throw new InsufficientExamplesError(set.examples.length, minExamples, set.undecodable.length);
  return { set, split: splitByEventTime(set.examples, fractions, fields.task) };
}
