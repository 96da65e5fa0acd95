/**
 * `tributary models import <pipeline> <model.onnx>`: wires {@link importOnnxModel} to the real
 * pipeline store, training-examples topic, registry and Schema Registry, and prints what was
 * registered with its metrics beside the champion's and the command that rolls it out. Loaded only
 * when the command runs: it pulls in Kafka, TensorFlow.js and ONNX Runtime.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf, TributaryError } from '../errors/tributary-error.js';
import type { ImportedVersion, OnnxImportRequest } from '../model-import/onnx-import.js';
import { renderTable } from '../terminal/text-table.js';
import type { CliEnvironment } from './cli-environment.js';

/** What the command line gives, beside the pipeline. */
export interface ModelsImportOptions {
  readonly trainedOn?: string;
  readonly by: string;
  readonly tag: Readonly<Record<string, string>>;
  readonly json?: boolean;
}

const formatMetric = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));

/** The registered version, its metrics beside the champion's, and what to do next. */
function renderImported({ version, evaluation }: ImportedVersion, file: string): string {
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
  const { comparison } = evaluation;
  const verdict = comparison.champion === undefined ? 'no champion to compare with' : `${comparison.primaryMetric} ${comparison.candidateBetter ? 'beats' : 'does not beat'} the champion's by the minimum improvement ${comparison.minimumImprovement}`;
  return [
    `registered ${file} as ${version.model} v${version.version} (runtime onnx, stage ${version.stage}, artifact sha256 ${version.artifact.sha256})`,
    `measured on the pipeline's held-out test split: ${verdict}`,
    table,
    `next: \`tributary rollout start ${version.model} --challenger ${version.version}\` rolls it out against the champion; \`tributary models show ${version.model} ${version.version}\` shows its lineage`,
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
  const [{ importOnnxModel }, { createPipelineStore }, { createModelRegistry }, { openDeploymentLog }, { kafkaExampleSource }, { schemaRegistryFeatureFields }, { resolveCodeVersion }, { selectTensorFlowBackend }, { OnnxModelRefusedError }] = await Promise.all([
    import('../model-import/onnx-import.js'),
    import('../pipeline-store/kafka-pipeline-store.js'),
    import('../registry/kafka-model-registry.js'),
    import('../serving/deployment-log.js'),
    import('../worker/worker-activities.js'),
    import('../worker/registered-feature-fields.js'),
    import('../worker/code-version.js'),
    import('../training/backend.js'),
    import('../models/errors.js'),
  ]);
  // The evaluation selects TensorFlow.js's backend (a tfjs champion runs on it); its line goes to stderr so stdout stays the result (--json).
  await selectTensorFlowBackend({ logger: { info: (message) => process.stderr.write(`${message}\n`), warn: (message) => process.stderr.write(`${message}\n`) } });
  const request: OnnxImportRequest = { pipeline, file, onnx, by: options.by, tags: options.tag, ...(options.trainedOn === undefined ? {} : { trainedOn: options.trainedOn }) };
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
          features: schemaRegistryFeatureFields(config, deployments),
          codeVersion: resolveCodeVersion(),
          topicPrefix: config.topics.prefix,
        });
        cli.print(options.json ? JSON.stringify(imported, null, 2) : renderImported(imported, file));
      } catch (error) {
        // Every refusal of the file, the pipeline or the data is a TributaryError whose message names what to fix.
        if (!(error instanceof TributaryError)) throw error;
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
