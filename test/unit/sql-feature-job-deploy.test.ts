/**
 * The feature-job step of a SQL pipeline, on a fake gateway, cluster and registry that record
 * calls: both jobs are checked before either is submitted, the training-example schema is
 * registered first, a running job is left alone, and a query the gateway refuses starts nothing.
 * Jobs run on Flink under the topic prefix. A changed job is upgraded by savepoint; when Flink
 * cannot start it from the savepoint, the previous job runs again from it; --discard-state starts
 * it without.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { FlinkSqlError } from '../../src/flink/errors.js';
import type { JobOverview } from '../../src/flink/flink-rest-client.js';
import { trainingExampleSchema } from '../../src/flink/label-join.js';
import { ensureSqlPipelineJobs } from '../../src/flink/sql-feature-job-deploy.js';
import { SqlJobRestoreError, SqlStatementError } from '../../src/flink/sql-feature-job-errors.js';
import { buildSqlFeatureJob, readDefinitionFiles, type SqlJobEnvironment } from '../../src/flink/sql-feature-job.js';
import { FlinkJobStateError } from '../../src/flink/errors.js';
import type { SqlOperation, StatementResult, SubmitInsertOptions } from '../../src/flink/sql-gateway-client.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

const DEFINITION_FILE = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
const definition = loadPipelineDefinition(DEFINITION_FILE);
const files = readDefinitionFiles(definition, dirname(DEFINITION_FILE));
const config = { ...loadConfig({ env: {} }), topics: { prefix: 'acme.' } };
const env: SqlJobEnvironment = { bootstrapServers: 'k:9092', schemaRegistryUrl: 'http://r/apis/ccompat/v7', topicPrefix: 'acme.', piiKeyFile: '/k', functionsJar: '/f.jar' };

/** A gateway, cluster and registry that record what is asked of them, in one list. */
function fakes(options: { readonly running?: readonly string[]; readonly refuse?: (statement: string) => boolean; readonly failsToRestore?: boolean } = {}) {
  const calls: string[] = [];
  let jobs = 0;
  const gateway = {
    openSession: async (): Promise<string> => 'session',
    closeSession: async (): Promise<void> => undefined,
    executeStatement: async (sessionHandle: string, statement: string): Promise<SqlOperation> => ({ sessionHandle, operationHandle: 'op', statement }),
    fetchResults: async (operation: SqlOperation): Promise<StatementResult> => {
      if (operation.statement.startsWith('EXPLAIN ')) calls.push(`check ${/INSERT INTO `(\w+)`/.exec(operation.statement)![1]}`);
      if (options.refuse?.(operation.statement)) {
        throw new FlinkSqlError('the statement failed', { statement: operation.statement, flinkErrors: ['Caused by: org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered "x" at line 2, column 1.'] });
      }
      return { resultKind: 'SUCCESS', columns: [], rows: [], jobId: undefined };
    },
    submitInsert: async (sql: string, submitted?: SubmitInsertOptions): Promise<string> => {
      const from = submitted?.config?.['execution.state-recovery.path'];
      calls.push(`submit ${submitted?.sessionProperties?.['pipeline.name']}${from === undefined ? '' : ` from ${from}`}${sql.includes('0.5 * o.distance_km') ? ' (changed)' : ''}`);
      jobs += 1;
      return `job-${jobs}`;
    },
  };
  const flink = {
    listJobs: async (): Promise<JobOverview[]> => (options.running ?? []).map((name, index) => ({ jid: `old-${index}`, name, state: 'RUNNING' }) as JobOverview),
    stopWithSavepoint: async (jobId: string): Promise<string> => {
      calls.push(`stop ${jobId} with a savepoint`);
      return 'trigger';
    },
    waitForSavepoint: async (jobId: string): Promise<string> => `file:/savepoints/${jobId}`,
    waitForJobState: async (jobId: string) => {
      // The first job submitted is the changed one: it fails to restore when asked to.
      if (options.failsToRestore === true && jobId === 'job-1') throw new FlinkJobStateError('FAILED', ['RUNNING'], { jobId, flinkErrors: ['Failed to rollback to checkpoint/savepoint'] });
      calls.push(`${jobId} running`);
      return {} as never;
    },
  };
  const registry = {
    register: async (subject: string, schema: string): Promise<number> => {
      expect(schema).toBe(trainingExampleSchema(definition, files));
      calls.push(`register ${subject}`);
      return 1;
    },
  };
  return { calls, step: { config, definition, files, gateway, flink, registry, env } };
}

