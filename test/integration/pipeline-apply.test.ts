/**
 * `tributary pipeline plan | apply | describe | delete`, the built binary on the real Kafka and
 * Schema Registry, for a small SQL-job pipeline whose topics start with this run's own prefix:
 * apply creates everything and records revision 1; re-applying changes nothing; a compatible
 * schema change becomes revision 2; plan shows the registry's refusal of an incompatible change
 * (its reasons, asked of the registry here) and apply then changes nothing; an apply Kafka stops
 * part way says what it did, and a second apply completes it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createPipelineStore } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../unit/fixtures/pipelines/', import.meta.url));
const PREFIX = `test-${randomUUID().slice(0, 8)}.`;
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: PREFIX } };
const registry = createSchemaRegistryClient(config.schemaRegistry);

/** A SQL-job regression pipeline on the fixtures' schemas; `name` names it and its platform topics. */
const definition = (name: string): string => `name: ${name}
owner: logistics-ml
sources:
  - { topic: ${name}.orders, schema: orders.avsc, entityKey: courier_id, eventTime: event_time, pii: [customer_email] }
features:
  topic: ${name}.order-features
  schema: order-features.avsc
  entityKey: courier_id
  eventId: order_id
  eventTime: event_time
  job: { kind: sql, file: order-features.sql }
labels: { topic: ${name}.deliveries, schema: deliveries.avsc, joinKey: order_id, field: delivery_minutes, eventTime: label_time }
model:
  task: regression
  inputs:
    - { field: distance_km, encoding: log1p }
    - { field: city, encoding: one-hot }
gates: { maxMae: 10 }
`;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tributary(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every Kafka topic of pipeline `name`, in the order apply creates them. */
const topicsOf = (name: string): string[] =>
  ['orders', 'order-features', 'deliveries', 'training-examples', 'scores', 'dlq'].map((topic) => `${PREFIX}${name}.${topic}`);

const revisionsOf = async (name: string): Promise<string[]> => {
  const store = await createPipelineStore(config);
  try {
    return (await store.history(name)).map((revision) => `${revision.revision}:${revision.appliedBy}${revision.deleted ? ':deleted' : ''}`);
  } finally {
    await store.close();
  }
};

describe('tributary pipeline plan and apply on the real stack', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-apply-'));
  const file = join(scratch, 'delivery.yaml');
  const labelsSchema = join(scratch, 'deliveries.avsc');
  const admin: Admin = createKafka(config, { clientIdSuffix: 'pipeline-apply-test' }).admin();

  beforeAll(async () => {
    cpSync(FIXTURES, scratch, { recursive: true });
    writeFileSync(file, definition('delivery'));
    await admin.connect();
  });

  afterAll(async () => {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('plans every topic, subject, the SQL job and revision 1, and changes nothing', async () => {
    const run = await tributary('pipeline', 'plan', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual(topicsOf('delivery').map((topic) => expect.stringMatching(new RegExp(`^topic ${topic.replace(/\./g, '\\.')}: create \\(`)) as unknown as string));
    expect(lines.slice(6, 9)).toEqual([
      `subject ${PREFIX}delivery.orders-value: register orders.avsc as version 1 (compatibility BACKWARD)`,
      `subject ${PREFIX}delivery.order-features-value: register order-features.avsc as version 1 (compatibility BACKWARD)`,
      `subject ${PREFIX}delivery.deliveries-value: register deliveries.avsc as version 1 (compatibility BACKWARD)`,
    ]);
    expect(lines[9]).toMatch(/^feature job delivery-features: Flink SQL from order-features\.sql: submitted through the SQL Gateway/);
    expect(lines[10]).toMatch(/^revision: record delivery revision 1 \(digest [0-9a-f]{12}\)$/);
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX))).toEqual([]);
    expect(await registry.latestSchema(`${PREFIX}delivery.orders-value`)).toBeUndefined();
  });

  it('applies the file: topics, subjects, then revision 1 by --by', async () => {
    const run = await tributary('pipeline', 'apply', file, '--by', 'alice');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`topic ${PREFIX}delivery.dlq: created`);
    expect(run.stdout).toMatch(/revision 1 of delivery recorded \(digest [0-9a-f]{12}, by alice\)\ndelivery: applied \(10 changes; revision 1\)\n$/);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(topicsOf('delivery')));
    expect((await registry.latestSchema(`${PREFIX}delivery.deliveries-value`))?.version).toBe(1);
    expect(await registry.compatibilityLevel(`${PREFIX}delivery.deliveries-value`)).toBe('BACKWARD');
    expect(await revisionsOf('delivery')).toEqual(['1:alice']);
  });

  it('re-applying the unchanged file changes nothing and says so', async () => {
    const run = await tributary('pipeline', 'apply', file, '--by', 'bob');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^delivery: nothing to change; the live system is as defined \(revision 1, digest [0-9a-f]{12}, applied by alice at .+\)\n$/);
    expect(await revisionsOf('delivery')).toEqual(['1:alice']);
    expect((await registry.latestSchema(`${PREFIX}delivery.deliveries-value`))?.version).toBe(1);
  });

  it('a compatible schema change becomes subject version 2 and revision 2', async () => {
    const schema = JSON.parse(readFileSync(labelsSchema, 'utf8')) as { fields: unknown[] };
    schema.fields.push({ name: 'rating', type: ['null', 'int'], default: null });
    writeFileSync(labelsSchema, JSON.stringify(schema, null, 2));
    const plan = await tributary('pipeline', 'plan', file);
    expect(plan.stdout).toContain(`subject ${PREFIX}delivery.deliveries-value: register deliveries.avsc as the version after 1 (the registry says compatible under BACKWARD)\n`);
    expect(plan.stdout).toMatch(/revision: record delivery revision 2 \(digest [0-9a-f]{12}; revision 1 is [0-9a-f]{12}\)\n/);
    const run = await tributary('pipeline', 'apply', file, '--by', 'bob');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^subject ${PREFIX.replace(/\./g, '\\.')}delivery\\.deliveries-value: registered deliveries\\.avsc as version 2 \\(schema id \\d+\\)$`)),
      expect.stringMatching(/^revision 2 of delivery recorded \(digest [0-9a-f]{12}, by bob\)$/),
      'delivery: applied (2 changes; revision 2)',
    ]);
    expect(await revisionsOf('delivery')).toEqual(['1:alice', '2:bob']);
  });

  it('plan shows the registry refusing an incompatible change, with its reasons; apply then changes nothing', async () => {
    const schema = JSON.parse(readFileSync(labelsSchema, 'utf8')) as { fields: unknown[] };
    // A new field without a default: records written before it cannot be read with it (BACKWARD).
    schema.fields.push({ name: 'tip', type: 'double' });
    const text = JSON.stringify(schema, null, 2);
    writeFileSync(labelsSchema, text);
    const subject = `${PREFIX}delivery.deliveries-value`;
    const verdict = await registry.checkCompatibility(subject, text);
    expect(verdict.compatible).toBe(false);
    expect(verdict.reasons.length).toBeGreaterThan(0);

    const plan = await tributary('pipeline', 'plan', file);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`subject ${subject}: the registry refuses deliveries.avsc after version 2 under BACKWARD: ${verdict.reasons.join('; ')}\n`);
    expect(plan.stderr).toBe('error: apply would change nothing: the registry refuses 1 schema (above); make the schema compatible, or write to a new topic\n');

    const apply = await tributary('pipeline', 'apply', file);
    expect(apply.code).toBe(2);
    expect(apply.stdout).toBe('');
    expect(apply.stderr).toContain(`error: subject ${subject}: the registry refuses deliveries.avsc after version 2 under BACKWARD: ${verdict.reasons.join('; ')}\n`);
    expect((await registry.latestSchema(subject))?.version).toBe(2);
    expect(await revisionsOf('delivery')).toEqual(['1:alice', '2:bob']);
  });

  it('an apply Kafka stops part way says what it did; a second apply completes it', async () => {
    const halfway = join(scratch, 'halfway.yaml');
    writeFileSync(halfway, definition('halfway'));
    const topics = topicsOf('halfway');
    // Kafka refuses a topic whose name differs from an existing one only by '.' versus '_' (their metric names collide).
    const blocker = `${PREFIX}halfway_dlq`;
    await admin.createTopics({ topics: [{ topic: blocker, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

    const failed = await tributary('pipeline', 'apply', halfway, '--by', 'alice');
    expect(failed.code).toBe(1);
    const [stopped, done, next] = failed.stderr.trimEnd().split('\n');
    expect(stopped).toMatch(new RegExp(`^error: apply of halfway stopped at creating topic ${topics[5]!.replace(/\./g, '\\.')}: creating topic ${topics[5]!.replace(/\./g, '\\.')} failed: Topic creation errors: .+ \\(INVALID_TOPIC_EXCEPTION\\)$`));
    expect(done).toBe(`done before it: ${topics.slice(0, 5).map((topic) => `topic ${topic}: created`).join('; ')}`);
    expect(next).toBe('the revision is not recorded; remove the cause, then apply the same file again: it skips what is done and completes the rest');
    expect(await revisionsOf('halfway')).toEqual([]);

    await admin.deleteTopics({ topics: [blocker] });
    await waitFor(`${blocker} to be deleted`, async () => ((await admin.listTopics()).includes(blocker) ? undefined : true));
    const completed = await waitFor('a second apply to complete', async () => {
      const run = await tributary('pipeline', 'apply', halfway, '--by', 'alice');
      // The broker may still hold the deleted topic's name for a moment after it left the listing.
      return run.code === 0 ? run : undefined;
    });
    expect(completed.stdout.trimEnd().split('\n')).toEqual([
      `topic ${topics[5]}: created`,
      ...['orders', 'order-features', 'deliveries'].map((topic) => expect.stringMatching(new RegExp(`^subject ${PREFIX.replace(/\./g, '\\.')}halfway\\.${topic}-value: registered ${topic === 'order-features' ? 'order-features' : topic}\\.avsc as version 1 \\(schema id \\d+\\)$`))),
      expect.stringMatching(/^revision 1 of halfway recorded \(digest [0-9a-f]{12}, by alice\)$/),
      'halfway: applied (5 changes; revision 1)',
    ]);
    expect(await revisionsOf('halfway')).toEqual(['1:alice']);
  });

  it('describes a pipeline; delete keeps its history, --purge deletes its topics only with --yes', async () => {
    const described = await tributary('pipeline', 'describe', 'delivery');
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^delivery: no description; owner logistics-ml\n/);
    expect(described.stdout).toMatch(/\n1 +alice +\S+ +[0-9a-f]{12}\s*\n2 +bob +\S+ +[0-9a-f]{12}\s*\n/);
    for (const topic of topicsOf('delivery')) expect(described.stdout).toMatch(new RegExp(`\n${topic.replace(/\./g, '\\.')} +\\S+ +ok\n`));
    expect(described.stdout).toContain('feature job delivery-features (sql): no deployment recorded\n');

    const unconfirmed = await tributary('pipeline', 'delete', 'delivery', '--purge');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toBe(
      `error: --purge deletes 6 topics with every record in them, for good: ${topicsOf('delivery').join(', ')}; nothing was changed. ` +
        'Run `tributary pipeline delete delivery --purge --yes` to go ahead, or without --purge to keep the topics\n',
    );
    expect(await revisionsOf('delivery')).toEqual(['1:alice', '2:bob']);

    const purged = await tributary('pipeline', 'delete', 'delivery', '--purge', '--yes', '--by', 'carol');
    expect(purged).toMatchObject({ code: 0, stderr: '' });
    expect(purged.stdout).toBe(`delivery: deleted as revision 3; its history is kept (\`tributary pipeline describe delivery\`)\n  topics deleted: ${topicsOf('delivery').join(', ')}\n`);
    expect(await revisionsOf('delivery')).toEqual(['1:alice', '2:bob', '3:carol:deleted']);
    await waitFor('the purged topics to be gone', async () => ((await admin.listTopics()).some((topic) => topicsOf('delivery').includes(topic)) ? undefined : true));
    expect((await tributary('pipeline', 'list')).stdout).not.toMatch(/^delivery /m);
  });

  it('names an unknown pipeline in one line', async () => {
    expect(await tributary('pipeline', 'describe', 'nope')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no pipeline "nope" is applied (applied: halfway); `tributary pipeline apply <file>` creates one\n',
    });
  });
});
