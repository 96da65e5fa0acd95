/**
 * The fraud example's topics under a test's topic prefix, created and registered from its
 * definition (examples/fraud/pipeline.yaml) as `pipeline apply` creates and registers them, with
 * the platform's shared topics of the prefix. The platform's topic catalogue does not declare the
 * fraud topics: tests name them through {@link fraudTopic}.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Admin } from 'kafkajs';
import type { TributaryConfig } from '../../src/config/config.js';
import { pipelineTopics, platformTopicNames } from '../../src/pipelines/pipeline-topics.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { COMPATIBILITY_LEVEL } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicCatalogue, valueSubject, type TopicNaming } from '../../src/streaming/topic-catalogue.js';
import { ensurePipelineTopics } from '../../examples/fraud/demo/demo-pipeline.js';
import { FRAUD_PIPELINE_FILE } from '../../examples/fraud/fraud-pipeline.js';
import { platformTopics } from '../../src/pipeline-apply/platform-resources.js';

const definition = loadPipelineDefinition(FRAUD_PIPELINE_FILE);
const exampleDir = dirname(FRAUD_PIPELINE_FILE);

/** examples/fraud/schemas/, where the example's record schemas live. */
export const FRAUD_SCHEMA_DIRECTORY = join(exampleDir, 'schemas');

/** A topic of the fraud pipeline, by its role. */
export type FraudTopicRole = 'transactions' | 'labels' | 'features' | 'training-examples';

const UNPREFIXED: Readonly<Record<FraudTopicRole, string>> = {
  transactions: definition.sources[0]!.topic,
  labels: definition.labels.topic,
  features: definition.features.topic,
  'training-examples': platformTopicNames(definition).trainingExamples,
};

/** The Kafka name of the fraud topic of `role` under `config`'s prefix. */
export const fraudTopic = (config: TopicNaming, role: FraudTopicRole): string => `${config.topics.prefix}${UNPREFIXED[role]}`;

/** Every topic {@link prepareFraudTopics} creates: for a test's clean-up. */
export function fraudRunTopics(config: TopicNaming): string[] {
  const { prefix } = config.topics;
  return [...new Set([...pipelineTopics(definition, { prefix }), ...platformTopics({ prefix }), ...topicCatalogue(config)].map((topic) => topic.name))];
}

/**
 * Creates the fraud pipeline's topics and the platform's under `config`'s prefix and registers
 * their value schemas as `pipeline apply` does (the fraud definition names the platform's scores
 * and dlq topics, so every catalogue topic is among them), and registers the training examples'
 * schema, which the Java job would register on its first write, so that tests producing examples
 * themselves find a writer schema.
 */
export async function prepareFraudTopics(config: TributaryConfig, admin: Admin): Promise<void> {
  await ensurePipelineTopics(config, admin, FRAUD_PIPELINE_FILE);
  const registry = createSchemaRegistryClient(config.schemaRegistry);
  const subject = valueSubject(fraudTopic(config, 'training-examples'));
  if ((await registry.latestSchema(subject)) !== undefined) return;
  await registry.setCompatibilityLevel(subject, COMPATIBILITY_LEVEL);
  await registry.register(subject, readFileSync(join(FRAUD_SCHEMA_DIRECTORY, 'training-example.avsc'), 'utf8'));
}

/** The partitions the fraud topic of `role` is created with (as `pipeline apply` creates it). */
export function fraudTopicPartitions(role: FraudTopicRole): number {
  const topic = pipelineTopics(definition, { prefix: '' }).find((candidate) => candidate.name === UNPREFIXED[role]);
  if (topic === undefined) throw new RangeError(`the fraud definition creates no ${role} topic`);
  return topic.partitions;
}
