import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { ComponentName } from '../stack/stack-layout.js';
import type { ComponentStatus } from '../stack/local-stack.js';
import { createStackContext } from '../stack/stack-context.js';
import { STACK_PORTS } from '../stack/stack-layout.js';
import type { CliEnvironment } from './cli-environment.js';
import { dockerStackActions } from './docker-stack-actions.js';
import { renderTable } from '../terminal/text-table.js';
import { progressPrinter } from './output.js';
import { positiveInteger } from './option-parsers.js';

export function renderStatus(status: readonly ComponentStatus[]): string {
  const rows = status.map((s) => {
    switch (s.state) {
      case 'healthy':
        return [s.name, 'healthy', s.report.version, String(s.pid), s.rssMiB === undefined ? '-' : `${s.rssMiB} MiB`, Object.entries(s.report.endpoints).map(([k, v]) => `${k}=${v}`).join(' ')];
      case 'unhealthy':
        return [s.name, 'UNHEALTHY', '-', String(s.pid), s.rssMiB === undefined ? '-' : `${s.rssMiB} MiB`, s.reason];
      case 'dead':
        return [s.name, 'DOWN (process gone)', '-', '-', '-', 'run `tributary stack up` to restart it'];
      case 'stopped':
        return [s.name, 'stopped', '-', '-', '-', ''];
    }
  });
  return renderTable(['COMPONENT', 'STATE', 'VERSION', 'PID', 'RSS', 'ENDPOINTS'], rows);
}


/**
 * The names of the stack's components (STACK_COMPONENTS, then SECURE_COMPONENTS), for the help
 * texts: stack-components.ts loads the clients the health checks use (Kafka, Temporal), which
 * `--help` must not, so it is imported inside the actions. A unit test keeps the two in step.
 */
export const STACK_COMPONENT_NAMES: readonly ComponentName[] = ['kafka', 'schema-registry', 'temporal', 'flink-jobmanager', 'flink-taskmanager', 'flink-sql-gateway', 'kafka-secure'];

/** `tributary stack up | down | status | logs | reset`: the local real stack. */
export function stackCommand(cli: CliEnvironment): Command {
  const command = new Command('stack').description('install, start, stop and inspect the local stack: Temporal (+ Web UI), Kafka, Schema Registry, Flink');
  // Stopping and logs always cover the secure broker too, so `stack down` never leaves it running.
  const stackFromConfig = async (secure = true) => (await import('../stack/stack-components.js')).localStack(createStackContext(cli.config(), progressPrinter()), { secure });
  const docker = dockerStackActions(cli);
  const inDocker = (): boolean => cli.config().stack.mode === 'docker';
  const stop = async (purge: boolean, only: readonly string[] = []): Promise<void> => {
    if (inDocker()) {
      if (only.length > 0) return cli.fail('stopping single components is for the local stack; the docker stack stops as a whole (TRIBUTARY_STACK=docker)');
      return docker.down(purge);
    }
    const stack = await stackFromConfig();
    const names = only.map((name) => stack.component(name).name);
    const stopped = purge ? await stack.reset() : await stack.down(names.length > 0 ? names : undefined);
    cli.print(stopped.length === 0 ? 'nothing of the stack was running' : `stopped: ${stopped.join(', ')}`);
    if (purge) cli.print(`deleted ${cli.config().paths.dataDir}`);
  };

  command
    .command('up')
    .description('install missing components (once, into the cache directory) and start every component that is not running')
    .option('--secure', `also start the secure broker (kafka-secure: SASL_SSL with SCRAM-SHA-512 users and ACLs on 127.0.0.1:${STACK_PORTS.kafkaSecure}; see docs/secure-mode.md)`)
    .action(async (options: { secure?: boolean }) => {
      if (inDocker()) {
        if (options.secure) return cli.fail('--secure runs the secure broker as a local process; it is not part of the docker stack (TRIBUTARY_STACK=docker)');
        return docker.up();
      }
      const result = await (await stackFromConfig(options.secure === true)).up();
      if (result.started.length === 0) cli.print('the stack is already running; nothing changed');
      cli.print(renderStatus(result.status));
      cli.print(`\nTemporal Web UI: ${cli.config().temporal.uiUrl}`);
      cli.setExitCode(result.status.every((s) => s.state === 'healthy') ? 0 : 1);
    });

  command
    .command('install')
    .description('install missing components into the cache directory without starting them (stack up does this too)')
    .action(async () => {
      if (inDocker()) {
        cli.print('the docker stack pulls its images on `stack up`; nothing to install');
        return;
      }
      const began = Date.now();
      await (await stackFromConfig()).install();
      cli.print(`every component is installed under ${cli.config().paths.cacheDir} (${((Date.now() - began) / 1000).toFixed(0)}s)`);
    });

  command
    .command('down')
    .description('stop the processes this stack started (by pid), or only the named components; data stays in place')
    .argument('[components...]', `components to stop (default: all): ${STACK_COMPONENT_NAMES.join(', ')}`)
    .option('--purge', 'also delete all data, logs and pid files (same as `stack reset`; stops everything)')
    .action((components: string[], options: { purge?: boolean }) => {
      if (options.purge && components.length > 0) {
        cli.fail('--purge deletes the data of the whole stack, so it stops every component; leave out the component names');
        return cli.setExitCode(2);
      }
      return stop(options.purge === true, components);
    });

  command
    .command('reset')
    .description('stop the stack and delete its data, logs and pid files (installed components stay cached)')
    .action(() => stop(true));

  command
    .command('status')
    .description('show each component: health (by a real protocol call), version, pid, memory, endpoints')
    .option('--json', 'print machine-readable JSON')
    .option('--secure', 'also show the secure broker (kafka-secure)')
    .action(async (options: { json?: boolean; secure?: boolean }) => {
      if (inDocker()) return docker.status(options.json === true);
      const status = await (await stackFromConfig(options.secure === true)).status();
      cli.print(options.json ? JSON.stringify(status, null, 2) : renderStatus(status));
      cli.setExitCode(status.every((s) => s.state === 'healthy') ? 0 : 1);
    });

  command
    .command('logs')
    .description('print the log of one component, or the log file paths of all')
    .argument('[component]', STACK_COMPONENT_NAMES.join(', '))
    .option('-n, --lines <count>', 'number of lines from the end', positiveInteger, 100)
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .action(async (name: string | undefined, options: { lines: number; follow?: boolean }) => {
      if (inDocker()) return docker.logs(name, options.lines, options.follow === true);
      const ctx = createStackContext(cli.config(), progressPrinter());
      if (!name) {
        cli.print(renderTable(['COMPONENT', 'LOG FILE'], STACK_COMPONENT_NAMES.map((component) => [component, ctx.layout.logFile(component)])));
        return;
      }
      const { localStack } = await import('../stack/stack-components.js');
      const file = ctx.layout.logFile(localStack(ctx, { secure: true }).component(name).name);
      if (!existsSync(file)) {
        cli.fail(`${name} has no log yet at ${file}; it has not been started with this data directory`);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const tail = spawn('tail', ['-n', String(options.lines), ...(options.follow ? ['-F'] : []), file], { stdio: ['ignore', 'inherit', 'inherit'] });
        tail.on('error', reject);
        tail.on('close', () => resolve());
      });
    });

  return command;
}
