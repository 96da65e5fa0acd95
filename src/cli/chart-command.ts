/**
 * `tributary chart verify`: the Helm chart (deploy/helm/tributary) rendered with a person's
 * values files and checked offline before `helm install`. helm, ajv and the schema set load
 * inside the action, so `--help` stays fast.
 */
import { Command } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { progressPrinter } from './output.js';

/** Exit code of values the chart refuses or that render an object a schema refuses: the input is wrong. */
const EXIT_BAD_INPUT = 2;

export function chartCommand(cli: CliEnvironment): Command {
  const command = new Command('chart').description('the Helm chart in deploy/helm/tributary (see docs/kubernetes.md)');
  command
    .command('verify')
    .description(
      'render the chart with helm template and validate every object against the pinned Kubernetes OpenAPI document and the Strimzi, Flink operator, KEDA and ' +
        'Prometheus Operator CRDs, as the API server would; installs the pinned helm and schemas into the cache on first use. Prints each problem on one line and exits 2 when there is one',
    )
    .option('-f, --values <file...>', 'values files, in order (later ones win)', [])
    .option('--namespace <name>', 'the namespace the release would go to', 'tributary')
    .action(async (options: { values: string[]; namespace: string }) => {
      const [{ createStackContext }, { verifyChart }, { ChartRenderError }, { formatProblem }, { SCHEMA_SET_VERSION }] = await Promise.all([
        import('../stack/stack-context.js'),
        import('../chart/chart-verification.js'),
        import('../chart/errors.js'),
        import('../chart/manifest-validator.js'),
        import('../chart/chart-versions.js'),
      ]);
      const ctx = createStackContext(cli.config(), progressPrinter());
      try {
        const { objects, problems } = await verifyChart(ctx, { valuesFiles: options.values, namespace: options.namespace });
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
