/**
 * `tributary pipeline plan | apply | describe | delete`, the built binary on the real Kafka, Schema
 * Registry, SQL Gateway and Flink cluster, for the delivery example (examples/delivery: its schemas
 * and Flink SQL query) under a pipeline name and topic prefix of this run's own, so no other run's
 * topics, subjects or Flink jobs are taken for its own: plan checks the feature query and the
 * label join on the gateway and changes nothing; apply creates the topics, registers the subjects,
 * submits both jobs (they run) and records revision 1; re-applying changes nothing and starts no
 * job; a compatible schema change becomes revision 2; plan shows the registry's refusal of an
 * incompatible change and the gateway's of a broken query (its line), and apply then changes
 * nothing; an apply Kafka stops part way says what it did, and a second apply completes it. The
 * jobs it started are cancelled as soon as they are not needed: task slots are shared.
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
import { FlinkRestClient, TERMINAL_JOB_STATES } from '../../src/flink/flink-rest-client.js';
import { createPipelineStore } from '../../src/pipeline-store/kafka-pipeline-store.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/delivery/', import.meta.url));
const RUN = randomUUID().slice(0, 8);
const PREFIX = `test-${RUN}.`;
/** The half-way pipeline's prefix: the example's source topics are the query's table names, so a second pipeline of it needs topics of its own. */
const HALFWAY_PREFIX = `test-${RUN}-halfway.`;
/** Flink job names are the cluster's, not the prefix's: the pipelines' names are this run's own. */
const NAME = `delivery-${RUN}`;
const HALFWAY = `halfway-${RUN}`;
const config: TributaryConfig = { ...loadConfig(), topics: { prefix: PREFIX } };
const registry = createSchemaRegistryClient(config.schemaRegistry);
const flink = new FlinkRestClient({ baseUrl: config.flink.restUrl });

/** The delivery example's definition under another name. */
const definition = (name: string): string => readFileSync(join(EXAMPLE, 'pipeline.yaml'), 'utf8').replace(/^name: delivery-time$/m, `name: ${name}`);

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tributary(prefix: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: prefix } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every Kafka topic of pipeline `name`, in the order apply creates them. */
const topicsOf = (prefix: string, name: string): string[] => [
  ...['orders', 'courier-assignments', 'delivery-features', 'deliveries'].map((topic) => `${prefix}${topic}`),
  ...['training-examples', 'scores', 'dlq'].map((topic) => `${prefix}${name}.${topic}`),
];
const SUBJECT_FILES = [['orders', 'schemas/order.avsc'], ['courier-assignments', 'schemas/courier-assignment.avsc'], ['delivery-features', 'schemas/delivery-features.avsc'], ['deliveries', 'schemas/delivery.avsc']] as const;
const pattern = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const revisionsOf = async (name: string, prefix = PREFIX): Promise<string[]> => {
  const store = await createPipelineStore({ ...config, topics: { prefix } });
  try {
    return (await store.history(name)).map((revision) => `${revision.revision}:${revision.appliedBy}${revision.deleted ? ':deleted' : ''}`);
  } finally {
    await store.close();
  }
};

/** The feature query and label join of pipeline `name` that have not ended, by job name. */
const jobsOf = async (name: string): Promise<Map<string, { jid: string; state: string }>> =>
  new Map(
    (await flink.listJobs())
      .filter((job) => [`${name}-features`, `${name}-label-join`].includes(job.name) && !TERMINAL_JOB_STATES.includes(job.state))
      .map((job) => [job.name, { jid: job.jid, state: job.state }]),
  );

/** Cancels the jobs of pipeline `name`: test-owned jobs hold task slots other suites need, and no savepoint is worth keeping. */
async function cancelJobsOf(name: string): Promise<void> {
  await Promise.all([...(await jobsOf(name)).values()].map(({ jid }) => flink.cancel(jid).catch(() => undefined)));
}

/** Progress lines (building the functions jar) go to stderr; nothing else may. */
const expectOnlyProgress = (stderr: string): void => {
  for (const line of stderr.split('\n').filter((each) => each !== '')) expect(line).toMatch(/^\[ *\d+\.\ds\] /);
};

