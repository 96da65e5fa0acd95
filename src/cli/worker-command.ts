import { Command } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { runTributaryWorker } from '../worker/tributary-worker.js';
import type { CliEnvironment } from './cli-environment.js';

/** Opens the model registry the worker's activities use (the Kafka-backed one in production). */
export type RegistryOpener = (config: TributaryConfig) => Promise<ModelRegistry & { close?: () => Promise<void> }>;

/** `tributary worker`: runs the Temporal worker until Ctrl-C or SIGTERM. */
export function workerCommand(cli: CliEnvironment, openRegistry: RegistryOpener): Command {
  return new Command('worker')
    .description('run the Temporal worker (training workflows and activities) on the configured task queue until SIGINT/SIGTERM')
    .option('--artifact-dir <dir>', 'where trained candidates wait for registration (default: <data dir>/candidates)')
    .action(async (options: { artifactDir?: string }) => {
      const config = cli.config();
      const registry = await openRegistry(config);
      try {
        await runTributaryWorker(config, {
          registry,
          ...(options.artifactDir === undefined ? {} : { artifactDirectory: options.artifactDir }),
          onRunning: (taskQueue) => process.stderr.write(`worker polling task queue ${taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace}); Ctrl-C stops it\n`),
        });
      } finally {
        await registry.close?.();
      }
    });
}
