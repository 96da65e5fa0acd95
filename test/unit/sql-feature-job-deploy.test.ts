/**
 * The feature-job step of a SQL pipeline, on a fake gateway, cluster and registry that record
 * calls: both jobs are checked before either is submitted, the training-example schema is
 * registered first, a running job is left alone, and a query the gateway refuses starts nothing.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { FlinkSqlError } from '../../src/flink/errors.js';
import type { JobOverview } from '../../src/flink/flink-rest-client.js';
import { trainingExampleSchema } from '../../src/flink/label-join.js';
import { ensureSqlPipelineJobs } from '../../src/flink/sql-feature-job-deploy.js';
import { SqlStatementError } from '../../src/flink/sql-feature-job-errors.js';
import { readDefinitionFiles, type SqlJobEnvironment } from '../../src/flink/sql-feature-job.js';
import type { SqlOperation, StatementResult, SubmitInsertOptions } from '../../src/flink/sql-gateway-client.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

const DEFINITION_FILE = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
const definition = loadPipelineDefinition(DEFINITION_FILE);
const files = readDefinitionFiles(definition, dirname(DEFINITION_FILE));
const config = { ...loadConfig({ env: {} }), topics: { prefix: 'acme.' } };
const env: SqlJobEnvironment = { bootstrapServers: 'k:9092', schemaRegistryUrl: 'http://r/apis/ccompat/v7', topicPrefix: 'acme.', piiKeyFile: '/k', functionsJar: '/f.jar' };

/** A gateway, cluster and registry that record what is asked of them, in one list. */
function fakes(options: { readonly running?: readonly string[]; readonly refuse?: (statement: string) => boolean } = {}) {
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
      calls.push(`submit ${submitted?.sessionProperties?.['pipeline.name']}`);
      jobs += 1;
      return `job-${jobs}`;
    },
  };
  const flink = {
    listJobs: async (): Promise<JobOverview[]> => (options.running ?? []).map((name, index) => ({ jid: `old-${index}`, name, state: 'RUNNING' }) as JobOverview),
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
      'submit delivery-time-features',
      'submit delivery-time-label-join',
    ]);
  });

  it('leaves running jobs alone and starts only the missing one', async () => {
    const { calls, step } = fakes({ running: ['delivery-time-features'] });
    expect(await ensureSqlPipelineJobs(step)).toEqual([
      { jobName: 'delivery-time-features', action: 'running', jobId: 'old-0' },
      { jobName: 'delivery-time-label-join', action: 'submitted', jobId: 'job-1' },
    ]);
    expect(calls).toEqual(['check training_examples', 'register acme.delivery-time.training-examples-value', 'submit delivery-time-label-join']);
  });

  it('does nothing when both run', async () => {
    const { calls, step } = fakes({ running: ['delivery-time-features', 'delivery-time-label-join'] });
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
});
