/**
 * `tributary models import <pipeline> <model.onnx>`: wires {@link importOnnxModel} to the real
 * pipeline store, training-examples topic, registry, deployments and Schema Registry, and prints
 * the verdict of the pipeline's quality gates, what was registered in which stage with its metrics
 * beside the champion's, and what to do next. A model that misses a gate is refused with one line
 * per gate missed. Loaded only when the command runs: it pulls in Kafka, TensorFlow.js and ONNX
 * Runtime.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf, TributaryError } from '../errors/tributary-error.js';
import type { ImportedVersion, OnnxImportRequest } from '../model-import/onnx-import.js';
import type { QualityGates } from '../workflows/training-pipeline.js';
import { renderTable } from '../terminal/text-table.js';
import type { CliEnvironment } from './cli-environment.js';

/** What the command line gives, beside the pipeline. */
export interface ModelsImportOptions {
  readonly trainedOn?: string;
  readonly by: string;
  readonly tag: Readonly<Record<string, string>>;
  /** `--gate name=value`: gates over the pipeline's, as a training run's input gives them. */
  readonly gate: Readonly<Record<string, string>>;
  readonly registerAnyway?: boolean;
  readonly json?: boolean;
}

/**
 * The `--gate` values as gates: numbers where they read as one, the rest kept as typed so the
 * gates' check names the value given (`gates.minRocAuc="high": expected a number from 0 to 1`).
 */
function gatesOf(given: Readonly<Record<string, string>>): QualityGates | undefined {
  const entries = Object.entries(given);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([name, value]) => [name, value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value])) as QualityGates;
}

/** The gates applied, in one line: `minRocAuc 0.7, minPrAuc 0, primaryMetric prAuc, ...`. */
const gatesLine = (gates: object): string =>
  Object.entries(gates)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name} ${String(value)}`)
    .join(', ');

/** What to do next with a version in the stage the verdict gave it. */
function nextStep({ version }: ImportedVersion): string {
  const show = `\`tributary models show ${version.model} ${version.version}\` shows its metrics, lineage and verdict`;
  switch (version.stage) {
    case 'challenger':
      return `next: \`tributary rollout start ${version.model} --challenger ${version.version}\` rolls it out against the champion; ${show}`;
    case 'champion':
      return `it is ${version.model}'s first champion: the pipeline's scorers serve it now; ${show}`;
    default:
      return `it is recorded as rejected and is never served; ${show}`;
  }
}

const formatMetric = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));

/** The verdict, the registered version, its metrics beside the champion's, and what to do next. */
function renderImported(imported: ImportedVersion, file: string): string {
  const { version, evaluation, verdict } = imported;
  const { candidate, champion } = evaluation;
  const names = Object.keys(candidate).filter((name) => typeof (candidate as unknown as Record<string, unknown>)[name] === 'number');
  const valueOf = (metrics: object | undefined, name: string): string => {
    const value = (metrics as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'number' ? formatMetric(value) : '-';
  };
  const table = renderTable(
    ['METRIC', `v${version.version} (onnx)`, champion === undefined ? 'CHAMPION' : `CHAMPION v${champion.version}`],
    names.map((name) => [name, valueOf(candidate, name), valueOf(champion?.metrics, name)]),
  );
  return [
    `registered ${file} as ${version.model} v${version.version} (runtime onnx, stage ${version.stage}, artifact sha256 ${version.artifact.sha256})`,
    `verdict on the pipeline's held-out test split: ${version.stage}: ${verdict.reason}`,
    ...verdict.failures.map((failure) => `  ${failure}`),
    `gates: ${gatesLine(verdict.gates)}`,
    table,
    nextStep(imported),
  ].join('\n');
}

/** Reads the file, imports it, prints the result; a refusal is one line and exit code 1, and nothing is registered. */
export async function runModelsImport(cli: CliEnvironment, pipeline: string, path: string, options: ModelsImportOptions): Promise<void> {
  const config: TributaryConfig = cli.config();
  let onnx: Uint8Array;
  try {
    onnx = new Uint8Array(await readFile(path));
  } catch (error) {
    cli.fail(`cannot read ${path}: ${reasonOf(error)}`);
    return;
  }
  const file = basename(path);
  const [{ importOnnxModel }, { createPipelineStore }, { createModelRegistry }, { openDeploymentLog }, { kafkaExampleSource }, { schemaRegistryFeatureFields }, { resolveCodeVersion }, { selectTensorFlowBackend }, { OnnxModelRefusedError }, { ImportRefusedByGatesError }] = await Promise.all([
    import('../model-import/onnx-import.js'),
    import('../pipeline-store/kafka-pipeline-store.js'),
    import('../registry/kafka-model-registry.js'),
    import('../serving/deployment-log.js'),
    import('../worker/worker-activities.js'),
    import('../worker/registered-feature-fields.js'),
    import('../worker/code-version.js'),
    import('../training/backend.js'),
    import('../models/errors.js'),
    import('../model-import/errors.js'),
  ]);
  // The evaluation selects TensorFlow.js's backend (a tfjs champion runs on it); its line goes to stderr so stdout stays the result (--json).
  await selectTensorFlowBackend({ logger: { info: (message) => process.stderr.write(`${message}\n`), warn: (message) => process.stderr.write(`${message}\n`) } });
  const gates = gatesOf(options.gate);
  const request: OnnxImportRequest = {
    pipeline,
    file,
    onnx,
    by: options.by,
    tags: options.tag,
    registerAnyway: options.registerAnyway === true,
    ...(options.trainedOn === undefined ? {} : { trainedOn: options.trainedOn }),
    ...(gates === undefined ? {} : { gates }),
  };
  const pipelines = await createPipelineStore(config);
  try {
    const registry = await createModelRegistry(config);
    try {
      const deployments = await openDeploymentLog(config);
      try {
        const imported = await importOnnxModel(request, {
          pipelines,
          examples: kafkaExampleSource(config),
          registry,
          deployments,
          features: schemaRegistryFeatureFields(config, deployments),
          codeVersion: resolveCodeVersion(),
          topicPrefix: config.topics.prefix,
        });
        cli.print(options.json ? JSON.stringify(imported, null, 2) : renderImported(imported, file));
      } catch (error) {
        // Every refusal of the file, the pipeline or the data is a TributaryError whose message names what to fix.
        if (!(error instanceof TributaryError)) throw error;
        if (error instanceof ImportRefusedByGatesError) {
          const { failures } = error;
          cli.fail(
            `${file} was not imported: it fails ${failures.length === 1 ? 'a quality gate' : `${failures.length} quality gates`} of pipeline ${pipeline}, and nothing was registered ` +
              `(\`--register-anyway\` records it as a rejected version, never served):\n${failures.map((failure) => `  ${failure}`).join('\n')}`,
          );
          return;
        }
        // A refusal of the file names the file already.
        cli.fail(`${file} was not imported: ${error instanceof OnnxModelRefusedError ? error.reason : error.message}`);
      } finally {
        await deployments.close();
      }
    } finally {
      await registry.close();
    }
  } finally {
    await pipelines.close();
  }
}
