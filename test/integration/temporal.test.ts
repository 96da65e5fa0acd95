/**
 * Runs a workflow on a real worker against the real Temporal server and finds it again
 * through Tributary's custom search attributes, which the server must have registered.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, isGrpcServiceError, ServiceError, type WorkflowExecutionInfo } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import {
  TributaryFlinkJob,
  TributaryModelName,
  TributaryModelVersion,
  TributaryStage,
} from '../../src/temporal/search-attributes.js';
import type { echoWorkflow } from '../fixtures/workflows/echo-workflow.js';

const ECHO_WORKFLOWS_PATH = fileURLToPath(new URL('../fixtures/workflows/echo-workflow.ts', import.meta.url));
/** gRPC status code INVALID_ARGUMENT; `@grpc/grpc-js` is not a direct dependency. */
const GRPC_INVALID_ARGUMENT = 3;
/** Visibility is eventually consistent: a completed run shows up in list queries shortly after. */
const VISIBILITY_DEADLINE_MS = 30_000;

async function listRuns(client: Client, query: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query })) runs.push(run);
  return runs;
}

describe('Temporal with Tributary search attributes', () => {
  const config = loadConfig();
  const taskQueue = `test-temporal-${randomUUID()}`;
  let connection: Connection | undefined;
  let client: Client;
  let workerConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;

  beforeAll(async () => {
    const { address, namespace } = config.temporal;
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace });
    workerConnection = await NativeConnection.connect({ address });
    worker = await Worker.create({ connection: workerConnection, namespace, taskQueue, workflowsPath: ECHO_WORKFLOWS_PATH });
    workerRun = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await workerConnection?.close();
    await connection?.close();
  });

  it('completes a run started with the custom search attributes and finds exactly that run by model name', async () => {
    const modelName = `test-model-${randomUUID()}`;

    const handle = await client.workflow.start<typeof echoWorkflow>('echoWorkflow', {
      taskQueue,
      workflowId: `echo-${modelName}`,
      args: ['hello'],
      typedSearchAttributes: [
        { key: TributaryModelName, value: modelName },
        { key: TributaryModelVersion, value: '1' },
        { key: TributaryStage, value: 'test' },
        { key: TributaryFlinkJob, value: 'none' },
      ],
    });
    expect(await handle.result()).toEqual({ message: 'hello', modelName });

    const query = `TributaryModelName = '${modelName}'`;
    const found = await vi.waitFor(
      async () => {
        const runs = await listRuns(client, query);
        expect(runs, `no run matches ${query} yet`).not.toHaveLength(0);
        return runs;
      },
      { timeout: VISIBILITY_DEADLINE_MS, interval: 200 },
    );
    expect(found.map((run) => [run.workflowId, run.runId, run.status.name])).toEqual([
      [handle.workflowId, handle.firstExecutionRunId, 'COMPLETED'],
    ]);
    expect(found[0]?.typedSearchAttributes.get(TributaryStage)).toBe('test');
  });

  it('rejects a query on an unregistered search attribute with an error naming it', async () => {
    const error: unknown = await listRuns(client, "TributaryNoSuchAttribute = 'x'").then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    // The client wraps the server's answer: the gRPC status and the server's message are on `cause`.
    expect(error).toBeInstanceOf(ServiceError);
    const cause = (error as ServiceError).cause;
    expect(isGrpcServiceError(cause) && cause.code).toBe(GRPC_INVALID_ARGUMENT);
    expect(isGrpcServiceError(cause) && cause.details).toMatch(/'TributaryNoSuchAttribute' is not a valid search attribute/);
  });
});
