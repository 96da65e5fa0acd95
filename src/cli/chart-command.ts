/**
 * `tributary chart verify`: the Helm chart (deploy/helm/tributary) rendered with a person's
 * values files and checked offline before `helm install`. helm, ajv and the schema set load
 * inside the action, so `--help` stays fast.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { progressPrinter } from './output.js';

/** Exit code of values the chart refuses or that render an object a schema refuses: the input is wrong. */
const EXIT_BAD_INPUT = 2;

/** Collects `--values` files, refusing one that cannot be read before anything is installed or run. */
function valuesFile(value: string, previous: readonly string[]): string[] {
  try {
    if (!statSync(value).isFile()) throw new InvalidArgumentError(`${value} is not a regular file`);
    accessSync(value, constants.R_OK);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`cannot read ${value}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  return [...previous, value];
}

export function chartCommand(cli: CliEnvironment): Command {
  const command = new Command('chart').description('the Helm chart in deploy/helm/tributary (see docs/kubernetes.md)');
  command
    .command('verify')
    .description(
      'render the chart with helm template and validate every object against the pinned Kubernetes OpenAPI document and the Strimzi, Flink operator, KEDA and ' +
        'Prometheus Operator CRDs, as the API server would; installs the pinned helm and schemas into the cache on first use. Prints each problem on one line and exits 2 when there is one',
    )
    .option('-f, --values <file...>', 'values files, in order (later ones win)', valuesFile, [] as string[])
    .action(async (options: { values: string[] }) => {
      const [{ createStackContext }, { verifyChart }, { ChartRenderError }, { formatProblem }, { SCHEMA_SET_VERSION }] = await Promise.all([
        import('../stack/stack-context.js'),
        import('../chart/chart-verification.js'),
        import('../chart/errors.js'),
        import('../chart/manifest-validator.js'),
        import('../chart/chart-versions.js'),
      ]);
      const ctx = createStackContext(cli.config(), progressPrinter());
      try {
        const { objects, problems } = await verifyChart(ctx, { valuesFiles: options.values });
        for (const problem of problems) cli.fail(formatProblem(problem));
        if (problems.length > 0) {
          cli.setExitCode(EXIT_BAD_INPUT);
          return;
        }
        cli.print(`${objects.length} objects rendered, each valid against the pinned schemas (${SCHEMA_SET_VERSION})`);
      } catch (error) {
        if (!(error instanceof ChartRenderError)) throw error;
        cli.fail(error.message);
        cli.setExitCode(EXIT_BAD_INPUT);
      }
    });
  return command;
}
