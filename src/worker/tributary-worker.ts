/**
 * The Temporal worker process: Tributary's workflows (bundled from `src/workflows/index.ts`) and
 * their activities wired to the real Kafka, Schema Registry and model registry, on the
 * configured task queue. SIGINT and SIGTERM shut it down gracefully: it stops polling, lets
 * running activities finish within the grace time, and closes its connections.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime, Worker } from '@temporalio/worker';
import { createWorkerActivities } from './worker-activities.js';
import type { TributaryConfig } from '../config/config.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { connectWorker } from './temporal-connection.js';
import { createFlinkDeployActivities } from '../activities/flink-deploy-activities.js';
import { flinkDeployDependencies, flinkDeployTaskQueue, flinkDeployWorkflowsPath } from '../flink/deployment-worker.js';

export interface TributaryWorkerOptions {
  /** The model registry the activities use; the CLI passes the Kafka-backed one, tests a fake. */
  readonly registry: ModelRegistry;
  /** Where trained candidates wait between training and registration. @default `<dataDir>/candidates` */
  readonly artifactDirectory?: string;
  /** How long running activities get to finish after a shutdown signal. @default '30s' */
  readonly shutdownGraceTime?: string;
  /** Called once the worker polls its task queue. */
  readonly onRunning?: (taskQueue: string) => void;
}

/** The workflows bundle entry: the TypeScript source when run from source, the compiled file in dist. */
function workflowsPath(): string {
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
}

let runtimeInstalled = false;

/** Runs the worker until SIGINT or SIGTERM (or `Worker.shutdown`), then closes its connections. */
export async function runTributaryWorker(config: TributaryConfig, options: TributaryWorkerOptions): Promise<void> {
  if (!runtimeInstalled) {
    // The runtime turns these signals into a graceful shutdown of every worker in the process.
    Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
    runtimeInstalled = true;
  }
  const { taskQueue, namespace } = config.temporal;
  const activities = createWorkerActivities(config, {
    registry: options.registry,
    artifactDirectory: options.artifactDirectory ?? join(config.paths.dataDir, 'candidates'),
  });
  const connection = await connectWorker(config);
  const shutdownGraceTime = options.shutdownGraceTime ?? '30s';
  try {
    const worker = await Worker.create({ connection, namespace, taskQueue, workflowsPath: workflowsPath(), activities, shutdownGraceTime });
    // Flink deployments run on a queue of their own (see flinkDeployTaskQueue), served here too.
    const deployWorker = await Worker.create({
      connection,
      namespace,
      taskQueue: flinkDeployTaskQueue(config),
      workflowsPath: flinkDeployWorkflowsPath(),
      activities: createFlinkDeployActivities(flinkDeployDependencies(config)),
      shutdownGraceTime,
    });
    const running = Promise.all([worker.run(), deployWorker.run()]);
    options.onRunning?.(taskQueue);
    await running;
  } finally {
    await connection.close();
  }
}
