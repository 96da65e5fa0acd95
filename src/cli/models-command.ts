import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import { InvalidModelNameError, RegistryError } from '../registry/errors.js';
import { assertModelName } from '../registry/registry-decisions.js';
import type { AliasChange, ModelRegistry, ModelVersion, StageChange } from '../registry/model-registry.js';
import type { CliEnvironment } from './cli-environment.js';
import { defaultAuthor } from './default-author.js';
import type { ModelsImportOptions } from './models-import.js';
import { positiveInteger } from './option-parsers.js';
import { renderTable } from '../terminal/text-table.js';

/** A registry the command can close when it is done. */
export type ClosableModelRegistry = ModelRegistry & { close(): Promise<void> };

/** Opens the registry a command reads; the Kafka registry unless a test passes another. */
export type RegistryOpener = (config: TributaryConfig) => Promise<ClosableModelRegistry>;

/** The Kafka-backed registry, imported when a command opens it so `--help` does not load Kafka. */
export const openKafkaModelRegistry: RegistryOpener = async (config) => (await import('../registry/kafka-model-registry.js')).createModelRegistry(config);

/** Metrics shown beside a version in lists, in this order, when the version has them: a classifier's, then a regression's. */
const KEY_METRICS = ['rocAuc', 'prAuc', 'precision', 'recall', 'mae', 'rmse', 'r2'] as const;

const formatMetric = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));
const keyMetrics = (version: ModelVersion | undefined): string =>
  version === undefined
    ? ''
    : KEY_METRICS.flatMap((name) => (version.metrics[name] === undefined ? [] : [`${name} ${formatMetric(version.metrics[name])}`])).join(', ');
const versionLabel = (version: ModelVersion | undefined): string => (version === undefined ? '-' : `v${version.version}`);

interface ModelSummary {
  readonly model: string;
  readonly versions: number;
  readonly latest: number;
  readonly champion: ModelVersion | undefined;
  readonly challenger: ModelVersion | undefined;
}

async function summarise(registry: ModelRegistry): Promise<ModelSummary[]> {
  const models = await registry.listModels();
  return Promise.all(
    models.map(async (model) => {
      const versions = await registry.listVersions(model);
      return {
        model,
        versions: versions.length,
        latest: versions.at(-1)?.version ?? 0,
        champion: await registry.resolveAlias(model, 'champion'),
        challenger: await registry.resolveAlias(model, 'challenger'),
      };
    }),
  );
}

function renderSummaries(summaries: readonly ModelSummary[]): string {
  const rows = summaries.map((summary) => [
    summary.model,
    String(summary.versions),
    `v${summary.latest}`,
    versionLabel(summary.champion),
    keyMetrics(summary.champion),
    versionLabel(summary.challenger),
    keyMetrics(summary.challenger),
  ]);
  return renderTable(['MODEL', 'VERSIONS', 'LATEST', 'CHAMPION', 'CHAMPION METRICS', 'CHALLENGER', 'CHALLENGER METRICS'], rows);
}

function renderVersion(version: ModelVersion, aliases: readonly string[]): string {
  const { lineage, artifact } = version;
  const entries = (record: Readonly<Record<string, unknown>>, format: (value: unknown) => string): string =>
    Object.entries(record)
      .map(([name, value]) => `${name}=${format(value)}`)
      .join(', ') || '-';
  const details = renderTable(
    ['FIELD', 'VALUE'],
    [
      ['model', version.model],
      ['version', String(version.version)],
      ['stage', version.stage],
      ['aliases', aliases.join(', ') || '-'],
      ['created', version.createdAt],
      // A regression model decides nothing: the registry holds no threshold for it.
      ['threshold', version.threshold === null ? 'none (regression)' : String(version.threshold)],
      ['metrics', entries(version.metrics, (value) => formatMetric(value as number))],
      ['tags', entries(version.tags, String)],
      ['runtime', artifact.runtime],
      ['artifact sha256', artifact.sha256],
      ['artifact size', `${artifact.sizeBytes} bytes`],
      ['artifact record', `${artifact.topic} key ${artifact.key}`],
      ['trained by', lineage.trainedBy],
      ['code version', lineage.codeVersion],
      ['backend', lineage.backend],
      ['vectoriser layout', `version ${lineage.featureVectorVersion}`],
      ['feature schema id', String(lineage.featureSchemaId)],
      ['feature job versions', lineage.featureJobVersions.join(', ') || '-'],
      ['split boundaries', entries(lineage.splitBoundaries, (value) => new Date(value as number).toISOString())],
      ['hyper-parameters', JSON.stringify(lineage.hyperParameters)],
    ],
  );
  const offsets = renderTable(
    ['TOPIC', 'PARTITION', 'FROM OFFSET', 'TO OFFSET (EXCLUDED)'],
    lineage.offsetRanges.map((range) => [range.topic, String(range.partition), range.fromOffset, range.toOffset]),
  );
  return `${details}\n\ntrained on:\n${offsets}`;
}

