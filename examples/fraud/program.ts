/** The fraud example's command tree (examples/fraud/cli.ts runs it; tests walk it). */
import { Command } from 'commander';
import { createCliEnvironment } from '../../src/cli/cli-environment.js';
import { demoCommand } from './demo/demo-command.js';
import { simulateCommand } from './simulator/simulate-command.js';

/** The command tree, built without running it (tests walk it); each command loads its clients when it runs. */
export function buildFraudExampleProgram(): Command {
  const program = new Command('examples/fraud/cli.ts')
    .description("the fraud example's demo and transaction simulator (examples/fraud/); the platform's commands are `tributary`'s")
    .option('-c, --config <file>', 'JSON config file (environment variables override it; default: $TRIBUTARY_CONFIG)')
    .showHelpAfterError('(run with --help for usage)');
  const cli = createCliEnvironment(() => program.opts<{ config?: string }>().config);
  program.addCommand(demoCommand(cli));
  program.addCommand(
    simulateCommand(cli, async (config) => {
      const [{ createKafkaSimulationSink }, { simulatorTopics }] = await Promise.all([import('./simulator/kafka-sink.js'), import('./fraud-pipeline.js')]);
      return createKafkaSimulationSink(config, simulatorTopics(config));
    }),
  );
  // runCli reports a CommanderError itself, so commander must throw rather than exit, at every level.
  for (const command of [program, ...program.commands]) command.exitOverride();
  return program;
}
