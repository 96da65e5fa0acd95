/**
 * The Kafka pipeline store on the real broker: reading creates nothing, revisions survive a new
 * reader, an unchanged digest records nothing, concurrent applies of one pipeline never share a
 * number, and a deletion is a tombstone revision.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createPipelineStore, pipelinesTopic } from '../../src/pipeline-store/kafka-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import type { PipelineStore, RevisionDraft } from '../../src/pipelines/pipeline-store.js';
import { createKafka } from '../../src/streaming/kafka-client.js';

const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test-${randomUUID().slice(0, 8)}.` } };
const stamp = (by: string) => ({ appliedBy: by, appliedAt: new Date().toISOString() });
const draft = (name: string, digest: string, by = 'alice'): RevisionDraft => ({
  name,
  definition: { name, owner: 'tests' } as unknown as PipelineDefinition,
  files: { 'a.avsc': `{"type":"string","doc":"${digest}"}` },
  digest,
  ...stamp(by),
});

describe('KafkaPipelineStore on the real broker', () => {
  const opened: PipelineStore[] = [];
  const open = async (): Promise<PipelineStore> => {
    const store = await createPipelineStore(config);
    opened.push(store);
    return store;
  };
  const admin = createKafka(config, { clientIdSuffix: 'pipeline-store-test' }).admin();

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    if ((await admin.listTopics()).includes(pipelinesTopic(config))) await admin.deleteTopics({ topics: [pipelinesTopic(config)] });
    await admin.disconnect();
  });

  it('reads an empty store without creating its topic', async () => {
    await admin.connect();
    const store = await open();
    expect(await store.list()).toEqual([]);
    expect(await store.current('churn')).toBeUndefined();
    expect(await admin.listTopics()).not.toContain(pipelinesTopic(config));
  });

  it('records revisions that a new reader folds the same way', async () => {
    const writer = await open();
    expect(await writer.record(draft('churn', 'a'))).toMatchObject({ recorded: true, revision: { revision: 1, digest: 'a' } });
    expect(await writer.record(draft('churn', 'a', 'bob'))).toMatchObject({ recorded: false, revision: { revision: 1, appliedBy: 'alice' } });
    expect(await writer.record(draft('churn', 'b', 'bob'))).toMatchObject({ recorded: true, revision: { revision: 2, appliedBy: 'bob' } });
    const reader = await open();
    expect((await reader.history('churn')).map(({ revision, digest, appliedBy }) => `${revision}:${digest}:${appliedBy}`)).toEqual(['1:a:alice', '2:b:bob']);
    expect((await reader.revision('churn', 1))?.files).toEqual({ 'a.avsc': '{"type":"string","doc":"a"}' });
    // The reader that opened before the write sees it on its next read.
    await writer.record(draft('rul', 'x'));
    expect((await reader.list()).map(({ name, revision }) => `${name}@${revision}`)).toEqual(['churn@2', 'rul@1']);
  });

  it('gives concurrent applies of one pipeline distinct numbers', async () => {
    const stores = await Promise.all([open(), open(), open()]);
    const outcomes = await Promise.allSettled(stores.map((store, index) => store.record(draft('race', `d${index}`))));
    const recorded = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.revision.revision] : []));
    // A fenced writer fails with a retriable error and records nothing; every recorded number is distinct.
    expect(new Set(recorded).size).toBe(recorded.length);
    expect(recorded.length).toBeGreaterThan(0);
    const history = await stores[0]!.history('race');
    expect(history.map((revision) => revision.revision)).toEqual(recorded.map((_, index) => index + 1));
  });

  it('deletes with a tombstone that keeps the history', async () => {
    const store = await open();
    expect(await store.markDeleted('rul', stamp('carol'))).toMatchObject({ revision: 2, deleted: true, appliedBy: 'carol' });
    const reader = await open();
    expect(await reader.current('rul')).toBeUndefined();
    expect((await reader.list()).map((revision) => revision.name)).toEqual(['churn', 'race']);
    expect((await reader.history('rul')).map((revision) => revision.deleted ?? false)).toEqual([false, true]);
  });
});
