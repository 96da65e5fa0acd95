// kafkajs is CommonJS, and Node's ESM loader cannot see its ACL enums as named exports.
import kafkajs, { type Admin, type AclEntry } from 'kafkajs';
import { pipelinesTopic, pipelineStoreTransactionalIdPrefix } from '../pipeline-store/kafka-pipeline-store.js';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import { topicName, type TopicNaming } from '../streaming/topic-catalogue.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** The SCRAM users of the secure broker: one per Tributary role, and the super user that administers it. */
export const SECURE_KAFKA_PRINCIPALS = ['admin', 'scorer', 'simulator', 'trainer', 'flink'] as const;
export type SecureKafkaPrincipal = (typeof SECURE_KAFKA_PRINCIPALS)[number];

/** What one grant allows: an operation on a topic, a consumer group or a transactional id (by exact name or by prefix). */
export interface AclGrant {
  readonly principal: Exclude<SecureKafkaPrincipal, 'admin'>;
  readonly operation: 'READ' | 'WRITE' | 'DESCRIBE';
  readonly resource: 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID';
  readonly name: string;
  readonly pattern: 'LITERAL' | 'PREFIXED';
}

type Role = AclGrant['principal'];

const topicGrants = (principal: Role, operation: AclGrant['operation'], topics: readonly string[]): AclGrant[] =>
  topics.map((name) => ({ principal, operation, resource: 'TOPIC', name, pattern: 'LITERAL' }));
/** Joining a group and committing its offsets (also inside a transaction) need READ on the group. */
const groups = (principal: Role, prefixes: readonly string[]): AclGrant[] =>
  prefixes.map((name) => ({ principal, operation: 'READ', resource: 'GROUP', name, pattern: 'PREFIXED' }));
const transactionalIds = (principal: Role, prefixes: readonly string[]): AclGrant[] =>
  prefixes.map((name) => ({ principal, operation: 'WRITE', resource: 'TRANSACTIONAL_ID', name, pattern: 'PREFIXED' }));

/**
 * Least privilege per role on the platform's own topics of one prefix (those of the topic
 * catalogue that no pipeline defines, and the pipeline store), with the group and transactional-id
 * prefixes each role's code uses (scoring-worker.ts, deployment-log.ts, kafka-registry-store.ts,
 * kafka-pipeline-store.ts). READ and WRITE imply DESCRIBE. A pipeline's own topics are granted by
 * {@link pipelineKafkaGrants}.
 */
export function platformKafkaGrants(naming: TopicNaming): AclGrant[] {
  const p = naming.topics.prefix;
  const platform = (logical: 'models' | 'model-registry-events' | 'deployments' | 'scores' | 'dlq'): string => topicName(naming, logical);
  const store = pipelinesTopic(naming);
  return [
    // The scorer reads the routing table, the models it serves and the pipelines' applied revisions (what each model's pipeline is);
    // it writes scores and dead letters exactly once, the catalogue's for a model without a pipeline.
    ...topicGrants('scorer', 'READ', [platform('deployments'), platform('models'), platform('model-registry-events'), store]),
    ...topicGrants('scorer', 'WRITE', [platform('scores'), platform('dlq')]),
    ...groups('scorer', [`${p}scorer.`, `${p}deployments-reader`, `${p}model-artifact-reader`, `${p}model-registry-reader`, `${p}pipeline-store-reader`]),
    ...transactionalIds('scorer', [`${p}scorer.`]),
    // The Temporal worker's activities: the registry, rollouts and their metrics, drift.
    ...topicGrants('trainer', 'READ', [platform('scores'), platform('models'), platform('model-registry-events'), platform('deployments')]),
    ...topicGrants('trainer', 'WRITE', [platform('models'), platform('model-registry-events'), platform('deployments')]),
    ...groups('trainer', [p]),
    ...transactionalIds('trainer', [`${p}model-registry.`, `${p}deployments.`]),
    // The pipeline store: the worker's activities read applied revisions; `tributary pipeline apply`
    // and `delete` run where the worker runs (on Kubernetes, in its pod) and write them.
    ...topicGrants('trainer', 'READ', [store]),
    ...topicGrants('trainer', 'WRITE', [store]),
    ...transactionalIds('trainer', [pipelineStoreTransactionalIdPrefix(naming)]),
    // The Flink feature jobs: their consumer groups and transactional ids are named after the job under the prefix.
    ...groups('flink', [p]),
    ...transactionalIds('flink', [p]),
  ];
}

/**
 * What each role may do on one applied pipeline's topics (its definition's, under the prefix):
 * the producer role ("simulator") writes the sources and labels; the feature job reads them and
 * writes features, training examples and dead letters; the scorer reads features and writes scores
 * and dead letters; the worker reads examples, features, labels and scores, and sees how far the
 * sources and dead letters go (flinkDeploy's health window, a rollout's counts) without reading one.
 */
export function pipelineKafkaGrants(naming: TopicNaming, definition: PipelineDefinition): AclGrant[] {
  const named = (topic: string): string => `${naming.topics.prefix}${topic}`;
  const platform = platformTopicNames(definition);
  const sources = definition.sources.map((source) => named(source.topic));
  const [labels, features, examples, scores, dlq] = [definition.labels.topic, definition.features.topic, platform.trainingExamples, platform.scores, platform.dlq].map(named) as [string, string, string, string, string];
  return [
    ...topicGrants('simulator', 'WRITE', [...sources, labels]),
    ...topicGrants('scorer', 'READ', [features]),
    ...topicGrants('scorer', 'WRITE', [scores, dlq]),
    ...topicGrants('trainer', 'READ', [examples, features, labels, scores]),
    ...topicGrants('trainer', 'DESCRIBE', [...sources, dlq]),
    ...topicGrants('flink', 'READ', [...sources, labels]),
    ...topicGrants('flink', 'WRITE', [features, examples, dlq]),
  ];
}

/** The platform's grants for one prefix and those of each pipeline applied under it, each grant once. */
export function secureKafkaGrants(naming: TopicNaming, pipelines: readonly PipelineDefinition[] = []): AclGrant[] {
  const grants = [...platformKafkaGrants(naming), ...pipelines.flatMap((definition) => pipelineKafkaGrants(naming, definition))];
  const key = (grant: AclGrant): string => `${grant.principal} ${grant.operation} ${grant.resource} ${grant.name} ${grant.pattern}`;
  return [...new Map(grants.map((grant) => [key(grant), grant])).values()];
}

function aclEntry(grant: AclGrant): AclEntry {
  return {
    resourceType: AclResourceTypes[grant.resource],
    resourceName: grant.name,
    resourcePatternType: ResourcePatternTypes[grant.pattern],
    principal: `User:${grant.principal}`,
    host: '*',
    operation: AclOperationTypes[grant.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Creates every grant through an admin client of the super user; creating an existing ACL is a no-op for the broker. */
export async function applySecureKafkaGrants(admin: Admin, grants: readonly AclGrant[]): Promise<void> {
  await admin.createAcls({ acl: grants.map(aclEntry) });
}
