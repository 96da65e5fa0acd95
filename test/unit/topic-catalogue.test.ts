import { describe, expect, it } from 'vitest';
import { StreamingError, UnknownTopicError } from '../../src/streaming/errors.js';
import { catalogueSchemaFiles } from '../../src/streaming/schema-files.js';
import { LOGICAL_TOPIC_NAMES, topicCatalogue, topicDeclaration, topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';

const config = { topics: { prefix: 'acme.' } };
const DAY_MS = 86_400_000;

describe('topic catalogue', () => {
  it("declares the platform's five topics once each, named with the configured prefix, and no pipeline's", () => {
    const catalogue = topicCatalogue(config);
    expect(catalogue.map((topic) => topic.name)).toEqual([
      'acme.scores',
      'acme.models',
      'acme.model-registry-events',
      'acme.deployments',
      'acme.dlq',
    ]);
    expect(catalogue.map((topic) => topic.logical)).toEqual([...LOGICAL_TOPIC_NAMES]);
  });

  it('declares scores and dead letters as three partitions deleted after 30 days', () => {
    const scores = topicCatalogue(config).find((topic) => topic.logical === 'scores');
    expect(scores).toMatchObject({
      partitions: 3,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS), 'min.insync.replicas': '1' },
      valueSchema: { file: 'score.avsc' },
    });
    expect(topicDeclaration('dlq').configs['retention.ms']).toBe(String(30 * DAY_MS));
  });

  it('declares models as one compacted partition that takes a 16 MiB artifact, and deployments as compacted', () => {
    expect(topicDeclaration('models')).toMatchObject({
      partitions: 1,
      configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '16777216', 'min.compaction.lag.ms': '3600000' },
    });
    expect(topicDeclaration('deployments')).toMatchObject({ partitions: 1, configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000' } });
  });

  it('declares the registry event log as one partition kept forever and never compacted', () => {
    expect(topicDeclaration('model-registry-events')).toMatchObject({
      partitions: 1,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
      valueSchema: { file: 'registry-event.avsc' },
    });
  });

  it('points every declared schema at a file that parses, with the record it names', () => {
    expect(catalogueSchemaFiles().map(({ logical, schema }) => [logical, schema.recordName])).toEqual([
      ['scores', 'dev.tributary.scores.Score'],
      ['models', 'dev.tributary.registry.ModelArtifact'],
      ['model-registry-events', 'dev.tributary.registry.RegistryEvent'],
      ['deployments', 'dev.tributary.deployments.ModelDeployment'],
      ['dlq', 'dev.tributary.events.DeadLetter'],
    ]);
  });

  it('takes the replication factor from its option, with min.insync.replicas one below it', () => {
    const replicated = topicCatalogue(config, { replicationFactor: 3 });
    expect(replicated.every((topic) => topic.replicationFactor === 3 && topic.configs['min.insync.replicas'] === '2')).toBe(true);
    expect(() => topicCatalogue(config, { replicationFactor: 0 })).toThrow(new StreamingError('replication factor must be a whole number of at least 1, got 0'));
  });

  it('names topics and subjects from logical names', () => {
    expect(topicName({ topics: { prefix: 'tributary.' } }, 'scores')).toBe('tributary.scores');
    expect(valueSubject(topicName(config, 'dlq'))).toBe('acme.dlq-value');
  });

  it('rejects an unknown logical name with a typed error listing the known ones', () => {
    const attempt = (): string => topicName(config, 'features');
    expect(attempt).toThrow(UnknownTopicError);
    expect(attempt).toThrow('unknown topic "features"; the catalogue declares: scores, models, model-registry-events, deployments, dlq');
  });
});
