/**
 * The pipeline store's rules, on the in-memory store (the Kafka store folds its records with the
 * same RevisionHistory), and the revision a definition file becomes: files embedded, digest
 * canonical.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineDefinitionError, PipelineNotFoundError } from '../../src/pipelines/errors.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { canonicalJson, recordDefinitionFile, revisionDigest, revisionDraftFromFile } from '../../src/pipelines/pipeline-revision.js';
import type { RevisionDraft } from '../../src/pipelines/pipeline-store.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/pipelines/', import.meta.url));
/** A valid SQL-job pipeline on the fixtures' schemas. */
const DELIVERY = `name: delivery
owner: logistics-ml
sources:
  - { topic: orders, schema: orders.avsc, entityKey: courier_id, eventTime: event_time, pii: [customer_email] }
features:
  topic: order-features
  schema: order-features.avsc
  entityKey: courier_id
  eventId: order_id
  eventTime: event_time
  job: { kind: sql, file: order-features.sql }
labels: { topic: deliveries, schema: deliveries.avsc, joinKey: order_id, field: delivery_minutes, eventTime: label_time }
model:
  task: regression
  inputs:
    - { field: distance_km, encoding: log1p }
    - { field: city, encoding: one-hot }
gates: { maxMae: 10 }
`;
const alice = { appliedBy: 'alice', appliedAt: '2026-12-06T10:00:00.000Z' };
const bob = { appliedBy: 'bob', appliedAt: '2026-12-06T11:00:00.000Z' };

const draft = (name: string, digest: string, stamp = alice): RevisionDraft => ({
  name,
  definition: { name } as unknown as PipelineDefinition,
  files: {},
  digest,
  ...stamp,
});

describe('InMemoryPipelineStore', () => {
  it('numbers revisions from 1 and records only a changed digest', async () => {
    const store = new InMemoryPipelineStore();
    expect(await store.record(draft('churn', 'a'))).toMatchObject({ recorded: true, revision: { revision: 1, digest: 'a', appliedBy: 'alice' } });
    expect(await store.record(draft('churn', 'a', bob))).toMatchObject({ recorded: false, revision: { revision: 1, appliedBy: 'alice' } });
    expect(await store.record(draft('churn', 'b', bob))).toMatchObject({ recorded: true, revision: { revision: 2, digest: 'b', appliedBy: 'bob' } });
    expect((await store.history('churn')).map((revision) => revision.digest)).toEqual(['a', 'b']);
    expect((await store.revision('churn', 1))?.appliedBy).toBe('alice');
    expect(await store.revision('churn', 3)).toBeUndefined();
    expect((await store.current('churn'))?.revision).toBe(2);
  });

  it('lists the latest revision of each live pipeline by name', async () => {
    const store = new InMemoryPipelineStore();
    await store.record(draft('rul', 'x'));
    await store.record(draft('churn', 'a'));
    await store.record(draft('churn', 'b'));
    expect((await store.list()).map(({ name, revision }) => `${name}@${revision}`)).toEqual(['churn@2', 'rul@1']);
  });

  it('deletes with a tombstone revision that keeps the history; an apply after it is the next revision', async () => {
    const store = new InMemoryPipelineStore();
    await store.record(draft('churn', 'a'));
    const tombstone = await store.markDeleted('churn', bob);
    expect(tombstone).toMatchObject({ revision: 2, deleted: true, digest: 'a', appliedBy: 'bob' });
    expect(await store.current('churn')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.history('churn')).map((revision) => revision.revision)).toEqual([1, 2]);
    // The same digest as before the deletion: the pipeline comes back as revision 3.
    expect(await store.record(draft('churn', 'a'))).toMatchObject({ recorded: true, revision: { revision: 3 } });
  });

  it('refuses to delete a pipeline that is not applied, naming the ones that are', async () => {
    const store = new InMemoryPipelineStore();
    await store.record(draft('rul', 'x'));
    await expect(store.markDeleted('churn', bob)).rejects.toThrow(new PipelineNotFoundError('churn', ['rul']));
    expect(new PipelineNotFoundError('churn', ['rul']).message).toBe('no pipeline "churn" is applied (applied: rul); `tributary pipeline apply <file>` creates one');
    await store.markDeleted('rul', bob);
    await expect(store.markDeleted('rul', bob)).rejects.toThrow('no pipeline "rul" is applied (none is)');
  });
});

describe('revision drafts from definition files', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-store-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('embeds every schema the fraud example names, by the path as written', () => {
    const revision = revisionDraftFromFile(join(EXAMPLES, 'fraud/pipeline.yaml'), alice);
    expect(revision.name).toBe('fraud');
    expect(Object.keys(revision.files).sort()).toEqual(['schemas/feature.avsc', 'schemas/label.avsc', 'schemas/transaction.avsc']);
    expect(revision.files['schemas/label.avsc']).toBe(readFileSync(join(EXAMPLES, 'fraud/schemas/label.avsc'), 'utf8'));
    expect(revision.digest).toBe(revisionDigest(revision.definition, revision.files));
    expect(revision).toMatchObject(alice);
  });

  it('gives the same digest for the same definition written in another order and format, and another for a changed file', () => {
    const folder = join(scratch, 'copy');
    cpSync(FIXTURES, folder, { recursive: true });
    writeFileSync(join(folder, 'delivery.yaml'), DELIVERY);
    const fromYaml = revisionDraftFromFile(join(folder, 'delivery.yaml'), alice);
    expect(Object.keys(fromYaml.files).sort()).toEqual(['deliveries.avsc', 'order-features.avsc', 'order-features.sql', 'orders.avsc']);
    // The same content as JSON, indented otherwise, with the keys of every level reversed.
    const reversed = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(reversed) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) : value;
    writeFileSync(join(folder, 'delivery.json'), JSON.stringify(reversed(fromYaml.definition), null, 4));
    expect(revisionDraftFromFile(join(folder, 'delivery.json'), bob).digest).toBe(fromYaml.digest);

    writeFileSync(join(folder, 'order-features.sql'), `${readFileSync(join(FIXTURES, 'order-features.sql'), 'utf8')}\n-- a comment\n`);
    expect(revisionDraftFromFile(join(folder, 'delivery.yaml'), alice).digest).not.toBe(fromYaml.digest);
  });

  it('refuses an invalid definition with its problems and records nothing', async () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, 'name: Not A Name\nowner: x\n');
    const store = new InMemoryPipelineStore();
    await expect(recordDefinitionFile(store, file, alice)).rejects.toBeInstanceOf(PipelineDefinitionError);
    expect(await store.list()).toEqual([]);
  });

  it('serialises objects with sorted keys at every depth, arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});
