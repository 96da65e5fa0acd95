import { Command } from 'commander';
import { localStack } from '../stack/stack-components.js';
import { createStackContext } from '../stack/stack-context.js';
import type { CliEnvironment } from './cli-environment.js';
import { progressPrinter } from './output.js';
import { renderStatus } from './stack-command.js';

/**
 * `tributary demo`: today it brings the local stack up and shows where everything is.
 * The continuous-learning story (simulator → features → training → rollout) grows here.
 */
export function demoCommand(cli: CliEnvironment): Command {
  return new Command('demo')
    .description('set up everything on this machine (installing the stack on first use) and show the endpoints')
    .action(async () => {
      const progress = progressPrinter();
      const config = cli.config();
      progress('bringing the local stack up (the first run installs Temporal, Kafka, Apicurio Registry and Flink)');
      const result = await localStack(createStackContext(config, progress)).up();
      cli.print(renderStatus(result.status));
      cli.print(
        [
          '',
          `Temporal Web UI:        ${config.temporal.uiUrl}`,
          `Flink dashboard:        ${config.flink.restUrl}`,
          `Schema Registry (API):  ${config.schemaRegistry.url}`,
          `Kafka bootstrap:        ${config.kafka.brokers.join(',')}`,
          '',
          'The stack keeps running; stop it with `npx tributary stack down`.',
        ].join('\n'),
      );
    });
}
