/** The `tributary` command tree, built without running it (main.ts runs it; tests walk it). */
import { Command } from 'commander';
import { chartCommand } from './chart-command.js';
import { createCliEnvironment } from './cli-environment.js';
import { driftCommand } from './drift-command.js';
import { flinkCommand } from './flink-command.js';
import { modelsCommand, openKafkaModelRegistry } from './models-command.js';
import { pipelineCommand } from './pipeline-command.js';
import { pipelineHelmValuesCommand } from './pipeline-helm-values-command.js';
import { produceCommand } from './produce-command.js';
import { promoteCommand, rollbackCommand, rolloutCommand, setTrafficCommand } from './rollout-command.js';
import { reportCommand } from './report-command.js';
import { scheduleCommand } from './schedule-command.js';
import { serveCommand } from './serve-command.js';
import { schemasCommand } from './schemas-command.js';
import { stackCommand } from './stack-command.js';
import { statusCommand } from './status-command.js';
import { topicsCommand } from './topics-command.js';
import { trainCommand } from './train-command.js';
import { triggerCommand } from './trigger-command.js';
import { workerCommand } from './worker-command.js';
import { pythonTrainerCommand } from './python-trainer-command.js';

/** Commander exits the process itself unless told otherwise, at every level of subcommand. */
function overrideExitEverywhere(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) overrideExitEverywhere(sub);
}

/**
 * Builds the tree without loading any client library: each command imports what it uses when it
 * runs (`await import`), so `--help` and every command start without Temporal, Kafka or TensorFlow.js.
 */
export function buildProgram(): Command {
  const program = new Command('tributary')
    .description('Tributary: event-driven MLOps on Kafka, Flink and Temporal')
    .option('-c, --config <file>', 'JSON config file (environment variables override it; default: $TRIBUTARY_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const cli = createCliEnvironment(() => program.opts<{ config?: string }>().config);
  program.addCommand(stackCommand(cli));
  program.addCommand(statusCommand(cli));
  program.addCommand(reportCommand(cli));
  program.addCommand(topicsCommand(cli));
  program.addCommand(schemasCommand(cli));
  program.addCommand(pipelineCommand(cli).addCommand(pipelineHelmValuesCommand(cli)));
  program.addCommand(produceCommand(cli));
  program.addCommand(flinkCommand(cli));
  program.addCommand(modelsCommand(cli));
  program.addCommand(workerCommand(cli, openKafkaModelRegistry));
  program.addCommand(pythonTrainerCommand(cli));
  program.addCommand(triggerCommand(cli));
  program.addCommand(driftCommand(cli));
  program.addCommand(trainCommand(cli));
  program.addCommand(scheduleCommand(cli));
  program.addCommand(rolloutCommand(cli));
  program.addCommand(promoteCommand(cli));
  program.addCommand(rollbackCommand(cli));
  program.addCommand(setTrafficCommand(cli));
  program.addCommand(serveCommand(cli));
  program.addCommand(chartCommand(cli));
  overrideExitEverywhere(program);
  return program;
}
