import { describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { platformKafkaGrants, pipelineKafkaGrants, secureKafkaGrants, type AclGrant } from '../../src/stack/secure-kafka-acls.js';
import { fraudDefinition } from '../helpers/fraud-pipeline.js';

const naming = { topics: { prefix: 'p.' } };
const render = (grant: AclGrant): string => `${grant.operation} ${grant.resource} ${grant.name}${grant.pattern === 'PREFIXED' ? '*' : ''}`;
const of = (grants: readonly AclGrant[], principal: AclGrant['principal']): string[] => grants.filter((grant) => grant.principal === principal).map(render);

/** A pipeline of another domain with two sources and the platform topics named after it. */
const churn = {
  ...fraudDefinition,
  name: 'churn',
  sources: [{ ...fraudDefinition.sources[0]!, topic: 'sessions' }, { ...fraudDefinition.sources[0]!, topic: 'payments' }],
  features: { ...fraudDefinition.features, topic: 'churn-features' },
  labels: { ...fraudDefinition.labels, topic: 'cancellations' },
  topics: undefined,
} as PipelineDefinition;

describe('platformKafkaGrants', () => {
  const grants = platformKafkaGrants(naming);

  it('lets the scorer read the routing table, the models and the applied pipelines, write the catalogue\'s scores and dead letters, in its own groups and transactions', () => {
    expect(of(grants, 'scorer')).toStrictEqual([
      'READ TOPIC p.deployments',
      'READ TOPIC p.models',
      'READ TOPIC p.model-registry-events',
      'READ TOPIC p.pipelines',
      'WRITE TOPIC p.scores',
      'WRITE TOPIC p.dlq',
      'READ GROUP p.scorer.*',
      'READ GROUP p.deployments-reader*',
      'READ GROUP p.model-artifact-reader*',
      'READ GROUP p.model-registry-reader*',
      'READ GROUP p.pipeline-store-reader*',
      'WRITE TRANSACTIONAL_ID p.scorer.*',
    ]);
  });

  it('never lets a role other than the trainer write the registry, the routing table or the pipeline store', () => {
    const writers = grants.filter((grant) => grant.operation === 'WRITE' && ['p.models', 'p.model-registry-events', 'p.deployments', 'p.pipelines'].includes(grant.name));
    expect(new Set(writers.map((grant) => grant.principal))).toStrictEqual(new Set(['trainer']));
    expect(of(grants, 'trainer')).toContain('WRITE TRANSACTIONAL_ID p.pipeline-store.*');
  });

  it('names no pipeline\'s topic: the producer has nothing, the feature job only its groups and transactional ids', () => {
    expect(of(grants, 'simulator')).toStrictEqual([]);
    expect(of(grants, 'flink')).toStrictEqual(['READ GROUP p.*', 'WRITE TRANSACTIONAL_ID p.*']);
  });

  it('grants nothing to admin, which is the super user', () => {
    expect(grants.some((grant) => (grant.principal as string) === 'admin')).toBe(false);
  });
});

describe('pipelineKafkaGrants', () => {
  it('gives each role the topics of a pipeline\'s definition under the prefix: sources, labels, features, and the platform topics named after it', () => {
    const grants = pipelineKafkaGrants(naming, churn);
    expect(of(grants, 'simulator')).toStrictEqual(['WRITE TOPIC p.sessions', 'WRITE TOPIC p.payments', 'WRITE TOPIC p.cancellations']);
    expect(of(grants, 'flink')).toStrictEqual([
      'READ TOPIC p.sessions',
      'READ TOPIC p.payments',
      'READ TOPIC p.cancellations',
      'WRITE TOPIC p.churn-features',
      'WRITE TOPIC p.churn.training-examples',
      'WRITE TOPIC p.churn.dlq',
    ]);
    expect(of(grants, 'scorer')).toStrictEqual(['READ TOPIC p.churn-features', 'WRITE TOPIC p.churn.scores', 'WRITE TOPIC p.churn.dlq']);
    expect(of(grants, 'trainer')).toStrictEqual([
      'READ TOPIC p.churn.training-examples',
      'READ TOPIC p.churn-features',
      'READ TOPIC p.cancellations',
      'READ TOPIC p.churn.scores',
      // flinkDeploy's health window and a rollout's dead-letter count read offsets, never records.
      'DESCRIBE TOPIC p.sessions',
      'DESCRIBE TOPIC p.payments',
      'DESCRIBE TOPIC p.churn.dlq',
    ]);
  });
});

describe('secureKafkaGrants', () => {
  it('is the platform\'s grants and each applied pipeline\'s, each once: the fraud example names the catalogue\'s scores and dlq', () => {
    const grants = secureKafkaGrants(naming, [fraudDefinition, churn]);
    expect(grants.filter((grant) => grant.principal === 'scorer' && grant.name === 'p.scores')).toHaveLength(1);
    expect(of(grants, 'simulator')).toStrictEqual(['WRITE TOPIC p.transactions', 'WRITE TOPIC p.labels', 'WRITE TOPIC p.sessions', 'WRITE TOPIC p.payments', 'WRITE TOPIC p.cancellations']);
    expect(secureKafkaGrants(naming)).toStrictEqual(platformKafkaGrants(naming));
  });
});
