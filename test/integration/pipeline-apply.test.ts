/**
 * `tributary pipeline plan | apply | describe | delete`, the built binary on the real Kafka, Schema
 * Registry, SQL Gateway and Flink cluster, for the delivery example (examples/delivery: its schemas
 * and Flink SQL query) under a pipeline name and topic prefix of this run's own, so no other run's
 * topics, subjects or Flink jobs are taken for its own: plan checks the feature query and the
 * label join on the gateway and changes nothing; apply creates the topics, registers the subjects,
 * submits both jobs (they run) and records revision 1; re-applying changes nothing and starts no
 * job; a compatible labels schema change upgrades the label join by savepoint, Flink refuses to
 * restore its state, the previous job runs again from the savepoint, and --discard-state then
 * records revision 2; plan shows the registry's refusal of an
 * incompatible change and the gateway's of a broken query (its line), and apply then changes
 * nothing; an apply Kafka stops part way says what it did, and a second apply completes it. Apply
 * also creates the prefix's shared model topics and the scores and dead-letter subjects, and starts
 * the threshold trigger and drift monitor the example declares (a worker of this run's own task
 * queue answers their status queries); a changed threshold is planned as an update and reaches the
 * running trigger by signal. The jobs it started are cancelled as soon as they are not needed: task
 * slots are shared.
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
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import { driftMonitorWorkflowId } from '../../src/workflows/drift-monitor.js';
import { statusQuery, thresholdTriggerWorkflowId } from '../../src/workflows/threshold-trigger.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/delivery/', import.meta.url));
const RUN = randomUUID().slice(0, 8);
const PREFIX = `test-${RUN}.`;
/** The half-way pipeline's prefix: the example's source topics are the query's table names, so a second pipeline of it needs topics of its own. */
const HALFWAY_PREFIX = `test-${RUN}-halfway.`;
/** The pipelines' names are this run's own, so are their models' workflow ids. */
const NAME = `delivery-${RUN}`;
const HALFWAY = `halfway-${RUN}`;
const base = loadConfig();
const config: TributaryConfig = { ...base, topics: { prefix: PREFIX }, temporal: { ...base.temporal, taskQueue: `test-pipeline-apply-${RUN}` } };
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
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: prefix, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every Kafka topic of pipeline `name`, in the order apply creates them. */
const topicsOf = (prefix: string, name: string): string[] => [
  ...['orders', 'courier-assignments', 'delivery-features', 'deliveries'].map((topic) => `${prefix}${topic}`),
  ...['training-examples', 'scores', 'dlq'].map((topic) => `${prefix}${name}.${topic}`),
];
/** The shared topics of a prefix that its models need. */
const platformTopicsOf = (prefix: string): string[] => ['models', 'model-registry-events', 'deployments'].map((topic) => `${prefix}${topic}`);
const SUBJECT_FILES = [['orders', 'schemas/order.avsc'], ['courier-assignments', 'schemas/courier-assignment.avsc'], ['delivery-features', 'schemas/delivery-features.avsc'], ['deliveries', 'schemas/delivery.avsc']] as const;
/** The subjects apply registers from Tributary's own schema files, after the pipeline's. */
const platformSubjectsOf = (prefix: string, name: string): (readonly [string, string])[] => [
  [`${prefix}models`, 'schemas/model-artifact.avsc'],
  [`${prefix}model-registry-events`, 'schemas/registry-event.avsc'],
  [`${prefix}deployments`, 'schemas/model-deployment.avsc'],
  [`${prefix}${name}.scores`, 'schemas/score.avsc'],
  [`${prefix}${name}.dlq`, 'schemas/dead-letter.avsc'],
];
const pattern = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const revisionsOf = async (name: string, prefix = PREFIX): Promise<string[]> => {
  const store = await createPipelineStore({ ...config, topics: { prefix } });
  try {
    return (await store.history(name)).map((revision) => `${revision.revision}:${revision.appliedBy}${revision.deleted ? ':deleted' : ''}`);
  } finally {
    await store.close();
  }
};

