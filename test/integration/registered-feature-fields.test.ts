/**
 * The features schema a model's inputs are checked against at registration and promotion, read from
 * the real Schema Registry: a pipeline's own `features.topic` (under the topic prefix) once it is
 * applied, even before any deployment names the topic; the pre-pipeline features topic otherwise.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { PipelineRevision } from '../../src/pipelines/pipeline-store.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { valueSubject } from '../../src/streaming/topic-catalogue.js';
import { schemaRegistryFeatureFields } from '../../src/worker/registered-feature-fields.js';
import { uniqueName } from '../helpers/kafka.js';
import { prePipelineTopicName } from '../../src/streaming/pre-pipeline-topics.js';

const FEATURES_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'DeliveryFeatures',
  namespace: 'dev.tributary.test',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'distance_km', type: 'double' },
  ],
});

describe('schemaRegistryFeatureFields', () => {
  const base = loadConfig();
  const config = { ...base, topics: { ...base.topics, prefix: `${uniqueName('features-check')}.` } };
  const noDeployment = { latest: async () => undefined };

  it("reads the applied pipeline's own features topic, which no deployment names yet", async () => {
    const subject = valueSubject(`${config.topics.prefix}delivery-features`);
    await createSchemaRegistryClient(config.schemaRegistry).register(subject, FEATURES_SCHEMA);
    const pipelines = {
      current: async (name: string) => (name === 'delivery-time' ? ({ definition: { features: { topic: 'delivery-features' } } } as unknown as PipelineRevision) : undefined),
    };

    const schema = await schemaRegistryFeatureFields(config, noDeployment, pipelines).featuresSchemaOf('delivery-time');
    expect(schema).toMatchObject({ subject, version: 1 });
    expect([...schema.fields.keys()]).toEqual(['order_id', 'distance_km']);

    // Without an applied pipeline the check falls back to the pre-pipeline features topic, which this prefix never registered.
    await expect(schemaRegistryFeatureFields(config, noDeployment, pipelines).featuresSchemaOf('unapplied')).rejects.toThrow(
      `no schema is registered under ${valueSubject(prePipelineTopicName(config, 'features'))}; apply the model's pipeline first`,
    );
  });
});
