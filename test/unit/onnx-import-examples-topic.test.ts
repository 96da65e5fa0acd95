/**
 * importOnnxModel reads the examples of the pipeline it imports into from that pipeline's own
 * training-examples topic (with the topic prefix), not the catalogue's: here a pipeline whose
 * definition names no topics, so its topic is `<name>.training-examples`. The fake source holds
 * too few examples, so the import stops at the dataset, before the ONNX file is opened.
 */
import { describe, expect, it } from 'vitest';
import { revisionDraftAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { importOnnxModel } from '../../src/model-import/onnx-import.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import type { PartitionRange } from '../../src/streaming/offset-range-reader.js';
import { InsufficientExamplesError, type ExampleSource } from '../../src/training/example-source.js';
import { FRAUD_PIPELINE_FILE } from '../helpers/fraud-pipeline.js';

describe('importOnnxModel', () => {
  it("snapshots and reads the pipeline's own training-examples topic", async () => {
    const pipelines = new InMemoryPipelineStore();
    const draft = revisionDraftAs(FRAUD_PIPELINE_FILE, 'churn');
    await pipelines.record({ ...draft, definition: { ...draft.definition, topics: undefined } });
    const snapshotted: (string | undefined)[] = [];
    const read: PartitionRange[][] = [];
    const examples: ExampleSource = {
      topic: 'test.training-examples',
      snapshot: async (topic) => {
        snapshotted.push(topic);
        return [{ topic: topic ?? 'test.training-examples', partition: 0, startOffset: '3', endOffset: '9' }];
      },
      read: async (ranges) => {
        read.push([...ranges]);
        return { examples: [], undecodable: [], schemaIds: [], featureJobVersions: [] };
      },
    };
    const refusing = (): never => {
      throw new Error('not reached: the import stops at the dataset');
    };
    const imported = importOnnxModel(
      { pipeline: 'churn', file: 'churn.onnx', onnx: new Uint8Array(), by: 'test' },
      {
        pipelines,
        examples,
        registry: { registerVersion: refusing, resolveAlias: refusing, loadArtifact: refusing, setStage: refusing, setAlias: refusing },
        deployments: { latest: refusing, publish: refusing },
        features: { featuresSchemaOf: refusing },
        codeVersion: 'test',
        topicPrefix: 'test.',
      },
    );
    await expect(imported).rejects.toBeInstanceOf(InsufficientExamplesError);
    expect(snapshotted).toEqual(['test.churn.training-examples']);
    expect(read).toEqual([[{ topic: 'test.churn.training-examples', partition: 0, fromOffset: '3', toOffset: '9' }]]);
  });
});