describe('ensureSqlPipelineJobs', () => {
  it('checks both jobs, registers the training-example schema, then submits both', async () => {
    const { calls, step } = fakes();
    expect(await ensureSqlPipelineJobs(step)).toEqual([
      { jobName: 'delivery-time-features', action: 'submitted', jobId: 'job-1' },
      { jobName: 'delivery-time-label-join', action: 'submitted', jobId: 'job-2' },
    ]);
    expect(calls).toEqual([
      'check delivery_features',
      'check training_examples',
      'register acme.delivery-time.training-examples-value',
      'submit acme.delivery-time-features',
      'submit acme.delivery-time-label-join',
    ]);
  });

  it('leaves running jobs alone and starts only the missing one', async () => {
    const { calls, step } = fakes({ running: ['acme.delivery-time-features', 'delivery-time-label-join'] });
    expect(await ensureSqlPipelineJobs(step)).toEqual([
      { jobName: 'delivery-time-features', action: 'running', jobId: 'old-0' },
      { jobName: 'delivery-time-label-join', action: 'submitted', jobId: 'job-1' },
    ]);
    // A job of the same name without the prefix is another prefix's.
    expect(calls).toEqual(['check training_examples', 'register acme.delivery-time.training-examples-value', 'submit acme.delivery-time-label-join']);
  });

  it('does nothing when both run', async () => {
    const { calls, step } = fakes({ running: ['acme.delivery-time-features', 'acme.delivery-time-label-join'] });
    expect((await ensureSqlPipelineJobs(step)).map((outcome) => outcome.action)).toEqual(['running', 'running']);
    expect(calls).toEqual([]);
  });

  it('starts nothing when the gateway refuses the feature query, and names its line', async () => {
    const { calls, step } = fakes({ refuse: (statement) => statement.startsWith('EXPLAIN INSERT INTO `delivery_features`') });
    const failure = await ensureSqlPipelineJobs(step).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SqlStatementError);
    expect((failure as Error).message).toBe('features.sql:20: SQL parse failed. Encountered "x" at line 20, column 1.');
    expect(calls).toEqual(['check delivery_features']);
  });

  describe('a changed feature query', () => {
    const changedFiles = { ...files, [definition.features.job.kind === 'sql' ? definition.features.job.file : '']: files['features.sql']!.replace('o.distance_km,', '0.5 * o.distance_km AS distance_km,') };
    const previous = buildSqlFeatureJob(definition, files, env);
    const running = ['acme.delivery-time-features', 'acme.delivery-time-label-join'];

    it('is upgraded by savepoint: stopped with one, the changed job restored from it', async () => {
      const { calls, step } = fakes({ running });
      const outcomes = await ensureSqlPipelineJobs({ ...step, files: changedFiles, upgrades: new Map([[previous.jobName, previous]]) });
      expect(outcomes[0]).toEqual({ jobName: 'delivery-time-features', action: 'upgraded', jobId: 'job-1', savepoint: 'file:/savepoints/old-0', restored: true });
      expect(calls).toEqual([
        'check delivery_features',
        'register acme.delivery-time.training-examples-value',
        'stop old-0 with a savepoint',
        'submit acme.delivery-time-features from file:/savepoints/old-0 (changed)',
        'job-1 running',
      ]);
    });

    it('that Flink cannot restore puts the previous job back from the same savepoint and says what to do', async () => {
      const { calls, step } = fakes({ running, failsToRestore: true });
      const failure = await ensureSqlPipelineJobs({ ...step, files: changedFiles, upgrades: new Map([[previous.jobName, previous]]) }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SqlJobRestoreError);
      expect((failure as Error).message).toMatch(/^feature job delivery-time-features: Flink cannot start the changed job from savepoint file:\/savepoints\/old-0: .*The previous job runs again from that savepoint as job job-2, .*--discard-state/);
      expect(calls.slice(-2)).toEqual(['submit acme.delivery-time-features from file:/savepoints/old-0', 'job-2 running']);
    });

    it('with discardState starts without the savepoint, after stopping with one', async () => {
      const { calls, step } = fakes({ running });
      const outcomes = await ensureSqlPipelineJobs({ ...step, files: changedFiles, upgrades: new Map([[previous.jobName, previous]]), discardState: true });
      expect(outcomes[0]).toMatchObject({ action: 'upgraded', restored: false });
      expect(calls.slice(-3)).toEqual(['stop old-0 with a savepoint', 'submit acme.delivery-time-features (changed)', 'job-1 running']);
    });
  });
});
