/**
 * The drift check's dependencies wired to the real Kafka, Schema Registry and registry of a
 * configuration. A model's topics are its pipeline's (the applied definition's features topic and
 * platform scores topic); a model with no applied pipeline, registered before pipelines existed,
 * falls back to the pre-pipeline features topic and the catalogue's scores.
 * Records are decoded in their writer's shape: the vectoriser and the check read fields by name,
 * and one reader schema of this build cannot fit every pipeline's records.
 */
import type { TributaryConfig } from '../config/config.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { openDeploymentLog } from '../serving/deployment-log.js';
import { loadScoringModel } from '../serving/scoring-model.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { prePipelineTopicName } from '../streaming/pre-pipeline-topics.js';
import { topicName } from '../streaming/topic-catalogue.js';
import type { DriftMeasurementDependencies } from './drift-measurement.js';

export function kafkaDriftMeasurement(config: TributaryConfig, registry: ModelRegistry, pipelines?: Pick<PipelineStore, 'current'>): DriftMeasurementDependencies {
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry));
  const definitionOf = async (model: string) => (await pipelines?.current(model))?.definition;
  return {
    registry,
    reader: createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'drift' }), { groupIdPrefix: `${config.topics.prefix}drift-read` }),
    decoders: { features: decoder, examples: decoder, scores: decoder },
    async featuresTopicOf(model) {
      const deployments = await openDeploymentLog(config);
      try {
        const deployed = (await deployments.latest(model))?.featuresTopic;
        if (deployed !== undefined) return deployed;
      } finally {
        await deployments.close();
      }
      const definition = await definitionOf(model);
      return definition === undefined ? prePipelineTopicName(config, 'features') : `${config.topics.prefix}${definition.features.topic}`;
    },
    async scoresTopicOf(model) {
      const definition = await definitionOf(model);
      return definition === undefined ? topicName(config, 'scores') : `${config.topics.prefix}${platformTopicNames(definition).scores}`;
    },
    loadModel: (model, served) => loadScoringModel(registry, model, served),
  };
}
