/**
 * The wiring of Flink deployments: the real dependencies of the deployment activities, the
 * task queue deployments run on, and an in-process worker for commands and tests that run a
 * deployment without the long-running `tributary worker`. It builds a Temporal worker from the
 * activities, so it lives with the other wiring here rather than in src/flink/, which the
 * activities themselves import.
 */
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { createFlinkDeployActivities, type FlinkDeployActivityDependencies } from '../activities/flink-deploy-activities.js';
import type { TributaryConfig } from '../config/config.js';
import { openDeploymentLog } from '../serving/deployment-log.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { deployWorkerLogFile, deploymentRecordsDir } from '../flink/deployment-paths.js';
import { FileDeploymentRecordStore } from '../flink/deployment-record-store.js';
import { KafkaTopicProgressReader } from '../flink/deployment-topic-progress.js';
import { createFlinkService } from '../flink/kubernetes/configured-flink-service.js';
import { KafkaOutputTopics } from '../flink/output-topics.js';

/**
 * The task queue of `flinkDeploy`: its own, so a command's in-process worker never takes
 * tasks of workflows it does not have.
 */
export const flinkDeployTaskQueue = (config: TributaryConfig): string => `${config.temporal.taskQueue}-flink-deploy`;

function metaText(meta: object): string {
  try {
    return JSON.stringify(meta, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
  } catch {
    // A circular or otherwise unserialisable value: the message itself is still worth keeping.
    return '(metadata not serialisable)';
  }
}

/**
 * Sends the Temporal SDK's log of this process (the workflow bundler, the worker's state changes,
 * Core's warnings) to {@link deployWorkerLogFile} instead of the terminal, where a person
 * following `flink deploy` wants one line per phase. Call before any worker or connection exists;
 * returns the file.
 */
export function logDeployWorkerToFile(config: TributaryConfig): string {
  const file = deployWorkerLogFile(config);
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: 'a' });
  const write = (entry: LogEntry): void => {
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    out.write(`${at} [${entry.level}] ${entry.message}${entry.meta && Object.keys(entry.meta).length > 0 ? ` ${metaText(entry.meta)}` : ''}\n`);
  };
  Runtime.install({ logger: new DefaultLogger('INFO', write) });
  return file;
}

/** The activities' real dependencies: the Flink service the configuration chooses, the record folder, Kafka, the registry, the models' deployments. */
export function flinkDeployDependencies(config: TributaryConfig): FlinkDeployActivityDependencies {
  const kafka = createKafka(config, { clientIdSuffix: 'flink-deploy' });
  return {
    flink: createFlinkService(config),
    records: new FileDeploymentRecordStore(deploymentRecordsDir(config)),
    topics: new KafkaTopicProgressReader(kafka),
    outputTopics: new KafkaOutputTopics(kafka, createSchemaRegistryClient(config.schemaRegistry)),
    openDeployments: () => openDeploymentLog(config),
  };
}

/** `flink-deploy.js` beside this module's compiled form, or the `.ts` source when run from `src/` (tsx, tests). */
export function flinkDeployWorkflowsPath(): string {
  const compiled = fileURLToPath(new URL('../workflows/flink-deploy.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../workflows/flink-deploy.ts', import.meta.url));
}

/**
 * Runs `body` while a worker of {@link flinkDeployTaskQueue} runs in this process, then shuts
 * it down. A deployment outlives the process: when it ends before the run, any later worker
 * of the queue (another `flink deploy`, or `tributary worker`) continues it where it stopped.
 */
export async function withInProcessDeployWorker<T>(config: TributaryConfig, body: () => Promise<T>, dependencies: FlinkDeployActivityDependencies = flinkDeployDependencies(config)): Promise<T> {
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: flinkDeployTaskQueue(config),
      workflowsPath: flinkDeployWorkflowsPath(),
      activities: createFlinkDeployActivities(dependencies),
    });
    const running = worker.run();
    try {
      return await body();
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await connection.close();
  }
}
