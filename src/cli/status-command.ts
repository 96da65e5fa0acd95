import { Command } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { duration } from './trigger-command.js';

/** `tributary status`: one screen of everything; a section whose service is down says so in one line. */
export function statusCommand(cli: CliEnvironment): Command {
  return new Command('status')
    .description('one screen: stack health, models and their metrics, deployments and traffic, triggers/drift monitors/rollouts, scorer lag and rate, Flink jobs and checkpoints')
    .option('--json', 'print the report as JSON')
    .option('--timeout <duration>', 'longest wait for any one section', duration, duration('20s'))
    .action(async (options: { json?: boolean; timeout: number }) => {
      // Imported here, not at the top, so `--help` does not load the Kafka and Temporal clients.
      const [{ gatherStatusReport }, { renderStatusReport }] = await Promise.all([import('../status/status-report.js'), import('../status/render-status.js')]);
      const report = await gatherStatusReport(cli.config(), { timeoutMs: options.timeout });
      cli.print(options.json === true ? JSON.stringify(report, null, 2) : renderStatusReport(report));
    });
}
