import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { taskQueueName } from './option-parsers.js';

/**
 * `tributary python-trainer --task-queue <queue>`: makes the Python trainer's virtual environment
 * when it is missing (src/toolchain/python-venv.ts) and runs the trainer (python/trainer) on the
 * queue with this configuration's Temporal, Kafka and Schema Registry, until SIGINT or SIGTERM.
 */
export function pythonTrainerCommand(cli: CliEnvironment): Command {
  return new Command('python-trainer')
    .description("run the Python trainer (python/trainer) on a pipeline's model.trainer.taskQueue, making its virtual environment first when missing (docs/python-trainer.md)")
    .requiredOption('--task-queue <queue>', "the pipeline's model.trainer.taskQueue", taskQueueName)
    .action(async (options: { taskQueue: string }) => {
      const config = cli.config();
      const { ensurePythonVenv, PYTHON_TRAINER_DIRECTORY } = await import('../toolchain/python-venv.js');
      const venv = await ensurePythonVenv({ cacheDir: config.paths.cacheDir, progress: (line) => process.stderr.write(`${line}\n`) });
      const args = [
        '-m',
        'tributary_trainer',
        '--task-queue',
        options.taskQueue,
        '--temporal-address',
        config.temporal.address,
        '--temporal-namespace',
        config.temporal.namespace,
        '--kafka-brokers',
        config.kafka.brokers.join(','),
        '--schema-registry-url',
        config.schemaRegistry.url,
      ];
      const child = spawn(venv.python, args, { cwd: PYTHON_TRAINER_DIRECTORY, stdio: 'inherit' });
      // The trainer stops on the same signals: pass them on and leave with its exit code.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (exitCode) => resolve(exitCode ?? 1));
      });
      process.exitCode = code;
    });
}
