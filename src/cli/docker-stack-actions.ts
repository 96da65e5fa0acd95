import { spawn } from 'node:child_process';
import { DockerStack, dockerStatusTable, everyServiceHealthy, type DockerServiceStatus } from '../stack/docker-stack.js';
import type { CliEnvironment } from './cli-environment.js';
import { renderTable } from '../terminal/text-table.js';
import { progressPrinter } from './output.js';

const table = (status: readonly DockerServiceStatus[]): string => {
  const { headers, rows } = dockerStatusTable(status);
  return renderTable(headers, rows);
};

/** The `stack` subcommands when `TRIBUTARY_STACK=docker`: the same services through docker-compose.yml. */
export function dockerStackActions(cli: CliEnvironment) {
  const stack = (): DockerStack => new DockerStack({ progress: progressPrinter() });
  return {
    async up(): Promise<void> {
      const { status } = await stack().up();
      cli.print(table(status));
      cli.print(`\nTemporal Web UI: ${cli.config().temporal.uiUrl}`);
      cli.setExitCode(everyServiceHealthy(status) ? 0 : 1);
    },
    async down(purge: boolean): Promise<void> {
      await stack().down({ purge });
      cli.print(purge ? 'stopped the docker stack and deleted its volumes' : 'stopped the docker stack; volumes kept');
    },
    async status(json: boolean): Promise<void> {
      const status = await stack().status();
      cli.print(json ? JSON.stringify(status, null, 2) : table(status));
      cli.setExitCode(everyServiceHealthy(status) ? 0 : 1);
    },
    async logs(service: string | undefined, lines: number, follow: boolean): Promise<void> {
      const docker = stack();
      if (!service) {
        cli.print((await docker.status()).map((s) => s.service).join('\n'));
        return;
      }
      if (!follow) {
        cli.print(await docker.logs(service, lines));
        return;
      }
      const { executable, args } = docker.followLogsCommand(service, lines);
      await new Promise<void>((resolve, reject) => {
        const tail = spawn(executable, args, { stdio: ['ignore', 'inherit', 'inherit'] });
        tail.on('error', reject);
        tail.on('close', () => resolve());
      });
    },
  };
}
