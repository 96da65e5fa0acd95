/**
 * Activities that look at a pipeline's training-examples topic without training: where its
 * committed data ends, and how many examples (and positive labels) a range holds. The threshold trigger polls
 * the first and confirms with the second before it starts a training run.
 */
import { Context } from '@temporalio/activity';
import type { PartitionEndOffset, PartitionRange } from '../streaming/offset-range-reader.js';
import { splitByEventTime, type SplitFractions } from '../training/dataset-split.js';
import { DatasetSplitError, type SplitCounts } from '../training/errors.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import type { ExampleSource } from '../training/example-source.js';
import { pipelineTrainingInputs } from '../training/pipeline-training-inputs.js';
import { reportingFailures } from './application-failure.js';

/** What a range of the training-examples topic holds. */
export interface ExampleCount {
  readonly examples: number;
  /** A classifier's examples with a positive label; 0 for a regression, whose labels are values. */
  readonly positives: number;
  /** Records in the range that could not be decoded (counted, not examples). */
  readonly undecodable: number;
  /** When asked with split fractions: the test split a training on exactly these ranges would cut. */
  readonly testSplit?: SplitCounts;
  /**
   * The split the pipeline's applied definition asks for (`model.split`, else the default): what a
   * training started now cuts unless its own settings name one. Absent from counts recorded by
   * workers before it was reported.
   */
  readonly definitionSplit?: SplitFractions;
  /**
   * The applied definition's `model.task`: the trigger skips its positive-label rules for a
   * regression. Absent from counts recorded by workers before it was reported.
   */
  readonly task?: ModelTask;
}

export interface ExampleActivityDependencies {
  readonly examples: ExampleSource;
  /** Where the pipelines' applied definitions say which fields hold the label and the event time. */
  readonly pipelines: Pick<PipelineStore, 'current'>;
  /** Bound on one read of a range. @default 300_000 */
  readonly readTimeoutMs?: number;
  /** Put before the topic names a definition gives, as `pipeline apply` creates them. */
  readonly topicPrefix: string;
}

/** Creates the activities; the worker passes the Kafka-backed example source, tests a fake. */
export function createExampleActivities({ examples, pipelines, readTimeoutMs = 300_000, topicPrefix }: ExampleActivityDependencies) {
  return {
    /**
     * Every partition's log start and last stable offset of pipeline `model`'s training-examples
     * topic (its applied definition's `topics.trainingExamples`, by default `<name>.training-examples`);
     * of the catalogue's without a model, as runs started before pipelines had their own asked.
     */
    snapshotTrainingExampleOffsets: reportingFailures(async (model?: string): Promise<PartitionEndOffset[]> => {
      if (model === undefined) return examples.snapshot();
      const { examplesTopic } = await pipelineTrainingInputs(pipelines, model);
      return examples.snapshot(`${topicPrefix}${examplesTopic}`);
    }),

    /**
     * Reads exactly `ranges` and counts examples and positive labels of pipeline `model` (its
     * definition names the label field); with `split`, also those of the test split the training
     * pipeline would cut from them. Reports the split and the task the definition asks for, so the
     * trigger judges a window by the split its training will cut, and a regression by its examples
     * alone. Heartbeats its progress.
     */
    countTrainingExamples: reportingFailures(async (ranges: readonly PartitionRange[], split: SplitFractions | undefined, model: string): Promise<ExampleCount> => {
      const context = Context.current();
      const { examples: fields, settings } = await pipelineTrainingInputs(pipelines, model);
      const set = await examples.read(ranges, fields, {
        timeoutMs: readTimeoutMs,
        signal: context.cancellationSignal,
        onProgress: (progress) => context.heartbeat(progress),
      });
      const { task } = settings;
      const count = {
        examples: set.examples.length,
        positives: task === 'regression' ? 0 : set.examples.filter((example) => example.label === 1).length,
        undecodable: set.undecodable.length,
        definitionSplit: settings.splitFractions,
        task,
      };
      return split === undefined || set.examples.length === 0 ? count : { ...count, testSplit: testSplitOf(set.examples, split) };
    }),
  };
}

/** The counts of the pipeline's own test split, also when the split would refuse (a class missing). */
function testSplitOf(examples: Parameters<typeof splitByEventTime>[0], split: SplitFractions): SplitCounts {
  try {
    return splitByEventTime(examples, split).counts.test;
  } catch (error) {
    if (error instanceof DatasetSplitError) return error.counts.test;
    throw error;
  }
}

/** The activities as the workflows see them (import this type only). */
export type ExampleActivities = ReturnType<typeof createExampleActivities>;
