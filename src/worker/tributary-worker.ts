/**
 * The Temporal worker process, in one or both roles:
 * - orchestration: Tributary's workflows (bundled from `src/workflows/index.ts`) with the
 *   trigger's and the registry's activities on the configured task queue, and Flink deployments
 *   on their own queue;
 * - training: the dataset, training and evaluation activities on `<task queue>-training`
 *   (see {@link trainingTaskQueue}), so training scales on separate, larger or GPU machines.
 * SIGINT and SIGTERM (or the `signal` option) shut it down gracefully: it stops polling, lets
 * running activities finish within the grace time, and closes its connections.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime, Worker, type LogLevel, type NativeConnection } from '@temporalio/worker';
import { createFlinkDeployActivities } from '../activities/flink-deploy-activities.js';
import type { TributaryConfig } from '../config/config.js';
import { flinkDeployDependencies, flinkDeployTaskQueue, flinkDeployWorkflowsPath } from './flink-deploy-worker.js';
import { createPipelineStore } from '../pipeline-store/kafka-pipeline-store.js';
import type { PipelineStore } from '../pipelines/pipeline-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../serving/deployment-log.js';
import { startHealthServer, type HealthServer } from '../serving/health-server.js';
import { trainingTaskQueue } from '../workflows/task-queues.js';
import { connectWorker, temporalServes } from './temporal-connection.js';
import { WorkerHealth } from './worker-health.js';
import { WorkerLogger } from './worker-logger.js';
import { createOrchestrationActivities, createTrainingWorkerActivities, type WorkerActivityDependencies } from './worker-activities.js';

/** What a worker process does: run the workflows (orchestration), the training activities, or both. */
export type WorkerRole = 'orchestration' | 'training';

/** Every role, the default of a worker. */
export const WORKER_ROLES: readonly WorkerRole[] = ['orchestration', 'training'];

export interface TributaryWorkerOptions {
  /** The model registry the activities use; the CLI passes the Kafka-backed one, tests a fake. */
  readonly registry: ModelRegistry;
  /**
   * The deployments the orchestration role's activities publish (a rollout's routing, a first
   * champion). @default the Kafka deployments topic, opened for the worker's lifetime
   */
  readonly deployments?: DeploymentLog;
  /**
   * Where training, the trigger and registration read the pipelines' applied definitions.
   * @default the Kafka pipeline store, opened for the worker's lifetime
   */
  readonly pipelines?: PipelineStore;
  /** The roles this process serves. @default ['orchestration', 'training'] */
  readonly roles?: readonly WorkerRole[];
  /**
   * Where trained candidates wait between training and registration; storage both roles reach
   * when they run on different machines. @default `<dataDir>/candidates`
   */
  readonly artifactDirectory?: string;
  /** How long running activities get to finish after a shutdown signal. @default '30s' */
  readonly shutdownGraceTime?: string;
  /** Called once /healthz and /readyz answer (when `temporal.workerHealthAddress` is set), with their port. */
  readonly onHealthServing?: (port: number) => void;
  /** Called once the worker polls its task queues, with their names. */
  readonly onRunning?: (taskQueues: readonly string[]) => void;
  /**
   * The least severe SDK log lines shown (worker state changes are INFO). The SDK's runtime is
   * installed once per process, so the first worker started decides. @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /** Shuts the worker down gracefully when aborted, as SIGINT does (tests and embedding processes). @default undefined */
  readonly signal?: AbortSignal;
}

/** The workflows bundle entry: the TypeScript source when run from source, the compiled file in dist. */
function workflowsPath(): string {
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
}

/** The workers of one role, created on a shared connection. */
async function createRoleWorkers(
  role: WorkerRole,
  config: TributaryConfig,
  connection: NativeConnection,
  dependencies: WorkerActivityDependencies,
  deployments: () => Promise<DeploymentLog>,
  shutdownGraceTime: string,
): Promise<Worker[]> {
  const { taskQueue, namespace } = config.temporal;
  if (role === 'training') {
    return [await Worker.create({ connection, namespace, taskQueue: trainingTaskQueue(taskQueue), activities: createTrainingWorkerActivities(config, dependencies), shutdownGraceTime })];
  }
  return [
    await Worker.create({ connection, namespace, taskQueue, workflowsPath: workflowsPath(), activities: createOrchestrationActivities(config, dependencies, await deployments()), shutdownGraceTime }),
    // Flink deployments run on a queue of their own (see flinkDeployTaskQueue), served here too.
    await Worker.create({
      connection,
      namespace,
      taskQueue: flinkDeployTaskQueue(config),
      workflowsPath: flinkDeployWorkflowsPath(),
      activities: createFlinkDeployActivities(flinkDeployDependencies(config)),
      shutdownGraceTime,
    }),
  ];
}

