/**
 * The fraud example's definition (examples/fraud/pipeline.yaml) as the training and serving tests
 * use it: its model inputs and the features schema's fields (what the vectoriser is fitted from),
 * its example fields, synthetic examples read through them, a spec fitted on them, and a pipeline
 * store holding the definition under a test's model name.
 */
import { dirname, join } from 'node:path';
import type { TributaryConfig } from '../../src/config/config.js';
import { recordPipelineAs, revisionDraftAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { FRAUD_PIPELINE_FILE } from '../../examples/fraud/fraud-pipeline.js';
import { loadRecordFields } from '../../src/pipelines/avro-fields.js';
import type { RecordIdentity } from '../../src/registry/model-artifact.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import type { VectoriserInputs } from '../../src/training/training-data.js';
import { toTrainingExample, type ExampleFields, type TrainingExample } from '../../src/training/training-example.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';
import type { VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';
import { generateSyntheticExamples, type SyntheticExampleOptions } from './synthetic-examples.js';

export { FRAUD_PIPELINE_FILE };
export const fraudDefinition = loadPipelineDefinition(FRAUD_PIPELINE_FILE);

/** The fields of examples/fraud/schemas/feature.avsc, which the example's inputs read. */
export const FRAUD_FEATURE_FIELDS = loadRecordFields(join(dirname(FRAUD_PIPELINE_FILE), fraudDefinition.features.schema)).fields!;

export const fraudVectoriserInputs: VectoriserInputs = { inputs: fraudDefinition.model.inputs, fields: FRAUD_FEATURE_FIELDS };

export const FRAUD_EXAMPLE_FIELDS: ExampleFields = {
  eventId: fraudDefinition.features.eventId,
  eventTime: fraudDefinition.features.eventTime,
  label: fraudDefinition.labels.field,
};

/** The features record's identity fields as the example names them: what a trained artifact records for the scorer. */
export const FRAUD_IDENTITY: RecordIdentity = {
  eventId: fraudDefinition.features.eventId,
  entityKey: fraudDefinition.features.entityKey,
  eventTime: fraudDefinition.features.eventTime,
};

/** Synthetic fraud examples read as training reads them. */
export function fraudExamples(options: SyntheticExampleOptions): TrainingExample[] {
  return generateSyntheticExamples(options).map((record, index) => toTrainingExample({ ...record }, FRAUD_EXAMPLE_FIELDS, `synthetic #${index}`));
}

/** The example's vectoriser fitted on synthetic examples, as training would fit it. */
export function fraudSpec(count = 300, seed = 11): VectoriserSpec {
  return fitVectoriser(
    fraudDefinition.model.inputs,
    generateSyntheticExamples({ count, seed }).map((record) => ({ ...record })),
    FRAUD_FEATURE_FIELDS,
  );
}

/** An in-memory pipeline store where each of `models` is the fraud example's definition under that name. */
export async function fraudPipelineStore(...models: string[]): Promise<InMemoryPipelineStore> {
  const store = new InMemoryPipelineStore();
  for (const model of models) await store.record(revisionDraftAs(FRAUD_PIPELINE_FILE, model));
  return store;
}

/**
 * Applies the fraud example's definition as pipeline `model` in the Kafka pipeline store of
 * `config` (as `tributary pipeline apply` records it), so a worker on that configuration can train
 * `model`: tests that train call it before their first training run.
 */
export async function applyFraudPipeline(config: TributaryConfig, model: string): Promise<void> {
  await recordPipelineAs(config, FRAUD_PIPELINE_FILE, model);
}