/** The feature query and label join of pipeline `name` that have not ended, by job name; on Flink their names carry the topic prefix. */
const jobsOf = async (name: string, prefix = name === HALFWAY ? HALFWAY_PREFIX : PREFIX): Promise<Map<string, { jid: string; state: string }>> =>
  new Map(
    (await flink.listJobs())
      .filter((job) => [`${prefix}${name}-features`, `${prefix}${name}-label-join`].includes(job.name) && !TERMINAL_JOB_STATES.includes(job.state))
      .map((job) => [job.name.slice(prefix.length), { jid: job.jid, state: job.state }]),
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
  /** Answers the status queries of the workflows apply starts, on this run's task queue. */
  const stopWorker = new AbortController();
  let worker: Promise<void> | undefined;
  let modelRegistry: KafkaModelRegistry | undefined;
  const workerDir = mkdtempSync(join(tmpdir(), 'tributary-pipeline-apply-worker-'));

  beforeAll(async () => {
    for (const dir of [scratch, halfwayDir]) cpSync(EXAMPLE, dir, { recursive: true });
    writeFileSync(file, definition(NAME));
    writeFileSync(join(halfwayDir, 'pipeline.yaml'), definition(HALFWAY));
    await admin.connect();
  });

  afterAll(async () => {
    const client = await connectClient(config);
    for (const model of [NAME, HALFWAY]) {
      for (const id of [thresholdTriggerWorkflowId(model), driftMonitorWorkflowId(model)]) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
    await closeClient(client);
    stopWorker.abort();
    await worker;
    await modelRegistry?.close();
    rmSync(workerDir, { recursive: true, force: true });
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
    expect(lines.slice(0, 10)).toEqual([...topicsOf(PREFIX, NAME), ...platformTopicsOf(PREFIX)].map((topic) => expect.stringMatching(new RegExp(`^topic ${pattern(topic)}: create \\(`)) as unknown as string));
    expect(lines.slice(10, 19)).toEqual([
      ...SUBJECT_FILES.map(([topic, schema]) => `subject ${PREFIX}${topic}-value: register ${schema} as version 1 (compatibility BACKWARD)`),
      ...platformSubjectsOf(PREFIX, NAME).map(([topic, schema]) => `subject ${topic}-value: register ${schema} as version 1 (compatibility BACKWARD)`),
    ]);
    expect(lines.slice(19, 21)).toEqual([
      `feature job ${NAME}-features: submit through the SQL Gateway as Flink job ${PREFIX}${NAME}-features (the gateway plans it as it stands)`,
      `feature job ${NAME}-label-join: submit through the SQL Gateway as Flink job ${PREFIX}${NAME}-label-join (the gateway plans it as it stands)`,
    ]);
    expect(lines.slice(21, 23)).toEqual([
      `threshold trigger threshold-trigger:${NAME}: start`,
      `drift monitor drift-monitor:${NAME}: start; until ${NAME} has a champion each check finds nothing to compare and the monitor waits`,
    ]);
    expect(lines[23]).toMatch(new RegExp(`^revision: record ${pattern(NAME)} revision 1 \\(digest [0-9a-f]{12}\\)$`));
    expect(lines[24]).toBe(`${NAME}: \`tributary pipeline apply ${file}\` carries this out`);
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX))).toEqual([]);
    expect(await registry.latestSchema(`${PREFIX}orders-value`)).toBeUndefined();
    expect(await jobsOf(NAME)).toEqual(new Map());
  });

  it('applies the file: topics, subjects, both SQL jobs, then revision 1 by --by', async () => {
    const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'alice');
    expectOnlyProgress(run.stderr);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 10)).toEqual([...topicsOf(PREFIX, NAME), ...platformTopicsOf(PREFIX)].map((topic) => `topic ${topic}: created`));
    expect(lines.slice(10, 19)).toEqual([...SUBJECT_FILES.map(([topic, schema]) => [`${PREFIX}${topic}`, schema] as const), ...platformSubjectsOf(PREFIX, NAME)].map(([topic, schema]) =>
      expect.stringMatching(new RegExp(`^subject ${pattern(topic)}-value: registered ${pattern(schema)} as version 1 \\(schema id \\d+\\)$`)) as unknown as string));
    const submitted = /^feature job (\S+)-features: submitted through the SQL Gateway as job ([0-9a-f]{32}); feature job (\S+)-label-join: submitted through the SQL Gateway as job ([0-9a-f]{32})$/.exec(lines[19]!);
    expect(submitted?.slice(1)).toEqual([NAME, expect.any(String), NAME, expect.any(String)]);
    expect(lines.slice(20)).toEqual([
      `threshold trigger threshold-trigger:${NAME}: started`,
      `drift monitor drift-monitor:${NAME}: started`,
      expect.stringMatching(new RegExp(`^revision 1 of ${pattern(NAME)} recorded \\(digest [0-9a-f]{12}, by alice\\)$`)),
      `${NAME}: applied (23 changes; revision 1)`,
    ]);
    // The model registry and the scorer find their topics and subjects: no topics ensure or schemas register is needed.
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(platformTopicsOf(PREFIX)));
    expect(await registry.compatibilityLevel(`${PREFIX}${NAME}.scores-value`)).toBe('BACKWARD');
    modelRegistry = await createModelRegistry(config);
    let polling: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (polling = resolve));
    worker = runTributaryWorker(config, { registry: modelRegistry, artifactDirectory: workerDir, signal: stopWorker.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([started, worker]);

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
    expect(plan.stdout).toContain(`feature job ${NAME}-features: runs as job ${before.get(`${NAME}-features`)!.jid}, with the statements of revision 1\n`);
    expect(plan.stdout).toContain(`threshold trigger threshold-trigger:${NAME}: unchanged (runs as defined)\ndrift monitor drift-monitor:${NAME}: unchanged (runs as defined)\n`);
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

  it('a compatible labels schema change upgrades the label join by savepoint; Flink cannot restore its state, so the previous job runs again; --discard-state completes revision 2', async () => {
    const before = await jobsOf(NAME);
    const schema = JSON.parse(readFileSync(labelsSchema, 'utf8')) as { fields: unknown[] };
    schema.fields.push({ name: 'rating', type: ['null', 'int'], default: null });
    compatibleLabels = JSON.stringify(schema, null, 2);
    writeFileSync(labelsSchema, compatibleLabels);
    const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
    expect(plan.stdout).toContain(`subject ${PREFIX}deliveries-value: register schemas/delivery.avsc as the version after 1 (the registry says compatible under BACKWARD)\n`);
    expect(plan.stdout).toMatch(new RegExp(`revision: record ${pattern(NAME)} revision 2 \\(digest [0-9a-f]{12}; revision 1 is [0-9a-f]{12}\\)\n`));
    // The feature query does not read the labels; the label join does, so its table and state change.
    expect(plan.stdout).toContain(`feature job ${NAME}-features: runs as job ${before.get(`${NAME}-features`)!.jid}, with the statements of revision 1\n`);
    expect(plan.stdout).toContain(`feature job ${NAME}-label-join: upgrade by savepoint (its statements changed since revision 1): stop job ${before.get(`${NAME}-label-join`)!.jid} with a savepoint`);

    const refused = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'bob');
    expect(refused.code).toBe(1);
    const back = new RegExp(
      `^error: apply of ${pattern(NAME)} stopped at starting feature job ${pattern(NAME)}-label-join: feature job ${pattern(NAME)}-label-join: ` +
        'Flink cannot start the changed job from savepoint \\S+: .+\\. The previous job runs again from that savepoint as job ([0-9a-f]{32}), so no event is lost or written twice\\. .*--discard-state',
      'm',
    ).exec(refused.stderr);
    expect(back).not.toBeNull();
    expect(await revisionsOf(NAME)).toEqual(['1:alice']);
    const restored = await waitFor('the previous label join to run again', async () => {
      const jobs = await jobsOf(NAME);
      return jobs.get(`${NAME}-label-join`)?.state === 'RUNNING' ? jobs : undefined;
    }, 120_000, 500);
    expect(restored.get(`${NAME}-label-join`)?.jid).toBe(back![1]);
    expect(restored.get(`${NAME}-features`)).toEqual(before.get(`${NAME}-features`));

    // Starting the changed job without its state is said before it is taken, and taken only when asked.
    const discarding = await tributary(PREFIX, 'pipeline', 'plan', file, '--discard-state');
    expect(discarding.stdout).toContain(`feature job ${NAME}-label-join: upgrade (its statements changed since revision 1) WITHOUT its state, as --discard-state asks: stop job ${back![1]} with a savepoint`);
    const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'bob', '--discard-state');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(
        `^feature job ${pattern(NAME)}-features: already running, left as it is: job ${before.get(`${NAME}-features`)!.jid}; ` +
          `feature job ${pattern(NAME)}-label-join: upgraded by savepoint; now job [0-9a-f]{32} \\(started WITHOUT the state of savepoint \\S+\\)$`,
      )),
      expect.stringMatching(new RegExp(`^revision 2 of ${pattern(NAME)} recorded \\(digest [0-9a-f]{12}, by bob\\)$`)),
      `${NAME}: applied (2 changes; revision 2)`,
    ]);
    expect((await registry.latestSchema(`${PREFIX}deliveries-value`))?.version).toBe(2);
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob']);
    const after = await waitFor('the changed label join to run', async () => {
      const jobs = await jobsOf(NAME);
      return jobs.get(`${NAME}-label-join`)?.state === 'RUNNING' ? jobs : undefined;
    }, 120_000, 500);
    expect(after.get(`${NAME}-label-join`)?.jid).not.toBe(back![1]);
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
      expect(plan.stdout).toMatch(new RegExp(`^feature job ${pattern(NAME)}-label-join: runs as job [0-9a-f]{32}, with the statements of revision 2$`, 'm'));
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

  it('a changed trigger threshold is planned as an update and reaches the running trigger by signal; applied again, nothing changes', async () => {
    const client = await connectClient(config);
    try {
      const trigger = client.workflow.getHandle(thresholdTriggerWorkflowId(NAME));
      const { runId } = await trigger.describe();
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^( {2}threshold:) 1000$/m, '$1 400'));
      const plan = await tributary(PREFIX, 'pipeline', 'plan', file);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain(`\nthreshold trigger threshold-trigger:${NAME}: update threshold 1000 → 400 by its setThreshold signal, at once\ndrift monitor drift-monitor:${NAME}: unchanged (runs as defined)\n`);
      const run = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'dave');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout.trimEnd().split('\n')).toEqual([
        `threshold trigger threshold-trigger:${NAME}: threshold set to 400, minPositives 0, by signal`,
        expect.stringMatching(new RegExp(`^revision 3 of ${pattern(NAME)} recorded \\(digest [0-9a-f]{12}, by dave\\)$`)),
        `${NAME}: applied (2 changes; revision 3)`,
      ]);
      expect((await trigger.query(statusQuery)).threshold).toBe(400);
      // The same run, signalled: its progress is its own.
      expect((await trigger.describe()).runId).toBe(runId);
      expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob', '3:dave']);
      const again = await tributary(PREFIX, 'pipeline', 'apply', file, '--by', 'dave');
      expect(again.stdout).toMatch(new RegExp(`^${pattern(NAME)}: nothing to change; the live system is as defined \\(revision 3, `));
    } finally {
      await closeClient(client);
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
      ...[topics[6]!, ...platformTopicsOf(HALFWAY_PREFIX)].map((topic) => `topic ${topic}: created`),
      ...[...SUBJECT_FILES.map(([topic, schema]) => [`${HALFWAY_PREFIX}${topic}`, schema] as const), ...platformSubjectsOf(HALFWAY_PREFIX, HALFWAY)].map(([topic, schema]) =>
        expect.stringMatching(new RegExp(`^subject ${pattern(topic)}-value: registered ${pattern(schema)} as version 1 \\(schema id \\d+\\)$`))),
      expect.stringMatching(new RegExp(`^feature job ${pattern(HALFWAY)}-features: submitted through the SQL Gateway as job [0-9a-f]{32}; feature job ${pattern(HALFWAY)}-label-join: submitted through the SQL Gateway as job [0-9a-f]{32}$`)),
      `threshold trigger threshold-trigger:${HALFWAY}: started`,
      `drift monitor drift-monitor:${HALFWAY}: started`,
      expect.stringMatching(new RegExp(`^revision 1 of ${pattern(HALFWAY)} recorded \\(digest [0-9a-f]{12}, by alice\\)$`)),
      `${HALFWAY}: applied (17 changes; revision 1)`,
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
      expect(described.stdout).toContain(`\nfeature job ${jobName} (sql): no job named ${PREFIX}${jobName} runs on Flink at ${config.flink.restUrl}; applying the pipeline's file again submits it (\`tributary pipeline apply <file>\`)\n`);
    }
    expect(described.stdout).toMatch(new RegExp(`^${pattern(NAME)}: Predicts each food order's delivery time`));
    expect(described.stdout).toMatch(/\n1 +alice +\S+ +[0-9a-f]{12}\s*\n2 +bob +\S+ +[0-9a-f]{12}\s*\n3 +dave +\S+ +[0-9a-f]{12}\s*\n/);
    for (const topic of topicsOf(PREFIX, NAME)) expect(described.stdout).toMatch(new RegExp(`\n${pattern(topic)} +\\S+ +ok\n`));

    const unconfirmed = await tributary(PREFIX, 'pipeline', 'delete', NAME, '--purge');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toBe(
      `error: --purge deletes 7 topics with every record in them, for good: ${topicsOf(PREFIX, NAME).join(', ')}; nothing was changed. ` +
        `Run \`tributary pipeline delete ${NAME} --purge --yes\` to go ahead, or without --purge to keep the topics\n`,
    );
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob', '3:dave']);

    const purged = await tributary(PREFIX, 'pipeline', 'delete', NAME, '--purge', '--yes', '--by', 'carol');
    expect(purged).toMatchObject({ code: 0, stderr: '' });
    // The trigger and drift monitor apply started are stopped with it; nothing else of the pipeline keeps running.
    expect(purged.stdout.trimEnd().split('\n')).toEqual([
      `${NAME}: deleted as revision 4; its history is kept (\`tributary pipeline describe ${NAME}\`)`,
      expect.stringMatching(new RegExp(`^  threshold trigger threshold-trigger:${pattern(NAME)}: (stopped after \\d+ polls|asked to stop; it ends after the poll in progress)$`)),
      expect.stringMatching(new RegExp(`^  drift monitor drift-monitor:${pattern(NAME)}: (stopped after \\d+ checks|asked to stop; it ends after the check in progress)$`)),
      `  topics deleted: ${topicsOf(PREFIX, NAME).join(', ')}`,
    ]);
    const client = await connectClient(config);
    try {
      for (const id of [thresholdTriggerWorkflowId(NAME), driftMonitorWorkflowId(NAME)]) {
        await waitFor(`${id} to end`, async () => ((await client.workflow.getHandle(id).describe()).status.name === 'RUNNING' ? undefined : true), 60_000, 500);
      }
    } finally {
      await closeClient(client);
    }
    expect(await revisionsOf(NAME)).toEqual(['1:alice', '2:bob', '3:dave', '4:carol:deleted']);
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
