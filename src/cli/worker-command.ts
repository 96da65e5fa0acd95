import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { WorkerRole } from '../worker/tributary-worker.js';
import type { CliEnvironment } from './cli-environment.js';

/**
 * The worker's roles, spelled out here because tributary-worker.ts loads the Temporal worker,
 * Kafka and TensorFlow.js, which `--help` must not. A record keyed by the type, so a role added
 * or removed there fails the type check here.
 */
const ROLES: Readonly<Record<WorkerRole, true>> = { orchestration: true, training: true };
const WORKER_ROLES = Object.keys(ROLES) as WorkerRole[];

/** Opens the model registry the worker's activities use (the Kafka-backed one in production). */
export type RegistryOpener = (config: TributaryConfig) => Promise<ModelRegistry & { close?: () => Promise<void> }>;

function workerRole(value: string): WorkerRole {
  const role = WORKER_ROLES.find((known) => known === value);
  if (role === undefined) throw new InvalidArgumentError(`expected one of ${WORKER_ROLES.join(', ')}, got "${value}"`);
  return role;
}

/** `tributary worker [--only orchestration|training]`: runs the Temporal worker until Ctrl-C or SIGTERM. */
export function workerCommand(cli: CliEnvironment, openRegistry: RegistryOpener): Command {
  return new Command('worker')
    .description(
      'run the Temporal worker until SIGINT/SIGTERM: workflows and the registry steps on the configured task queue (orchestration), ' +
        'dataset/train/evaluate on <task queue>-training (training); both by default',
    )
    .option('--only <role>', `serve one role only: ${WORKER_ROLES.join(' or ')} (e.g. training on a GPU machine)`, workerRole)
    .option('--artifact-dir <dir>', 'where trained candidates wait for registration; shared storage when the roles run on different machines (default: <data dir>/candidates)')
    .action(async (options: { only?: WorkerRole; artifactDir?: string }) => {
      const config = cli.config();
      const [{ runTributaryWorker }, { checkWorkerTopics }] = await Promise.all([import('../worker/tributary-worker.js'), import('../worker/worker-topics.js')]);
      // Before the registry opens, so a prefix without topics is one line saying how to set it up.
      await checkWorkerTopics(config);
      const registry = await openRegistry(config);
      try {
        await runTributaryWorker(config, {
          registry,
          roles: options.only === undefined ? WORKER_ROLES : [options.only],
          ...(options.artifactDir === undefined ? {} : { artifactDirectory: options.artifactDir }),
          onHealthServing: (port) => process.stderr.write(`worker health on port ${port}: /healthz (alive), /readyz (polling, Temporal answering)\n`),
          onRunning: (taskQueues) =>
            process.stderr.write(`worker polling task queues ${taskQueues.join(', ')} on ${config.temporal.address} (namespace ${config.temporal.namespace}); Ctrl-C stops it\n`),
        });
      } finally {
        await registry.close?.();
      }
    });
}