describe('tributary pipeline plan and apply on the real stack', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-pipeline-apply-'));
  const halfwayDir = mkdtempSync(join(tmpdir(), 'tributary-pipeline-halfway-'));
  const file = join(scratch, 'pipeline.yaml');
  const labelsSchema = join(scratch, 'schemas', 'delivery.avsc');
  const query = join(scratch, 'features.sql');
  const admin: Admin = createKafka(config, { clientIdSuffix: 'pipeline-apply-test' }).admin();
  /** The labels schema of revision 2, put back after the refused change. */
  let compatibleLabels = '';

  beforeAll(async () => {
    for (const dir of [scratch, halfwayDir]) cpSync(EXAMPLE, dir, { recursive: true });
    writeFileSync(file, definition(NAME));
    writeFileSync(join(halfwayDir, 'pipeline.yaml'), definition(HALFWAY));
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all([cancelJobsOf(NAME), cancelJobsOf(HALFWAY)]);
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX) || topic.startsWith(HALFWAY_PREFIX));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.disconnect();
    for (const dir of [scratch, halfwayDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('plans every topic, subject, both SQL jobs (checked on the gateway) and revision 1, and changes nothing', async () => {
    const run = await tributary(PREFIX, 'pipeline', 'plan', file);
    expectOnlyProgress(run.stderr);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 7)).toEqual(topicsOf(PREFIX, NAME).map((topic) => expect.stringMatching(new RegExp(`^topic ${pattern(topic)}: create \\(`)) as unknown as string));
    expect(lines.slice(7, 11)).toEqual(SUBJECT_FILES.map(([topic, schema]) => `subject ${PREFIX}${topic}-value: register ${schema} as version 1 (compatibility BACKWARD)`));
    expect(lines.slice(11, 13)).toEqual([
      `feature job ${NAME}-features: submit through the SQL Gateway (the gateway plans it as it stands)`,
      `feature job ${NAME}-label-join: submit through the SQL Gateway (the gateway plans it as it stands)`,
    ]);
    expect(lines[13]).toMatch(new RegExp(`^revision: record ${pattern(NAME)} revision 1 \\(digest [0-9a-f]{12}\\)$`));
    expect(lines[14]).toBe(`${NAME}: \`tributary pipeline apply ${file}\` carries this out`);
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX))).toEqual([]);
    expect(await registry.latestSchema(`${PREFIX}orders-value`)).toBeUndefined();
    expect(await jobsOf(NAME)).toEqual(new Map());
  });

  it('applies the file: topics, subjects, both SQL jobs, then revision 1 by --by', async () => {
    const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'alice');
    expectOnlyProgress(run.stderr);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 7)).toEqual(topicsOf(PREFIX, NAME).map((topic) => `topic ${topic}: created`));
    expect(lines.slice(7, 11)).toEqual(SUBJECT_FILES.map(([topic, schema]) => expect.stringMatching(new RegExp(`^subject ${pattern(PREFIX + topic)}-value: registered ${pattern(schema)} as version 1 \\(schema id \\d+\\)$`)) as unknown as string));
    const submitted = /^feature job (\S+)-features: submitted through the SQL Gateway as job ([0-9a-f]{32}); feature job (\S+)-label-join: submitted through the SQL Gateway as job ([0-9a-f]{32})$/.exec(lines[11]!);
    expect(submitted?.slice(1)).toEqual([NAME, expect.any(String), NAME, expect.any(String)]);
    expect(lines.slice(12)).toEqual([expect.stringMatching(new RegExp(`^revision 1 of ${pattern(NAME)} recorded \\(digest [0-9a-f]{12}, by alice\\)$`)), `${NAME}: applied (13 changes; revision 1)`]);

    const running = await waitFor('both jobs to run', async () => {
      const jobs = await jobsOf(NAME);
      return [...jobs.values()].filter((job) => job.state === 'RUNNING').length === 2 ? jobs : undefined;
    }, 120_000, 500);
    expect(running.get(`${NAME}-features`)?.jid).toBe(submitted![2]);
    expect(running.get(`${NAME}-label-join`)?.jid).toBe(submitted![4]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(topicsOf(PREFIX, NAME)));
    expect((await registry.latestSchema(`${PREFIX}deliveries-value`))?.version).toBe(1);
    expect(await registry.compatibilityLevel(`${PREFIX}deliveries-value`)).toBe('BACKWARD');
    // The label join writes under a subject registered before it started.
    expect((await registry.latestSchema(`${PREFIX}${NAME}.training-examples-value`))?.version).toBe(1);
    expect(await revisionsOf(NAME)).toEqual(['1:alice']);
  });

  it('re-applying the unchanged file changes nothing, starts no job and says so', async () => {
    const before = await jobsOf(NAME);
    const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'bob');
    expect(run.code).toBe(0);
    expectOnlyProgress(run.stderr);
    expect(run.stdout).toMatch(new RegExp(`^${pattern(NAME)}: nothing to change; the live system is as defined \\(revision 1, digest [0-9a-f]{12}, applied by alice at .+\\)\n$`));
    expect(await revisionsOf(NAME)).toEqual(['1:alice']);
    expect((await registry.latestSchema(`${PREFIX}deliveries-value`))?.version).toBe(1);
    expect(await jobsOf(NAME)).toEqual(before);
    const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
    expect(plan.stdout).toContain(`feature job ${NAME}-features: runs as job ${before.get(`${NAME}-features`)!.jid}; left as it is`);
    expect(plan.stdout).toMatch(new RegExp(`\n${pattern(NAME)}: nothing to change\n$`));
  });

  it('describes a SQL pipeline\'s jobs as Flink reports them: the id, state and start of each', async () => {
    const running = await waitFor('both jobs to run', async () => {
      const jobs = await jobsOf(NAME);
      return [...jobs.values()].filter((job) => job.state === 'RUNNING').length === 2 ? jobs : undefined;
    }, 120_000, 500);
    const described = await tributary(PREFIX, 'pipeline', 'describe', NAME);
    expect(described).toMatchObject({ code: 0, stderr: '' });
    for (const jobName of [`${NAME}-features`, `${NAME}-label-join`]) {
      expect(described.stdout).toMatch(new RegExp(`\nfeature job ${pattern(jobName)} \\(sql\\): job ${running.get(jobName)!.jid} RUNNING since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\n`));
    }
    expect(described.stdout).not.toContain('no deployment recorded');
  });

  it('a compatible schema change becomes subject version 2 and revision 2; the running jobs are left as they are', async () => {
    const schema = JSON.parse(readFileSync(labelsSchema, 'utf8')) as { fields: unknown[] };
    schema.fields.push({ name: 'rating', type: ['null', 'int'], default: null });
    compatibleLabels = JSON.stringify(schema, null, 2);
    writeFileSync(labelsSchema, compatibleLabels);
    const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
    expect(plan.stdout).toContain(`subject ${PREFIX}deliveries-value: register schemas/delivery.avsc as the version after 1 (the registry says compatible under BACKWARD)\n`);
    expect(plan.stdout).toMatch(new RegExp(`revision: record ${pattern(NAME)} revision 2 \\(digest [0-9a-f]{12}; revision 1 is [0-9a-f]{12}\\)\n`));
    const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'bob');
    expect(run.code).toBe(0);
    expectOnlyProgress(run.stderr);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^subject ${pattern(PREFIX)}deliveries-value: registered schemas/delivery\\.avsc as version 2 \\(schema id \\d+\\)$`)),
      expect.stringMatching(new RegExp(`^revision 2 of ${pattern(NAME)} recorded \\(digest [0-9a-f]{12}, by bob\\)$`)),
      `${NAME}: applied (2 changes; revision 2)`,
    ]);
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob']);
  });

  it('plan shows the registry refusing an incompatible change, with its reasons; apply then changes nothing', async () => {
    const schema = JSON.parse(compatibleLabels) as { fields: unknown[] };
    // A new field without a default: records written before it cannot be read with it (BACKWARD).
    schema.fields.push({ name: 'tip', type: 'double' });
    const text = JSON.stringify(schema, null, 2);
    writeFileSync(labelsSchema, text);
    const subject = `${PREFIX}deliveries-value`;
    const verdict = await registry.checkCompatibility(subject, text);
    expect(verdict.compatible).toBe(false);
    expect(verdict.reasons.length).toBeGreaterThan(0);

    const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`subject ${subject}: the registry refuses schemas/delivery.avsc after version 2 under BACKWARD: ${verdict.reasons.join('; ')}\n`);
    expect(plan.stderr).toContain('error: apply would change nothing: the registry refuses 1 schema (above); make the schema compatible, or write to a new topic\n');

    const apply = await tributary(PREFIX, 'pipeline', 'apply', file);
    expect(apply.code).toBe(2);
    expect(apply.stdout).toBe('');
    expect(apply.stderr).toContain(`error: subject ${subject}: the registry refuses schemas/delivery.avsc after version 2 under BACKWARD: ${verdict.reasons.join('; ')}\n`);
    expect((await registry.latestSchema(subject))?.version).toBe(2);
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob']);
    writeFileSync(labelsSchema, compatibleLabels);
  });

  it('plan shows the SQL Gateway refusing a broken query, with the file\'s line; apply then changes nothing', async () => {
    const original = readFileSync(query, 'utf8');
    const lineOfCity = original.split('\n').findIndex((line) => line.trim() === 'o.city,') + 1;
    expect(lineOfCity).toBeGreaterThan(0);
    writeFileSync(query, original.replace(/^ {2}o\.city,$/m, '  o.cty,'));
    try {
      const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
      expect(plan.code).toBe(2);
      const refusal = new RegExp(`^feature job ${pattern(NAME)}-features: the SQL Gateway refuses it: features\\.sql:${lineOfCity}: .*cty`, 'm');
      expect(plan.stdout).toMatch(refusal);
      expect(plan.stdout).toMatch(new RegExp(`^feature job ${pattern(NAME)}-label-join: runs as job [0-9a-f]{32}; left as it is`, 'm'));
      expect(plan.stderr).toContain('error: apply would change nothing: the SQL Gateway refuses 1 feature job (above); correct the query at the line named (or the definition), then plan again\n');

      const before = await jobsOf(NAME);
      const apply = await tributary(PREFIX, 'pipeline', 'apply', file);
      expect(apply.code).toBe(2);
      expect(apply.stdout).toBe('');
      expect(apply.stderr).toContain(`error: ${NAME}: nothing applied, the SQL Gateway refuses a feature job:\n`);
      expect(apply.stderr).toMatch(new RegExp(`^error: feature job ${pattern(NAME)}-features: the SQL Gateway refuses it: features\\.sql:${lineOfCity}: `, 'm'));
      expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob']);
      expect(await jobsOf(NAME)).toEqual(before);
    } finally {
      writeFileSync(query, original);
    }
  });

  it('an apply Kafka stops part way says what it did; a second apply completes it, SQL jobs included', async () => {
    // One pipeline's jobs at a time: task slots are shared with other suites.
    await cancelJobsOf(NAME);
    const halfway = join(halfwayDir, 'pipeline.yaml');
    const topics = topicsOf(HALFWAY_PREFIX, HALFWAY);
    // Kafka refuses a topic whose name differs from an existing one only by '.' versus '_' (their metric names collide).
    const blocker = `${HALFWAY_PREFIX}${HALFWAY}_dlq`;
    await admin.createTopics({ topics: [{ topic: blocker, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

    const failed = await tributary(HALFWAY_PREFIX, 'pipeline', 'apply', halfway, '--by', 'alice');
    expect(failed.code).toBe(1);
    const [stopped, done, next] = failed.stderr.trimEnd().split('\n').filter((line) => line.startsWith('error: ') || !line.startsWith('['));
    expect(stopped).toMatch(new RegExp(`^error: apply of ${pattern(HALFWAY)} stopped at creating topic ${pattern(topics[6]!)}: creating topic ${pattern(topics[6]!)} failed: Topic creation errors: .+ \\(INVALID_TOPIC_EXCEPTION\\)$`));
    expect(done).toBe(`done before it: ${topics.slice(0, 6).map((topic) => `topic ${topic}: created`).join('; ')}`);
    expect(next).toBe('the revision is not recorded; remove the cause, then apply the same file again: it skips what is done and completes the rest');
    expect(await revisionsOf(HALFWAY, HALFWAY_PREFIX)).toEqual([]);
    expect(await jobsOf(HALFWAY)).toEqual(new Map());

    await admin.deleteTopics({ topics: [blocker] });
    await waitFor(`${blocker} to be deleted`, async () => ((await admin.listTopics()).includes(blocker) ? undefined : true));
    const completed = await waitFor('a second apply to complete', async () => {
      const run = await tributary(HALFWAY_PREFIX, 'pipeline', 'apply', halfway, '--by', 'alice');
      // The broker may still hold the deleted topic's name for a moment after it left the listing.
      return run.code === 0 ? run : undefined;
    }, 120_000, 500);
    expect(completed.stdout.trimEnd().split('\n')).toEqual([
      `topic ${topics[6]}: created`,
      ...SUBJECT_FILES.map(([topic, schema]) => expect.stringMatching(new RegExp(`^subject ${pattern(HALFWAY_PREFIX + topic)}-value: registered ${pattern(schema)} as version 1 \\(schema id \\d+\\)$`))),
      expect.stringMatching(new RegExp(`^feature job ${pattern(HALFWAY)}-features: submitted through the SQL Gateway as job [0-9a-f]{32}; feature job ${pattern(HALFWAY)}-label-join: submitted through the SQL Gateway as job [0-9a-f]{32}$`)),
      expect.stringMatching(new RegExp(`^revision 1 of ${pattern(HALFWAY)} recorded \\(digest [0-9a-f]{12}, by alice\\)$`)),
      `${HALFWAY}: applied (7 changes; revision 1)`,
    ]);
    expect(await revisionsOf(HALFWAY, HALFWAY_PREFIX)).toEqual(['1:alice']);
    expect([...(await jobsOf(HALFWAY)).keys()].sort()).toEqual([`${HALFWAY}-features`, `${HALFWAY}-label-join`]);
    await cancelJobsOf(HALFWAY);
  });

  it('describes a pipeline; delete keeps its history, --purge deletes its topics only with --yes', async () => {
    // The half-way test cancelled this pipeline's jobs.
    await waitFor('the cancelled jobs to end', async () => ((await jobsOf(NAME)).size === 0 ? true : undefined), 60_000, 500);
    const described = await tributary(PREFIX, 'pipeline', 'describe', NAME);
    expect(described.code).toBe(0);
    for (const jobName of [`${NAME}-features`, `${NAME}-label-join`]) {
      expect(described.stdout).toContain(`\nfeature job ${jobName} (sql): no job of that name runs on Flink at ${config.flink.restUrl}; applying the pipeline's file again submits it (\`tributary pipeline apply <file>\`)\n`);
    }
    expect(described.stdout).toMatch(new RegExp(`^${pattern(NAME)}: Predicts each food order's delivery time`));
    expect(described.stdout).toMatch(/\n1 +alice +\S+ +[0-9a-f]{12}\s*\n2 +bob +\S+ +[0-9a-f]{12}\s*\n/);
    for (const topic of topicsOf(PREFIX, NAME)) expect(described.stdout).toMatch(new RegExp(`\n${pattern(topic)} +\\S+ +ok\n`));

    const unconfirmed = await tributary(PREFIX, 'pipeline', 'delete', NAME, '--purge');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toBe(
      `error: --purge deletes 7 topics with every record in them, for good: ${topicsOf(PREFIX, NAME).join(', ')}; nothing was changed. ` +
        `Run \`tributary pipeline delete ${NAME} --purge --yes\` to go ahead, or without --purge to keep the topics\n`,
    );
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob']);

    const purged = await tributary(PREFIX, 'pipeline', 'delete', NAME, '--purge', '--yes', '--by', 'carol');
    expect(purged).toMatchObject({ code: 0, stderr: '' });
    expect(purged.stdout).toBe(`${NAME}: deleted as revision 3; its history is kept (\`tributary pipeline describe ${NAME}\`)\n  topics deleted: ${topicsOf(PREFIX, NAME).join(', ')}\n`);
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob', '3:carol:deleted']);
    await waitFor('the purged topics to be gone', async () => ((await admin.listTopics()).some((topic) => topicsOf(PREFIX, NAME).includes(topic)) ? undefined : true));
    expect((await tributary(PREFIX, 'pipeline', 'list')).stdout).not.toContain(NAME);
  });

  it('names an unknown pipeline in one line', async () => {
    expect(await tributary(HALFWAY_PREFIX, 'pipeline', 'describe', 'nope')).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: no pipeline "nope" is applied (applied: ${HALFWAY}); \`tributary pipeline apply <file>\` creates one\n`,
    });
  });
});