function describeChange(change: AliasChange | StageChange): string {
  if ('alias' in change) {
    const from = change.previousVersion === null ? 'none' : `v${change.previousVersion}`;
    const to = change.version === null ? 'none' : `v${change.version}`;
    return `${change.alias}: ${from} -> ${to}`;
  }
  return `v${change.version}: ${change.previousStage} -> ${change.stage}`;
}

function renderHistory(history: readonly (AliasChange | StageChange)[]): string {
  return renderTable(
    ['AT', 'CHANGE', 'BY', 'REASON'],
    history.map((change) => [change.at, describeChange(change), change.by, change.reason]),
  );
}

/** One `--tag key=value`, added to those given before it. */
function tagOption(value: string, previous: Readonly<Record<string, string>>): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

/** A model name as the registry takes it, refused before the registry is opened. */
function registryModelName(value: string): string {
  try {
    assertModelName(value);
  } catch (error) {
    if (error instanceof InvalidModelNameError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
}

/**
 * `tributary models list | show | history | import`: what the model registry holds, and ONNX models brought in. Tables for people,
 * `--json` for machines. An unknown model or version fails with one line naming it and what exists.
 */
export function modelsCommand(cli: CliEnvironment, openRegistry: RegistryOpener = openKafkaModelRegistry): Command {
  const command = new Command('models').description('read the model registry: versions, stages, champion and challenger, lineage and the history of every decision');

  /** Opens the registry, runs `work`, always closes it; a registry error becomes one line and exit code 1. */
  async function withRegistry(work: (registry: ModelRegistry) => Promise<void>): Promise<void> {
    const registry = await openRegistry(cli.config());
    try {
      await work(registry);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      cli.fail(error.message);
    } finally {
      await registry.close();
    }
  }

  command
    .command('list')
    .description('every model with its number of versions, its champion and challenger and their key metrics')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const summaries = await summarise(registry);
        cli.print(options.json ? JSON.stringify(summaries, null, 2) : renderSummaries(summaries));
      }),
    );

  command
    .command('show')
    .description('one version: stage, aliases, metrics, tags, artifact sha256 and size, and its lineage down to the offsets it was trained on')
    .argument('<model>', 'model name', registryModelName)
    .argument('[version]', 'version number (default: the champion, else the latest version)', positiveInteger)
    .option('--json', 'print JSON instead of a table')
    .action((model: string, requested: number | undefined, options: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const versions = await registry.listVersions(model);
        const champion = await registry.resolveAlias(model, 'champion');
        const challenger = await registry.resolveAlias(model, 'challenger');
        const number = requested ?? champion?.version ?? versions.length;
        const version = await registry.getVersion(model, number);
        const aliases = [...(champion?.version === number ? ['champion'] : []), ...(challenger?.version === number ? ['challenger'] : [])];
        cli.print(options.json ? JSON.stringify({ ...version, aliases }, null, 2) : renderVersion(version, aliases));
      }),
    );

  command
    .command('import')
    .description(
      "register an ONNX model trained elsewhere as a new version of the pipeline's model; it must read the pipeline's vectorised inputs (float32 [rows, columns], the columns in the vectoriser's order, see docs/onnx.md) and Tributary measures it on the pipeline's held-out examples; it must pass the pipeline's quality gates, as a trained version must, and is staged as one would be (challenger, or champion when there is none)",
    )
    .argument('<pipeline>', 'the applied pipeline whose model it is', registryModelName)
    .argument('<file>', 'the ONNX file (model.onnx)')
    .option('--trained-on <text>', 'what it was trained on, in your words (recorded as the trainedOn tag)')
    .option('--by <who>', 'who imports it, recorded as its trainer and in the registry; the OS user by default', defaultAuthor())
    .option('--tag <key=value>', 'a tag of the version (repeat it for more)', tagOption, {})
    .option('--gate <name=value>', "a quality gate over the pipeline's (its task's defaults, then its definition's gates), e.g. minRocAuc=0.8 (repeat it for more)", tagOption, {})
    .option('--register-anyway', 'register a model that misses a gate as a rejected version (never served) instead of refusing it')
    .option('--json', 'print JSON instead of a table')
    .action(async (pipeline: string, file: string, options: ModelsImportOptions) => {
      const { runModelsImport } = await import('./models-import.js');
      await runModelsImport(cli, pipeline, file, options);
    });

  command
    .command('history')
    .description('every stage and alias change of a model, oldest first: when, what, who and why')
    .argument('<model>', 'model name', registryModelName)
    .option('--json', 'print JSON instead of a table')
    .action((model: string, options: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const history = await registry.history(model);
        cli.print(options.json ? JSON.stringify(history, null, 2) : renderHistory(history));
      }),
    );

  return command;
}
