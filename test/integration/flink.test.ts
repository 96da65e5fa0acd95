import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { FlinkRequestError, FlinkSavepointError, FlinkSqlError } from '../../src/flink/errors.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { SqlGatewayClient } from '../../src/flink/sql-gateway-client.js';
import { waitFor } from '../helpers/wait-for.js';

describe('Flink session cluster and SQL Gateway (real)', () => {
  const config = loadConfig();
  const rest = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  const gateway = new SqlGatewayClient({ baseUrl: config.flink.sqlGatewayUrl });
  /** Jobs this file submitted, cancelled afterwards if a failed test left them running. */
  const submitted: string[] = [];

  afterAll(async () => {
    for (const jobId of submitted) {
      const { state } = await rest.jobDetails(jobId);
      if (state === 'RUNNING' || state === 'CREATED' || state === 'INITIALIZING' || state === 'RESTARTING') await rest.cancel(jobId);
    }
  });

  /** Submits a small datagen → blackhole job through the gateway and waits until all its tasks run. */
  async function startDatagenJob(): Promise<{ jobId: string; name: string }> {
    const name = `tributary-it-${randomBytes(4).toString('hex')}`;
    const jobId = await gateway.submitInsert('INSERT INTO sink SELECT id, amount FROM ticks', {
      setupStatements: [
        `CREATE TEMPORARY TABLE ticks (id BIGINT, amount DOUBLE) WITH ('connector' = 'datagen', 'rows-per-second' = '20')`,
        `CREATE TEMPORARY TABLE sink (id BIGINT, amount DOUBLE) WITH ('connector' = 'blackhole')`,
      ],
      config: { 'pipeline.name': name },
    });
    submitted.push(jobId);
    await rest.waitForJobState(jobId, ['RUNNING'], 60_000);
    // A savepoint needs every task running, which follows the job's RUNNING state.
    await waitFor('all tasks of the job to run', async () => {
      const { vertices } = await rest.jobDetails(jobId);
      return vertices.length > 0 && vertices.every((vertex) => vertex.status === 'RUNNING') ? true : undefined;
    }, 60_000, 250);
    return { jobId, name };
  }

  const metadataFileOf = (location: string): string => join(fileURLToPath(location), '_metadata');

  it('runs a SQL job, takes a savepoint to disk and cancels the job', async () => {
    const { jobId, name } = await startDatagenJob();
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    expect((await rest.jobDetails(jobId)).name).toBe(name);
    expect((await rest.listJobs()).find((job) => job.jid === jobId)?.state).toBe('RUNNING');

    const triggerId = await rest.triggerSavepoint(jobId);
    const location = await rest.waitForSavepoint(jobId, triggerId, 60_000);
    expect(location).toMatch(/^file:/);
    expect(existsSync(metadataFileOf(location))).toBe(true);
    const { latest } = await rest.checkpoints(jobId);
    expect(latest.savepoint?.external_path).toBe(location);

    await rest.cancel(jobId);
    const cancelled = await rest.waitForJobState(jobId, ['CANCELED'], 60_000);
    expect(cancelled.state).toBe('CANCELED');
  });

  it('reports a failed savepoint with Flink\'s cause, then stops the job with a savepoint', async () => {
    const { jobId } = await startDatagenJob();

    const doomed = await rest.triggerSavepoint(jobId, 'file:///proc/tributary-unwritable');
    const failure = await rest.waitForSavepoint(jobId, doomed, 60_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlinkSavepointError);
    expect(failure).toMatchObject({ jobId, triggerId: doomed });
    expect((failure as Error).message).toMatch(/Failed to create savepoint directory at file:\/proc\/tributary-unwritable/);

    const triggerId = await rest.stopWithSavepoint(jobId, { drain: false });
    const location = await rest.waitForSavepoint(jobId, triggerId, 60_000);
    expect(existsSync(metadataFileOf(location))).toBe(true);
    expect((await rest.waitForJobState(jobId, ['FINISHED'], 60_000)).state).toBe('FINISHED');
    await expect(rest.waitForJobState(jobId, ['RUNNING'], 10_000)).rejects.toThrow(`job ${jobId} is FINISHED, not RUNNING`);
  });

  it('fails a bad statement with the SQL Gateway\'s own error text', async () => {
    const failure = await gateway.submitInsert('INSERT INTO no_such_sink SELECT 1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlinkSqlError);
    const sqlError = failure as FlinkSqlError;
    expect(sqlError.message).toMatch(/no_such_sink/);
    expect(sqlError.message).toMatch(/ValidationException/);
    expect(sqlError.statement).toBe('INSERT INTO no_such_sink SELECT 1');
    expect(sqlError.retriable).toBe(false);

    const session = await gateway.openSession();
    try {
      const operation = await gateway.executeStatement(session, 'SELEC 1');
      await expect(gateway.waitForOperation(operation, 30_000)).rejects.toThrow(/SQL parse failed/);
    } finally {
      await gateway.closeSession(session);
    }
  });

  it('reports an unknown job with Flink\'s error text and the job id', async () => {
    const unknownJob = '0'.repeat(32);
    const failure = await rest.jobDetails(unknownJob).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlinkRequestError);
    const requestError = failure as FlinkRequestError;
    expect(requestError.status).toBe(404);
    expect(requestError.jobId).toBe(unknownJob);
    expect(requestError.url).toBe(`${config.flink.restUrl}/jobs/${unknownJob}`);
    expect(requestError.message).toMatch(/not found/i);
  });
});
