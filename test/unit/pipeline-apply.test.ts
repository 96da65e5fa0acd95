/**
 * planPipeline and applyPipeline against fakes of the cluster, the schema registry and the feature
 * jobs (the integration test runs them on the real servers): what each item says, a registry or
 * gateway refusal stops apply before any change, a failure part way names the step and what was
 * done and a second apply completes it, the jar feature job's plan from its deployment record, and
 * a SQL pipeline's two jobs planned on a fake gateway.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyDeploymentRecord, type DeploymentRecord } from '../../src/flink/deployment-record.js';
import { jarVersion } from '../../src/flink/feature-job.js';
import { FlinkSqlError } from '../../src/flink/errors.js';
import type { JobOverview } from '../../src/flink/flink-rest-client.js';
import type { SqlJobEnvironment } from '../../src/flink/sql-feature-job.js';
import type { SqlOperation, StatementResult } from '../../src/flink/sql-gateway-client.js';
import { ApplyRefusedError, PipelineApplyError } from '../../src/pipeline-apply/errors.js';
import { planFeatureJob } from '../../src/pipeline-apply/feature-job-plan.js';
import { planSqlFeatureJobs } from '../../src/pipeline-apply/sql-feature-job-plan.js';
import { applyPipeline, type ApplyDependencies } from '../../src/pipeline-apply/pipeline-apply.js';
import { planPipeline, renderPlan, type FeatureJobItem } from '../../src/pipeline-apply/pipeline-plan.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { revisionDigest, revisionDraftFromFile } from '../../src/pipelines/pipeline-revision.js';
import type { RevisionDraft } from '../../src/pipelines/pipeline-store.js';
import type { CompatibilityVerdict, RegisteredSchema } from '../../src/streaming/schema-registry-client.js';
import { FakeWorkflowControl } from '../helpers/fake-workflow-control.js';

const DAY_MS = '86400000';

function draftOf(definition: PipelineDefinition, files: Record<string, string>, appliedBy = 'alice'): RevisionDraft {
  return { name: definition.name, definition, files, digest: revisionDigest(definition, files), appliedBy, appliedAt: '2026-12-06T12:00:00.000Z' };
}

const DEFINITION = {
  name: 'eta',
  owner: 'logistics',
  sources: [{ topic: 'orders', schema: 'orders.avsc', entityKey: 'courier_id', eventTime: 'event_time' }],
  features: { topic: 'eta.features', schema: 'features.avsc', entityKey: 'courier_id', eventId: 'order_id', eventTime: 'event_time', job: { kind: 'sql', file: 'features.sql' } },
  labels: { topic: 'deliveries', schema: 'deliveries.avsc', joinKey: 'order_id', field: 'minutes', eventTime: 'label_time' },
  model: { task: 'regression', inputs: [{ field: 'distance_km', encoding: 'raw' }] },
  topics: { dlq: 'eta.dead-letters' },
} as const satisfies PipelineDefinition;
const FILES = { 'orders.avsc': '{"type":"record","name":"O","fields":[]}', 'features.avsc': '{"type":"record","name":"F","fields":[]}', 'deliveries.avsc': '{"type":"record","name":"D","fields":[]}', 'features.sql': 'SELECT 1' };

/** A cluster of topics with the catalogue's settings; `refuse` makes creating a topic fail as Kafka does. */
function fakeAdmin(refuse: Set<string> = new Set()) {
  const topics = new Map<string, Record<string, string>>();
  const created: string[] = [];
  const admin = {
    listTopics: () => Promise.resolve([...topics.keys()]),
    fetchTopicMetadata: ({ topics: names }: { topics: string[] }) => Promise.resolve({ topics: names.map((name) => ({ name, partitions: [0, 1, 2].map(() => ({ replicas: [1] })) })) }),
    describeConfigs: ({ resources }: { resources: { name: string }[] }) =>
      Promise.resolve({ resources: resources.map(({ name }) => ({ resourceName: name, configEntries: Object.entries(topics.get(name) ?? {}).map(([configName, configValue]) => ({ configName, configValue })) })) }),
    createTopics: ({ topics: specs }: { topics: { topic: string; configEntries: { name: string; value: string }[] }[] }) => {
      for (const { topic, configEntries } of specs) {
        if (refuse.has(topic)) return Promise.reject(Object.assign(new Error('Topic creation errors'), { retriable: false }));
        topics.set(topic, Object.fromEntries(configEntries.map(({ name, value }) => [name, value])));
        created.push(topic);
      }
      return Promise.resolve(true);
    },
  };
  return { admin: admin as unknown as Admin, topics, created };
}

