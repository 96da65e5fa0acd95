/**
 * A registry kept from a release before pipelines: its scores subject holds the older score record
 * (test/fixtures/score-before-pipelines.avsc), which the generic one cannot follow under BACKWARD.
 * On the real Schema Registry, `schemas register` registers nothing and says, on the scores
 * subject's line, to run on a new topic prefix; a scorer writing there refuses before producing,
 * with the same way out, so its records stay uncommitted rather than being scored into a schema
 * that cannot hold them.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { ScoreSchemaMismatchError } from '../../src/serving/errors.js';
import { createScorerOutput } from '../../src/serving/scorer-output.js';
import { SchemaRegistrationRefusedError } from '../../src/streaming/errors.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { loadSchemaFile } from '../../src/streaming/schema-files.js';
import { registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName, valueSubject } from '../../src/streaming/topic-catalogue.js';
import { scoringRunConfig } from '../helpers/scoring.js';

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
  const output = createScorerOutput('exactly-once', { kafka, registry, config, groupId: `${config.topics.prefix}scorer`, commitOffsets: () => Promise.resolve() });

  afterAll(async () => {
    await output.close();
  });

  it('registers nothing and names the subject and the new-prefix way out', async () => {
    await registry.register(scoresSubject, older.text);
    const attempt = registerSchemas(registry, config);
    await expect(attempt).rejects.toBeInstanceOf(SchemaRegistrationRefusedError);
    const lines = (await attempt.catch((error: unknown) => (error as Error).message)).toString().split('\n');
    expect(lines[0]).toBe('registered nothing: 1 of 9 schemas are incompatible with what is registered:');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^  \\S*schemas/score\\.avsc is not BACKWARD compatible with version 1 of ${scoresSubject.replaceAll('.', '\\.')}: .*event_id at /fields/1`));
    expect(lines[1]!.endsWith(`; ${advice}`)).toBe(true);
    // All or nothing: not even the subjects that did not exist were registered.
    expect(await registry.latestSchema(valueSubject(topicName(config, 'features')))).toBeUndefined();
  });

  it('has the scorer refuse to write there before producing anything, with the same way out', async () => {
    const write = output.write({ scores: [{ key: 'e-1', value: {} }], deadLetters: [], consumed: { topic: topicName(config, 'features'), partition: 0, offset: '1' } });
    const error = await write.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`cannot write scores to ${topicName(config, 'scores')}: ${advice}`);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(ScoreSchemaMismatchError);
  });
});