let runtimeInstalled = false;

/** How long /readyz waits for Temporal's health check; below the chart's probe timeout, so a slow server reads as unready, not as a probe timeout. */
const TEMPORAL_PING_TIMEOUT_MS = 2_000;

/** Serves /healthz and /readyz at `host:port` (IPv6 hosts in brackets are not accepted by the setting). */
async function serveHealth(address: string, health: WorkerHealth): Promise<HealthServer> {
  const separator = address.lastIndexOf(':');
  return await startHealthServer({
    host: address.slice(0, separator),
    port: Number(address.slice(separator + 1)),
    liveness: () => health.liveness(),
    readiness: () => health.readiness(),
    portAdvice: 'choose another with TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS (temporal.workerHealthAddress)',
  });
}

/** Runs the worker until SIGINT or SIGTERM (or `signal` aborts), then closes its connections. */
export async function runTributaryWorker(config: TributaryConfig, options: TributaryWorkerOptions): Promise<void> {
  if (!runtimeInstalled) {
    // The runtime turns these signals into a graceful shutdown of every worker in the process.
    const metricsAddress = config.temporal.workerMetricsAddress;
    // The SDK's Prometheus exporter: task latencies, slots and polls, and the gauges activities record (the drift figures).
    const telemetry = metricsAddress === undefined ? {} : { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } };
    Runtime.install({ ...telemetry, shutdownSignals: ['SIGINT', 'SIGTERM'], logger: new WorkerLogger(options.logLevel ?? 'INFO') });
    runtimeInstalled = true;
  }
  const roles = options.roles ?? WORKER_ROLES;
  if (roles.length === 0) throw new Error('a worker needs at least one role: orchestration, training or both');
  const { address, namespace, workerHealthAddress } = config.temporal;
  // Served first, so a probe sees "connecting" (alive, unready) while Kafka and Temporal are reached.
  const health = new WorkerHealth(`${address} (namespace ${namespace})`);
  const healthServer = workerHealthAddress === undefined ? undefined : await serveHealth(workerHealthAddress, health);
  if (healthServer !== undefined) options.onHealthServing?.(healthServer.port);
  try {
    await runWorkers(config, options, roles, health);
  } finally {
    await healthServer?.close();
  }
}

async function runWorkers(config: TributaryConfig, options: TributaryWorkerOptions, roles: readonly WorkerRole[], health: WorkerHealth): Promise<void> {
  const openedPipelines = options.pipelines === undefined ? await createPipelineStore(config) : undefined;
  const pipelines = options.pipelines ?? openedPipelines!;
  const dependencies = { registry: options.registry, artifactDirectory: options.artifactDirectory ?? join(config.paths.dataDir, 'candidates'), pipelines };
  const shutdownGraceTime = options.shutdownGraceTime ?? '30s';
  let connection: NativeConnection;
  try {
    connection = await connectWorker(config);
  } catch (error) {
    await openedPipelines?.close();
    throw error;
  }
  let opened: DeploymentLog | undefined;
  const deployments = async (): Promise<DeploymentLog> => options.deployments ?? (opened ??= await openDeploymentLog(config));
  try {
    const workers: Worker[] = [];
    for (const role of roles) workers.push(...(await createRoleWorkers(role, config, connection, dependencies, deployments, shutdownGraceTime)));
    health.watch(workers, () => temporalServes(connection, TEMPORAL_PING_TIMEOUT_MS));
    const running = Promise.all(workers.map((worker) => worker.run()));
    const shutdown = (): void => workers.forEach((worker) => worker.shutdown());
    if (options.signal?.aborted === true) shutdown();
    else options.signal?.addEventListener('abort', shutdown, { once: true });
    options.onRunning?.(workers.map((worker) => worker.options.taskQueue));
    await running;
  } finally {
    await opened?.close();
    await openedPipelines?.close();
    await connection.close();
  }
}
