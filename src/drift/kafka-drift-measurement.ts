/** The drift check's dependencies wired to the real Kafka, Schema Registry and registry of a configuration. */
import type { TributaryConfig } from '../config/config.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { openDeploymentLog } from '../serving/deployment-log.js';
import { loadScoringModel } from '../serving/scoring-model.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { loadSchemaFile } from '../streaming/schema-files.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { schemaFilePath, topicDeclaration, topicName } from '../streaming/topic-catalogue.js';
import type { DriftMeasurementDependencies } from './drift-measurement.js';

export function kafkaDriftMeasurement(config: TributaryConfig, registry: ModelRegistry): DriftMeasurementDependencies {
  const schemaRegistry = createSchemaRegistryClient(config.schemaRegistry);
  // Each topic decodes into the shape this build reads, whichever compatible writer version wrote it.
  const decoderOf = (logical: string) => createAvroDecoder(schemaRegistry, { readerSchema: loadSchemaFile(schemaFilePath(topicDeclaration(logical).valueSchema)).type });
  return {
    registry,
    reader: createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'drift' }), { groupIdPrefix: `${config.topics.prefix}drift-read` }),
    decoders: { features: decoderOf('features'), examples: decoderOf('training-examples'), scores: decoderOf('scores') },
    async featuresTopicOf(model) {
      const deployments = await openDeploymentLog(config);
      try {
        return (await deployments.latest(model))?.featuresTopic ?? topicName(config, 'features');
      } finally {
        await deployments.close();
      }
    },
    scoresTopic: topicName(config, 'scores'),
    loadModel: (model, served) => loadScoringModel(registry, model, served),
  };
}