/** A registry of subjects; `verdict` answers every compatibility check. */
function fakeRegistry(verdict: CompatibilityVerdict = { compatible: true, reasons: [] }) {
  const subjects = new Map<string, string[]>();
  const levels = new Map<string, string>();
  const registry: ApplyDependencies['schemaRegistry'] = {
    latestSchema: (subject) => {
      const versions = subjects.get(subject);
      return Promise.resolve(versions ? ({ subject, version: versions.length, id: versions.length, schema: versions.at(-1)! } satisfies RegisteredSchema) : undefined);
    },
    compatibilityLevel: (subject) => Promise.resolve(levels.get(subject)),
    checkCompatibility: () => Promise.resolve(verdict),
    setCompatibilityLevel: (subject, level) => {
      levels.set(subject, level);
      return Promise.resolve();
    },
    register: (subject, schema) => {
      const versions = subjects.get(subject) ?? [];
      if (versions.at(-1) !== schema) versions.push(schema);
      subjects.set(subject, versions);
      return Promise.resolve(versions.length);
    },
  };
  return { registry, subjects, levels };
}

/** A SQL pipeline's two jobs, both running. */
const runningSqlJobs = (): Promise<FeatureJobItem[]> =>
  Promise.resolve(['eta-features', 'eta-label-join'].map((jobName) => ({ kind: 'feature-job', action: 'unchanged', jobName, detail: `runs as job ${jobName}-id` })));

function dependencies(overrides: Partial<ApplyDependencies> = {}): ApplyDependencies {
  return {
    admin: fakeAdmin().admin,
    schemaRegistry: fakeRegistry().registry,
    store: new InMemoryPipelineStore(),
    featureJob: runningSqlJobs,
    deployFeatureJob: () => Promise.reject(new Error('the plan starts no feature job')),
    workflows: new FakeWorkflowControl(),
    prefix: 'p.',
    ...overrides,
  };
}

