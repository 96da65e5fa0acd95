/**
 * Runs Tributary's workflows on a real worker against the real Temporal server, with the
 * activities a test passes (fakes), on a task queue of the test file's own. Optionally records
 * the histories of finished runs for the replay tests (see test/replay/README.md).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/config.js';
import { trainingTaskQueue } from '../../src/workflows/task-queues.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));
const HISTORIES_DIRECTORY = fileURLToPath(new URL('../replay/histories/', import.meta.url));
/** Set to re-record the replay histories from the workflow tests' runs. */
const RECORDING = process.env.RECORD_WORKFLOW_HISTORIES === '1';

/**
 * A history as JSON: protobufjs' object form (enum names, 64-bit numbers and bytes as strings),
 * read back by `History.fromObject`. Not `historyToJSON`: in this install `@temporalio/common`
 * carries its own protobufjs copy, which refuses the History class of `@temporalio/proto`.
 */
export function historyAsJson(history: proto.temporal.api.history.v1.IHistory): string {
  const object = proto.temporal.api.history.v1.History.toObject(proto.temporal.api.history.v1.History.fromObject(history), { enums: String, longs: String, bytes: String });
  return `${JSON.stringify(object, null, 1)}\n`;
}

/** A running worker and a client on its task queue. */
export interface WorkflowHarness {
  readonly client: Client;
  readonly taskQueue: string;
  readonly namespace: string;
  /** Writes the run's history to test/replay/histories/<name>.json when recording; otherwise does nothing. */
  recordHistory(name: string, handle: WorkflowHandle): Promise<void>;
  close(): Promise<void>;
}

/** Starts a worker with `activities` on a fresh task queue, and one with the same activities on its training queue. */
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
  // The training pipeline schedules dataset, train and evaluate on the training queue.
  const trainingWorker = await Worker.create({ connection: workerConnection, namespace, taskQueue: trainingTaskQueue(taskQueue), activities });
  const running = Promise.all([worker.run(), trainingWorker.run()]);
  return {
    client,
    taskQueue,
    namespace,
    async recordHistory(name, handle) {
      if (!RECORDING) return;
      await writeFile(`${HISTORIES_DIRECTORY}${name}.json`, historyAsJson(await handle.fetchHistory()));
    },
    async close() {
      worker.shutdown();
      trainingWorker.shutdown();
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
