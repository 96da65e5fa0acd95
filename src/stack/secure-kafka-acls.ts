// kafkajs is CommonJS, and Node's ESM loader cannot see its ACL enums as named exports.
import kafkajs, { type Admin, type AclEntry } from 'kafkajs';
import { pipelinesTopic, pipelineStoreTransactionalIdPrefix } from '../pipeline-store/kafka-pipeline-store.js';
import { topicName, type LogicalTopicName, type TopicNaming } from '../streaming/topic-catalogue.js';

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

const reads = (principal: Role, naming: TopicNaming, topics: readonly LogicalTopicName[]): AclGrant[] =>
  topics.map((logical) => ({ principal, operation: 'READ', resource: 'TOPIC', name: topicName(naming, logical), pattern: 'LITERAL' }));
/** Offsets and metadata only, never records. */
const describes = (principal: Role, naming: TopicNaming, topics: readonly LogicalTopicName[]): AclGrant[] =>
  topics.map((logical) => ({ principal, operation: 'DESCRIBE', resource: 'TOPIC', name: topicName(naming, logical), pattern: 'LITERAL' }));
const writes = (principal: Role, naming: TopicNaming, topics: readonly LogicalTopicName[]): AclGrant[] =>
  topics.map((logical) => ({ principal, operation: 'WRITE', resource: 'TOPIC', name: topicName(naming, logical), pattern: 'LITERAL' }));
/** Joining a group and committing its offsets (also inside a transaction) need READ on the group. */
const groups = (principal: Role, prefixes: readonly string[]): AclGrant[] =>
  prefixes.map((name) => ({ principal, operation: 'READ', resource: 'GROUP', name, pattern: 'PREFIXED' }));
const transactionalIds = (principal: Role, prefixes: readonly string[]): AclGrant[] =>
  prefixes.map((name) => ({ principal, operation: 'WRITE', resource: 'TRANSACTIONAL_ID', name, pattern: 'PREFIXED' }));

/**
 * Least privilege per role, for the topics of one prefix. READ and WRITE imply DESCRIBE. The
 * group and transactional-id prefixes are the ones each role's code uses (scoring-worker.ts,
 * deployment-log.ts, kafka-registry-store.ts, kafka-pipeline-store.ts).
 */
export function secureKafkaGrants(naming: TopicNaming): AclGrant[] {
  const p = naming.topics.prefix;
  return [
    // The simulator only feeds the raw streams.
    ...writes('simulator', naming, ['transactions', 'labels']),
    // The scorer reads features, the routing table and the models it serves; it writes scores and dead letters exactly once.
    ...reads('scorer', naming, ['features', 'deployments', 'models', 'model-registry-events']),
    ...writes('scorer', naming, ['scores', 'dlq']),
    ...groups('scorer', [`${p}scorer.`, `${p}deployments-reader`, `${p}model-artifact-reader`, `${p}model-registry-reader`]),
    ...transactionalIds('scorer', [`${p}scorer.`]),
    // The Temporal worker's activities: training, the registry, rollouts and their metrics, drift.
    ...reads('trainer', naming, ['training-examples', 'features', 'labels', 'scores', 'models', 'model-registry-events', 'deployments']),
    ...writes('trainer', naming, ['models', 'model-registry-events', 'deployments']),
    // flinkDeploy's health window watches the feature job's input grow: end offsets, not records.
    ...describes('trainer', naming, ['transactions']),
    ...groups('trainer', [p]),
    ...transactionalIds('trainer', [`${p}model-registry.`, `${p}deployments.`]),
    // The pipeline store: the worker's activities read applied revisions; `tributary pipeline apply`
    // and `delete` run where the worker runs (on Kubernetes, in its pod) and write them. The scorer reads none.
    { principal: 'trainer', operation: 'READ', resource: 'TOPIC', name: pipelinesTopic(naming), pattern: 'LITERAL' },
    { principal: 'trainer', operation: 'WRITE', resource: 'TOPIC', name: pipelinesTopic(naming), pattern: 'LITERAL' },
    ...transactionalIds('trainer', [pipelineStoreTransactionalIdPrefix(naming)]),
    // The Flink feature job turns transactions and labels into features and training examples, and dead-letters what it cannot decode.
    ...reads('flink', naming, ['transactions', 'labels']),
    ...writes('flink', naming, ['features', 'training-examples', 'dlq']),
    ...groups('flink', [p]),
    ...transactionalIds('flink', [p]),
  ];
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