describe('planPipeline', () => {
  it('says, per item, what apply would create; a first plan records revision 1', async () => {
    const draft = draftOf(DEFINITION, FILES);
    const plan = await planPipeline(draft, dependencies());
    expect(renderPlan(plan)).toEqual([
      'topic p.orders: create (source, 3 partitions, retention 7 days)',
      'topic p.eta.features: create (features, 3 partitions, retention 7 days)',
      'topic p.deliveries: create (labels, 3 partitions, retention 30 days)',
      'topic p.eta.training-examples: create (training-examples, 3 partitions, retention 30 days)',
      'topic p.eta.scores: create (scores, 3 partitions, retention 30 days)',
      'topic p.eta.dead-letters: create (dlq, 3 partitions, retention 30 days)',
      "topic p.models: create (shared by the prefix's models, 1 partition, compacted)",
      "topic p.model-registry-events: create (shared by the prefix's models, 1 partition, kept forever)",
      "topic p.deployments: create (shared by the prefix's models, 1 partition, compacted)",
      'subject p.orders-value: register orders.avsc as version 1 (compatibility BACKWARD)',
      'subject p.eta.features-value: register features.avsc as version 1 (compatibility BACKWARD)',
      'subject p.deliveries-value: register deliveries.avsc as version 1 (compatibility BACKWARD)',
      'subject p.models-value: register schemas/model-artifact.avsc as version 1 (compatibility BACKWARD)',
      'subject p.model-registry-events-value: register schemas/registry-event.avsc as version 1 (compatibility BACKWARD)',
      'subject p.deployments-value: register schemas/model-deployment.avsc as version 1 (compatibility BACKWARD)',
      'subject p.eta.scores-value: register schemas/score.avsc as version 1 (compatibility BACKWARD)',
      'subject p.eta.dead-letters-value: register schemas/dead-letter.avsc as version 1 (compatibility BACKWARD)',
      'feature job eta-features: runs as job eta-features-id',
      'feature job eta-label-join: runs as job eta-label-join-id',
      `revision: record eta revision 1 (digest ${draft.digest.slice(0, 12)})`,
    ]);
  });

  it('reports a topic with other settings, which apply leaves alone', async () => {
    const cluster = fakeAdmin();
    cluster.topics.set('p.orders', { 'cleanup.policy': 'delete', 'retention.ms': DAY_MS, 'min.insync.replicas': '1' });
    const plan = await planPipeline(draftOf(DEFINITION, FILES), dependencies({ admin: cluster.admin }));
    expect(renderPlan(plan)[0]).toBe(`topic p.orders: exists with other settings: retention.ms ${DAY_MS} (defined: ${7 * Number(DAY_MS)}); apply leaves an existing topic as it is`);
  });
});

