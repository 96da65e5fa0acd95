/**
 * The wiring of Flink deployments: the real dependencies of the deployment activities, the
 * task queue deployments run on, and an in-process worker for commands and tests that run a
 * deployment without the long-running `tributary worker`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createFlinkDeployActivities, type FlinkDeployActivityDependencies } from '../activities/flink-deploy-activities.js';
import type { TributaryConfig } from '../config/config.js';
import { openDeploymentLog } from '../serving/deployment-log.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { FileDeploymentRecordStore } from './deployment-record-store.js';
import { KafkaTopicProgressReader } from './deployment-topic-progress.js';
import { RestFlinkService } from './flink-service.js';
import { KafkaOutputTopics } from './output-topics.js';

/**
 * The task queue of `flinkDeploy`: its own, so a command's in-process worker never takes
 * tasks of workflows it does not have.
 */
export const flinkDeployTaskQueue = (config: TributaryConfig): string => `${config.temporal.taskQueue}-flink-deploy`;

/** Where deployment records live: `<dataDir>/flink/deployments`. */
export const deploymentRecordsDir = (config: TributaryConfig): string => join(config.paths.dataDir, 'flink', 'deployments');

/** Where deployed jars are pinned by content: `<dataDir>/flink/jars`. */
export const pinnedJarsDir = (config: TributaryConfig): string => join(config.paths.dataDir, 'flink', 'jars');

/** The activities' real dependencies: the cluster's REST API, the record folder, Kafka, the registry, the models' deployments. */
export function flinkDeployDependencies(config: TributaryConfig): FlinkDeployActivityDependencies {
  const kafka = createKafka(config, { clientIdSuffix: 'flink-deploy' });
  return {
    flink: new RestFlinkService({ baseUrl: config.flink.restUrl }),
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
