import { describe, expect, it } from 'vitest';
import { secureKafkaGrants, type AclGrant } from '../../src/stack/secure-kafka-acls.js';

const grants = secureKafkaGrants({ topics: { prefix: 'p.' } });
const of = (principal: AclGrant['principal']): string[] =>
  grants.filter((grant) => grant.principal === principal).map((grant) => `${grant.operation} ${grant.resource} ${grant.name}${grant.pattern === 'PREFIXED' ? '*' : ''}`);

describe('secureKafkaGrants', () => {
  it('lets the simulator write transactions and labels and nothing else', () => {
    expect(of('simulator')).toStrictEqual(['WRITE TOPIC p.transactions', 'WRITE TOPIC p.labels']);
  });

  it('lets the scorer read features and what it serves, write scores and dead letters, in its own groups and transactions', () => {
    expect(of('scorer')).toStrictEqual([
      'READ TOPIC p.features',
      'READ TOPIC p.deployments',
      'READ TOPIC p.models',
      'READ TOPIC p.model-registry-events',
      'WRITE TOPIC p.scores',
      'WRITE TOPIC p.dlq',
      'READ GROUP p.scorer.*',
      'READ GROUP p.deployments-reader*',
      'READ GROUP p.model-artifact-reader*',
      'READ GROUP p.model-registry-reader*',
      'WRITE TRANSACTIONAL_ID p.scorer.*',
    ]);
  });

  it('never lets a role other than the trainer write the registry or the routing table', () => {
    const writers = grants.filter((grant) => grant.operation === 'WRITE' && ['p.models', 'p.model-registry-events', 'p.deployments'].includes(grant.name));
    expect(new Set(writers.map((grant) => grant.principal))).toStrictEqual(new Set(['trainer']));
  });

  it('lets the feature job read the raw streams and write features, training examples and dead letters', () => {
    expect(of('flink').filter((grant) => grant.includes(' TOPIC '))).toStrictEqual([
      'READ TOPIC p.transactions',
      'READ TOPIC p.labels',
      'WRITE TOPIC p.features',
      'WRITE TOPIC p.training-examples',
      'WRITE TOPIC p.dlq',
    ]);
  });

  it('lets the trainer see how far the raw transactions go (flinkDeploy\'s health window) without reading one', () => {
    expect(of('trainer').filter((grant) => grant.endsWith('p.transactions'))).toStrictEqual(['DESCRIBE TOPIC p.transactions']);
  });

  it('lets only the trainer read and write the pipeline store (the worker reads revisions; apply runs from its pod), in transactions of its own', () => {
    expect(grants.filter((grant) => grant.name === 'p.pipelines').map((grant) => `${grant.principal} ${grant.operation}`)).toStrictEqual(['trainer READ', 'trainer WRITE']);
    expect(of('trainer')).toContain('WRITE TRANSACTIONAL_ID p.pipeline-store.*');
    expect(of('scorer').some((grant) => grant.includes('pipeline'))).toBe(false);
  });

  it('grants nothing to admin, which is the super user', () => {
    expect(grants.some((grant) => (grant.principal as string) === 'admin')).toBe(false);
  });
});