describe('applyPipeline', () => {
  it('creates, registers and records; applied again it changes nothing', async () => {
    const cluster = fakeAdmin();
    const schemas = fakeRegistry();
    const store = new InMemoryPipelineStore();
    const deps = dependencies({ admin: cluster.admin, schemaRegistry: schemas.registry, store });
    const first = await applyPipeline(draftOf(DEFINITION, FILES), deps);
    // 9 topics, 8 subjects and the revision.
    expect(first.done).toHaveLength(18);
    expect(first.revision).toMatchObject({ revision: 1, appliedBy: 'alice' });
    expect(schemas.levels.get('p.orders-value')).toBe('BACKWARD');
    // The scorer finds its output subjects registered: nothing needs `schemas register` first.
    expect(schemas.levels.get('p.eta.scores-value')).toBe('BACKWARD');
    expect(JSON.parse(schemas.subjects.get('p.eta.dead-letters-value')![0]!)).toMatchObject({ type: 'record' });
    const again = await applyPipeline(draftOf(DEFINITION, FILES, 'bob'), deps);
    expect(again.done).toEqual([]);
    expect(again.revision).toMatchObject({ revision: 1, appliedBy: 'alice' });
    expect(cluster.created).toEqual(['p.orders', 'p.eta.features', 'p.deliveries', 'p.eta.training-examples', 'p.eta.scores', 'p.eta.dead-letters', 'p.models', 'p.model-registry-events', 'p.deployments']);
  });

  it('refuses before any change when the registry would refuse a schema, with its reasons in one line', async () => {
    const cluster = fakeAdmin();
    const schemas = fakeRegistry({ compatible: false, reasons: ['tip at /fields/4', 'reader field without default'] });
    schemas.subjects.set('p.deliveries-value', ['{"type":"record","name":"D","fields":[{"name":"old","type":"int"}]}']);
    const store = new InMemoryPipelineStore();
    const refused = applyPipeline(draftOf(DEFINITION, FILES), dependencies({ admin: cluster.admin, schemaRegistry: schemas.registry, store }));
    await expect(refused).rejects.toBeInstanceOf(ApplyRefusedError);
    await expect(refused).rejects.toThrow(
      'eta: nothing applied, the schema registry would refuse a schema:\n' +
        'subject p.deliveries-value: the registry refuses deliveries.avsc after version 1 under its default level: tip at /fields/4; reader field without default',
    );
    expect(cluster.created).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('stopped part way, says the step and what was done; a second apply completes it', async () => {
    const refuse = new Set(['p.eta.scores']);
    const cluster = fakeAdmin(refuse);
    const store = new InMemoryPipelineStore();
    const deps = dependencies({ admin: cluster.admin, store });
    const failed = await applyPipeline(draftOf(DEFINITION, FILES), deps).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(PipelineApplyError);
    expect((failed as PipelineApplyError).message).toBe(
      'apply of eta stopped at creating topic p.eta.scores: creating topic p.eta.scores failed: Topic creation errors\n' +
        'done before it: topic p.orders: created; topic p.eta.features: created; topic p.deliveries: created; topic p.eta.training-examples: created\n' +
        'the revision is not recorded; remove the cause, then apply the same file again: it skips what is done and completes the rest',
    );
    expect(await store.list()).toEqual([]);

    refuse.clear();
    const completed = await applyPipeline(draftOf(DEFINITION, FILES), deps);
    expect(completed.done.slice(0, 2)).toEqual(['topic p.eta.scores: created', 'topic p.eta.dead-letters: created']);
    // The rest of the topics, 8 subjects and the revision.
    expect(completed.done).toHaveLength(14);
    expect(completed.revision.revision).toBe(1);
  });

  it('deploys a jar job the plan says to deploy, before recording the revision', async () => {
    const order: string[] = [];
    const store = new InMemoryPipelineStore();
    const outcome = await applyPipeline(draftOf(DEFINITION, FILES), dependencies({
      store,
      featureJob: () => Promise.resolve([{ kind: 'feature-job', action: 'upgrade', jobName: 'eta-features', detail: 'upgrade v1 → v2' }]),
      deployFeatureJob: async (_draft, items) => {
        order.push(`deploy ${items.map((item) => item.jobName).join(', ')}`, `revisions then: ${(await store.list()).length}`);
        return 'feature job eta-features: deployed';
      },
    }));
    expect(order).toEqual(['deploy eta-features', 'revisions then: 0']);
    expect(outcome.done.at(-2)).toBe('feature job eta-features: deployed');
  });

  it('submits the SQL jobs that do not run, after the schemas and before the revision; applied again with both running, it changes nothing', async () => {
    const schemas = fakeRegistry();
    const store = new InMemoryPipelineStore();
    const running = new Set(['eta-features']);
    const started: string[][] = [];
    const deps = dependencies({
      schemaRegistry: schemas.registry,
      store,
      featureJob: () =>
        Promise.resolve(['eta-features', 'eta-label-join'].map((jobName): FeatureJobItem => ({ kind: 'feature-job', action: running.has(jobName) ? 'unchanged' : 'submit', jobName, detail: '' }))),
      deployFeatureJob: async (_draft, items) => {
        started.push([`subjects then: ${schemas.subjects.size}`, `revisions then: ${(await store.list()).length}`, ...items.map((item) => item.jobName)]);
        for (const item of items) running.add(item.jobName);
        return 'feature job eta-label-join: submitted';
      },
    });
    const first = await applyPipeline(draftOf(DEFINITION, FILES), deps);
    expect(started).toEqual([['subjects then: 8', 'revisions then: 0', 'eta-label-join']]);
    expect(first.done.slice(-2)).toEqual(['feature job eta-label-join: submitted', expect.stringMatching(/^revision 1 of eta recorded/)]);
    const again = await applyPipeline(draftOf(DEFINITION, FILES), deps);
    expect(again.done).toEqual([]);
    expect(started).toHaveLength(1);
  });

  it('refuses before any change when the gateway refuses a feature query, naming its line', async () => {
    const cluster = fakeAdmin();
    const store = new InMemoryPipelineStore();
    const refused = applyPipeline(draftOf(DEFINITION, FILES), dependencies({
      admin: cluster.admin,
      store,
      featureJob: () => Promise.resolve([
        { kind: 'feature-job', action: 'refused', jobName: 'eta-features', detail: 'the SQL Gateway refuses it: features.sql:3: Column \'x\' not found' },
        { kind: 'feature-job', action: 'submit', jobName: 'eta-label-join', detail: '' },
      ]),
    }));
    await expect(refused).rejects.toThrow(
      'eta: nothing applied, the SQL Gateway refuses a feature job:\nfeature job eta-features: the SQL Gateway refuses it: features.sql:3: Column \'x\' not found',
    );
    expect(cluster.created).toEqual([]);
    expect(await store.list()).toEqual([]);
  });
});

describe('planFeatureJob for a jar job', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-feature-job-plan-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(join(scratch, 'job.jar'), 'jar bytes v2');
  const definition: PipelineDefinition = { ...DEFINITION, features: { ...DEFINITION.features, job: { kind: 'jar', name: 'eta-job', jar: 'job.jar', mainClass: 'a.B' } } };
  const draft = draftOf(definition, FILES);
  const records = (record: DeploymentRecord) => ({ read: () => Promise.resolve(record) });
  const deployed = (version: string): DeploymentRecord => ({
    ...emptyDeploymentRecord('eta-job'),
    current: { jobId: 'f'.repeat(32), spec: { jobName: 'eta-job', version, jarPath: '/x.jar', entryClass: 'a.B', programArgs: [] }, since: 0, restoredFrom: undefined, deployedBy: 'run' },
  });
  const version = jarVersion(join(scratch, 'job.jar'));

  it('deploys when no deployment is recorded', async () => {
    expect(await planFeatureJob(draft, scratch, records(emptyDeploymentRecord('eta-job')))).toEqual({
      kind: 'feature-job', action: 'deploy', jobName: 'eta-job', detail: `deploy ${version} through flinkDeploy (no deployment of eta-job is recorded)`,
    });
  });

  it('leaves a job that runs the same jar', async () => {
    expect(await planFeatureJob(draft, scratch, records(deployed(version)))).toMatchObject({ action: 'unchanged', detail: `unchanged: ${version} runs as job ${'f'.repeat(32)}` });
  });

  it('upgrades another version by savepoint', async () => {
    expect(await planFeatureJob(draft, scratch, records(deployed('jar-000000000000')))).toMatchObject({
      action: 'upgrade',
      detail: `upgrade jar-000000000000 → ${version} through flinkDeploy by savepoint: stop job ${'f'.repeat(32)} with a savepoint, start the new version from it, watch its health, roll back on failure`,
    });
  });

});

describe('planSqlFeatureJobs on a fake gateway and cluster', () => {
  const draft = revisionDraftFromFile(fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url)), { appliedBy: 'alice', appliedAt: '2026-12-06T12:00:00.000Z' });
  const env: SqlJobEnvironment = { bootstrapServers: 'k:9092', schemaRegistryUrl: 'http://r/apis/ccompat/v7', topicPrefix: 'acme.', piiKeyFile: '/k', functionsJar: '/f.jar' };

  /** Records each job the gateway is asked to plan; `refuse` fails a statement as the gateway does. */
  function fakes(options: { readonly running?: readonly string[]; readonly refuse?: (statement: string) => boolean } = {}) {
    const checked: string[] = [];
    const gateway = {
      openSession: async (): Promise<string> => 'session',
      closeSession: async (): Promise<void> => undefined,
      executeStatement: async (sessionHandle: string, statement: string): Promise<SqlOperation> => ({ sessionHandle, operationHandle: 'op', statement }),
      fetchResults: async (operation: SqlOperation): Promise<StatementResult> => {
        if (operation.statement.startsWith('EXPLAIN ')) checked.push(/INSERT INTO `(\w+)`/.exec(operation.statement)![1]!);
        if (options.refuse?.(operation.statement)) {
          throw new FlinkSqlError('the statement failed', { statement: operation.statement, flinkErrors: ['Caused by: org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered "x" at line 2, column 1.'] });
        }
        return { resultKind: 'SUCCESS', columns: [], rows: [], jobId: undefined };
      },
    };
    const flink = {
      listJobs: async (): Promise<JobOverview[]> => [
        ...(options.running ?? []).map((name, index) => ({ jid: `run-${index}`, name, state: 'RUNNING' }) as JobOverview),
        { jid: 'gone', name: 'delivery-time-label-join', state: 'CANCELED' } as JobOverview,
      ],
    };
    return { checked, planned: { env, gateway, flink } };
  }

  it('checks both jobs and submits those that do not run under the prefix (a cancelled one does not count)', async () => {
    const { checked, planned } = fakes({ running: ['acme.delivery-time-features', 'delivery-time-label-join'] });
    expect(await planSqlFeatureJobs(draft, planned)).toEqual([
      {
        kind: 'feature-job',
        action: 'unchanged',
        jobName: 'delivery-time-features',
        detail: 'runs as job run-0; left as it is (no applied revision says which statements it runs)',
      },
      // The bare name is another prefix's job.
      { kind: 'feature-job', action: 'submit', jobName: 'delivery-time-label-join', detail: 'submit through the SQL Gateway as Flink job acme.delivery-time-label-join (the gateway plans it as it stands)' },
    ]);
    expect(checked).toEqual(['delivery_features', 'training_examples']);
  });

  it('upgrades a running job whose statements changed since the applied revision, by savepoint unless --discard-state', async () => {
    const { planned } = fakes({ running: ['acme.delivery-time-features', 'acme.delivery-time-label-join'] });
    const applied = { definition: draft.definition, files: draft.files, revision: 3 };
    const same = await planSqlFeatureJobs(draft, planned, applied);
    expect(same.map((item) => [item.action, item.detail])).toEqual([
      ['unchanged', 'runs as job run-0, with the statements of revision 3'],
      ['unchanged', 'runs as job run-1, with the statements of revision 3'],
    ]);
    const edited = { ...draft, files: { ...draft.files, 'features.sql': draft.files['features.sql']!.replace('o.distance_km,', '0.5 * o.distance_km AS distance_km,') } };
    const [features, labelJoin] = await planSqlFeatureJobs(edited, planned, applied);
    expect(features).toMatchObject({ action: 'upgrade', previous: { flinkName: 'acme.delivery-time-features' } });
    expect(features!.detail).toBe(
      'upgrade by savepoint (its statements changed since revision 3): stop job run-0 with a savepoint and start the changed job from it, so its output continues exactly once; ' +
        'if Flink cannot start it from the savepoint, the previous job starts again from it and apply stops, saying so',
    );
    expect(labelJoin?.action).toBe('unchanged');
    const [discarding] = await planSqlFeatureJobs(edited, { ...planned, discardState: true }, applied);
    expect(discarding!.detail).toMatch(/^upgrade \(its statements changed since revision 3\) WITHOUT its state, as --discard-state asks: stop job run-0 with a savepoint, then start the changed job empty; /);
  });

  it('a query the gateway refuses is a refused item naming the file\'s line, even while its job runs', async () => {
    const { planned } = fakes({ running: ['acme.delivery-time-features'], refuse: (statement) => statement.startsWith('EXPLAIN INSERT INTO `delivery_features`') });
    const [features, labelJoin] = await planSqlFeatureJobs(draft, planned);
    expect(features).toEqual({
      kind: 'feature-job',
      action: 'refused',
      jobName: 'delivery-time-features',
      detail: 'the SQL Gateway refuses it: features.sql:20: SQL parse failed. Encountered "x" at line 20, column 1.',
    });
    expect(labelJoin?.action).toBe('submit');
  });

  it('a gateway that cannot be reached is an error, not a refusal', async () => {
    const { planned } = fakes();
    const unreachable = { ...planned, gateway: { ...planned.gateway, openSession: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8083')) } };
    await expect(planSqlFeatureJobs(draft, unreachable)).rejects.toThrow('connect ECONNREFUSED 127.0.0.1:8083');
  });
});
