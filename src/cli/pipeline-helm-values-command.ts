/**
 * `tributary pipeline helm-values <file>`: a pipeline definition as an entry of the Helm chart's
 * `pipelines:` values (src/chart/pipeline-values.ts), printed as a values file for
 * `helm install -f`. Offline: the definition is checked as `pipeline validate` checks it, with
 * the same lines. yaml and the definition's validator load inside the action, so `--help` stays fast.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { CliEnvironment } from './cli-environment.js';
import { taskQueueName } from './option-parsers.js';

/** Exit code of a definition with problems or one the chart cannot deploy, as `pipeline validate`'s. */
const EXIT_BAD_INPUT = 2;

/** A DNS label of at most 20 characters: the chart's rule for a pipeline's name (templates/_helpers.tpl). */
function chartName(value: string): string {
  if (!/^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/.test(value)) throw new InvalidArgumentError(`expected a DNS label of at most 20 characters (lower-case letters, digits, '-'), got "${value}"`);
  return value;
}

/** The chart's rule for a topic prefix, starting with a letter or digit. */
function topicPrefix(value: string): string {
  if (!/^([A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(value)) throw new InvalidArgumentError(`expected a topic prefix of letters, digits, '.', '_' or '-', starting with a letter or digit, got "${value}"`);
  return value;
}

/** An image reference as Docker's distribution/reference grammar writes it: [registry[:port]/]path[:tag][@digest]. */
function image(value: string): string {
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const reference = new RegExp(`^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?${component}(?:/${component})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);
  if (!reference.test(value)) throw new InvalidArgumentError(`expected an image reference such as registry.example.com/flink-jobs:1.0, got "${value}"`);
  return value;
}

function jarUri(value: string): string {
  if (!URL.canParse(value)) throw new InvalidArgumentError(`expected a URI such as local:///opt/flink/usrlib/job.jar, got "${value}"`);
  return value;
}

interface HelmValuesOptions {
  name?: string;
  topicPrefix?: string;
  taskQueue?: string;
  image?: string;
  jarUri?: string;
}

export function pipelineHelmValuesCommand(cli: CliEnvironment): Command {
  return new Command('helm-values')
    .description(
      'print a definition as a values file of the Helm chart (deploy/helm/tributary) with one `pipelines:` entry: its topics with partitions and configs, ' +
        'its jar feature job (entry class, jar, the definition\'s arguments, parallelism, checkpoint interval), its model and the ACLs of its Kafka users, ' +
        'computed as `pipeline apply` computes them; for `helm install -f`. Offline. A definition with problems gets the lines of `pipeline validate` (exit 2); ' +
        'a Flink SQL feature job is refused (the chart runs jars; see docs/kubernetes.md)',
    )
    .argument('<file>', 'a pipeline definition (.yaml, .yml or .json) with a jar feature job')
    .option('--name <name>', "the chart's name of the pipeline, naming its objects (a DNS label of at most 20 characters; default: the definition's name)", chartName)
    .option('--topic-prefix <prefix>', "prefix of the pipeline's topics, groups and transactional ids (default: the definition's name and a dot)", topicPrefix)
    .option('--task-queue <queue>', "task queue of the pipeline's worker (default: the definition's name)", taskQueueName)
    .option('--image <image>', 'Flink image holding the job\'s jar (default: the chart\'s pipelineDefaults.featureJob.image)', image)
    .option('--jar-uri <uri>', 'where the jar is in that image (default: local:///opt/flink/usrlib/<file name of features.job.jar>)', jarUri)
    .action(async (file: string, options: HelmValuesOptions) => {
      const [{ loadPipelineDefinition }, { PipelineDefinitionError, formatProblem }, { chartValuesYaml, pipelineChartValues }, { ChartValuesError }, { dirname, resolve }] = await Promise.all([
        import('../pipelines/validate-pipeline.js'),
        import('../pipelines/errors.js'),
        import('../chart/pipeline-values.js'),
        import('../chart/errors.js'),
        import('node:path'),
      ]);
      try {
        const definition = loadPipelineDefinition(file);
        const values = pipelineChartValues(definition, file, dirname(resolve(file)), options);
        const command = ['tributary pipeline helm-values', file, ...Object.entries(options).map(([key, value]) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(value)}`)].join(' ');
        cli.print(chartValuesYaml([values], command).trimEnd());
      } catch (error) {
        if (error instanceof PipelineDefinitionError) {
          for (const problem of error.problems) cli.fail(formatProblem(problem));
        } else if (error instanceof ChartValuesError) {
          cli.fail(error.message);
        } else {
          throw error;
        }
        cli.setExitCode(EXIT_BAD_INPUT);
      }
    });
}
