/**
 * Runs Tributary's workflows on a real worker against the real Temporal server, with the
 * activities a test passes (fakes), on a task queue of the test file's own. Optionally records
 * the histories of finished runs for the replay tests (see test/replay/README.md).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/config.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));
const HISTORIES_DIRECTORY = fileURLToPath(new URL('../replay/histories/', import.meta.url));
/** Set to re-record the replay histories from the workflow tests' runs. */
const RECORDING = process.env.RECORD_WORKFLOW_HISTORIES === '1';

/** A running worker and a client on its task queue. */
export interface WorkflowHarness {
  readonly client: Client;
  readonly taskQueue: string;
  readonly namespace: string;
  /** Writes the run's history to test/replay/histories/<name>.json when recording; otherwise does nothing. */
  recordHistory(name: string, handle: WorkflowHandle): Promise<void>;
  close(): Promise<void>;
}

/** Starts a worker with `activities` on a fresh task queue. */
export async function startWorkflowHarness(activities: object): Promise<WorkflowHarness> {
  const { address, namespace } = loadConfig().temporal;
  const taskQueue = `test-workflows-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger }),
    activities,
  });
  const running = worker.run();
  return {
    client,
    taskQueue,
    namespace,
    async recordHistory(name, handle) {
      if (!RECORDING) return;
      await writeFile(`${HISTORIES_DIRECTORY}${name}.json`, `${historyToJSON(await handle.fetchHistory())}\n`);
    },
    async close() {
      worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
    },
  };
}

/** The bundler logs every module it packs at info level. */
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** A model name no other test uses. */
export const uniqueModel = (purpose: string): string => `test-${purpose}-${randomUUID().slice(0, 8)}`;
