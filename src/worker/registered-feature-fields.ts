/**
 * The features schema a model's inputs are checked against at registration and promotion: the
 * latest version registered under `<topic>-value` for the topic the model's scorers read: its
 * pipeline's `features.topic` (under the topic prefix) when the pipeline is applied, so a new
 * pipeline's first model, which no deployment names yet, is checked against its own features;
 * else its deployment's, else the pre-pipeline features topic (src/streaming/pre-pipeline-topics.ts),
 * which a model registered before pipelines existed is still scored from.
 */
import avro from 'avsc';
import type { TributaryConfig } from '../config/config.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import { reasonOf } from '../errors/tributary-error.js';
import { recordFieldsOf } from '../pipelines/avro-fields.js';
import { RegistryStorageError } from '../registry/errors.js';
import type { RegisteredFeatureFields } from '../registry/model-input-check.js';
import type { DeploymentLog } from '../serving/deployment-log.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { prePipelineTopicName } from '../streaming/pre-pipeline-topics.js';
import { valueSubject } from '../streaming/topic-catalogue.js';

export function schemaRegistryFeatureFields(config: TributaryConfig, deployments: Pick<DeploymentLog, 'latest'>, pipelines?: Pick<PipelineStore, 'current'>): RegisteredFeatureFields {
  const schemaRegistry = createSchemaRegistryClient(config.schemaRegistry);
  const featuresTopicOf = async (model: string): Promise<string> => {
    const definition = (await pipelines?.current(model))?.definition;
    if (definition !== undefined) return `${config.topics.prefix}${definition.features.topic}`;
    return (await deployments.latest(model))?.featuresTopic ?? prePipelineTopicName(config, 'features');
  };
  return {
    async featuresSchemaOf(model) {
      const topic = await featuresTopicOf(model);
      const subject = valueSubject(topic);
      const action = `reading the features schema of model ${model}`;
      const registered = await schemaRegistry.latestSchema(subject);
      if (registered === undefined) throw new RegistryStorageError(action, `no schema is registered under ${subject}; apply the model's pipeline first (\`tributary pipeline apply <file>\`), which registers its features schema`, { model });
      let fields;
      try {
        fields = recordFieldsOf(avro.Type.forSchema(JSON.parse(registered.schema) as avro.Schema), registered.schema).fields;
      } catch (error) {
        throw new RegistryStorageError(action, `${subject} version ${registered.version} is not an Avro schema avsc reads: ${reasonOf(error)}`, { model, cause: error });
      }
      if (fields === undefined) throw new RegistryStorageError(action, `${subject} version ${registered.version} is not a record schema`, { model });
      return { topic, subject, version: registered.version, fields };
    },
  };
}
