/**
 * A registry kept from a release before pipelines: its scores subject holds the older score record
 * (test/fixtures/score-before-pipelines.avsc), which the generic one cannot follow under BACKWARD.
 * On the real Schema Registry, `schemas register` registers nothing and says, on the scores
 * subject's line, to run on a new topic prefix; a scorer writing there refuses before producing,
 * with the same way out, so its records stay uncommitted rather than being scored into a schema
 * that cannot hold them. A pipeline's own scores topic, which no command registers, gets the
 * platform's record from the scorer on its first write.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { ScoreSchemaMismatchError } from '../../src/serving/errors.js';
import { catalogueScorerTopics, createScorerOutput } from '../../src/serving/scorer-output.js';
import { SchemaRegistrationRefusedError } from '../../src/streaming/errors.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { SCHEMA_DIRECTORY, topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { scoringRunConfig } from '../helpers/scoring.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config: TributaryConfig = scoringRunConfig('score-schema-upgrade');
const registry = createSchemaRegistryClient(loadConfig().schemaRegistry);
const scoresSubject = valueSubject(topicName(config, 'scores'));
const older = loadSchemaFile(join(import.meta.dirname, '../fixtures/score-before-pipelines.avsc'));
const advice =
  `${scoresSubject} holds a score record of a Tributary release before pipelines (it has no pipeline, event_id, entity_key, prediction, model_runtime, features_at), ` +
  'which the generic score record cannot follow; keep it and its scores as they are, and run this release on a new topic prefix (TRIBUTARY_TOPIC_PREFIX, e.g. tributary2.): ' +
  '`tributary topics ensure`, then `tributary schemas register`';

describe('a scores subject holding the score record of a release before pipelines (real Schema Registry)', () => {
  const kafka = createKafka(config, { clientIdSuffix: 'score-schema-upgrade' });
  const output = createScorerOutput('exactly-once', { kafka, registry, config, topics: catalogueScorerTopics(config), groupId: `${config.topics.prefix}scorer`, commitOffsets: () => Promise.resolve() });

  afterAll(async () => {
    await output.close();
  });

  it('registers nothing and names the subject and the new-prefix way out', async () => {
    await registry.register(scoresSubject, older.text);
    const attempt = registerSchemas(registry, config);
    await expect(attempt).rejects.toBeInstanceOf(SchemaRegistrationRefusedError);
    const lines = (await attempt.catch((error: unknown) => (error as Error).message)).toString().split('\n');
    expect(lines[0]).toBe('registered nothing: 1 of 5 schemas are incompatible with what is registered:');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^  \\S*schemas/score\\.avsc is not BACKWARD compatible with version 1 of ${scoresSubject.replaceAll('.', '\\.')}: .*event_id at /fields/1`));
    expect(lines[1]!.endsWith(`; ${advice}`)).toBe(true);
    // All or nothing: not even the subjects that did not exist were registered.
    expect(await registry.latestSchema(valueSubject(topicName(config, 'dlq')))).toBeUndefined();
  });

  it('has the scorer refuse to write there before producing anything, with the same way out', async () => {
    const write = output.write({ scores: [{ key: 'e-1', value: {} }], deadLetters: [], consumed: { topic: fraudTopic(config, 'features'), partition: 0, offset: '1' } });
    const error = await write.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`cannot write scores to ${topicName(config, 'scores')}: ${advice}`);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(ScoreSchemaMismatchError);
  });
});

describe("a pipeline's own scores and dlq topics, whose subjects nobody registered (real Kafka and Schema Registry)", () => {
  const pipelineConfig: TributaryConfig = scoringRunConfig('scorer-topics');
  const topics = { scores: `${pipelineConfig.topics.prefix}orders.scores`, dlq: `${pipelineConfig.topics.prefix}orders.dlq` };
  const kafka = createKafka(pipelineConfig, { clientIdSuffix: 'scorer-topics' });
  const admin = kafka.admin();
  const committed: unknown[] = [];
  const output = createScorerOutput('at-least-once', {
    kafka,
    registry,
    config: pipelineConfig,
    topics,
    groupId: `${pipelineConfig.topics.prefix}scorer`,
    commitOffsets: (positions) => {
      committed.push(...positions);
      return Promise.resolve();
    },
  });

  afterAll(async () => {
    await output.close();
    await admin.disconnect();
  });

  it('registers the platform records under them (BACKWARD) on the first write, and writes there', async () => {
    await admin.connect();
    await ensureTopics(admin, [topics.scores, topics.dlq].map((name) => ({ name, partitions: 1, replicationFactor: 1, configs: {} })));
    const score = {
      pipeline: 'orders', event_id: 'o-1', entity_key: 'c-1', prediction: 31.5, threshold: null, decision: null, model: 'orders', model_version: 1, model_runtime: 'tfjs',
      variant: 'CHAMPION', shadow: null, deployment_revision: 1, feature_job_version: null, event_time: 1_000, features_at: 2_000, scored_at: 3_000, end_to_end_ms: 2_000, scoring_ms: 1_000,
    };
    const consumed = { topic: `${pipelineConfig.topics.prefix}orders.features`, partition: 0, offset: '1' };
    await output.write({ scores: [{ key: 'o-1', value: score }], deadLetters: [], consumed });
    expect(committed).toEqual([consumed]);
    const registered = await registry.latestSchema(valueSubject(topics.scores));
    expect(JSON.parse(registered!.schema)).toEqual(JSON.parse(loadSchemaFile(join(SCHEMA_DIRECTORY, 'score.avsc')).text));
    expect(await registry.compatibilityLevel(valueSubject(topics.scores))).toBe('BACKWARD');
    const [offsets] = await admin.fetchTopicOffsets(topics.scores).then((partitions) => partitions.map((partition) => partition.high));
    expect(offsets).toBe('1');
  });
});
