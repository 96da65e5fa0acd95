/**
 * `tributary models import` on the real stack: the fraud example applied as a pipeline under this
 * run's topic prefix, synthetic training examples on its training-examples topic, and the built
 * CLI importing ONNX files. Files that are not ONNX, truncated, unloadable or of the wrong width
 * are refused in one line; a graph that scores every row the same is refused by the pipeline's
 * quality gates with the line of the gate it misses; nothing is registered for any of them. A graph
 * with the weights of a TensorFlow.js network trained here on the pipeline's own training split
 * passes the gates and, the pipeline having no champion, becomes its champion and is deployed, as a
 * trained first model is, with the verdict in its history and lineage and metrics Tributary
 * computed on the held-out split (equal to the network's own evaluation there). Then the flat graph
 * with `--register-anyway` is recorded as rejected, and the champion stays.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { readOnnxArtifact } from '../../src/registry/model-artifact.js';
import { openDeploymentLog } from '../../src/serving/deployment-log.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { evaluateCandidate, type ClassifierMetrics } from '../../src/training/evaluation.js';
import { pipelineTrainingInputs } from '../../src/training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { toTrainingExample, type FeatureRecord } from '../../src/training/training-example.js';
import { trainModel } from '../../src/training/training-loop.js';
import { applyFraudPipeline, fraudPipelineStore } from '../helpers/fraud-pipeline.js';
import { denseOnnxModel, type DenseLayer } from '../helpers/onnx-graph.js';
import { useCpuBackend } from '../helpers/scoring-models.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { fraudRunTopics, prepareFraudTopics } from '../helpers/fraud-topics.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const EXAMPLES = 6_000;
const SEED = 21;

describe('tributary models import (real Kafka, Schema Registry and registry)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.onnx-import-${runId}.` } };
  const model = `fraud-onnx-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `models-import-it-${runId}` });
  /** The built CLI as a person runs it, on this test's topics; never throws. */
  const tributary = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix }, timeout: 170_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
      );
    });

  let admin: Admin;
  let registry: KafkaModelRegistry;
  let directory: string;
  /** The graph with the trained network's weights, and the network's own metrics on the test split. */
  let onnx: Uint8Array;
  let width: number;
  let expected: ClassifierMetrics;

  beforeAll(async () => {
    await useCpuBackend();
    admin = kafka.admin();
    await admin.connect();
    await prepareFraudTopics(config, admin);
    await applyFraudPipeline(config, model);
    await produceSyntheticExamples(kafka, config, EXAMPLES, SEED);
    registry = await createModelRegistry(config);
    directory = await mkdtemp(join(tmpdir(), 'tributary-onnx-import-'));

    // Elsewhere, someone trains on the pipeline's examples and exports ONNX: here a small network on the same training split.
    const inputs = await pipelineTrainingInputs(await fraudPipelineStore(model), model);
    const examples = generateSyntheticExamples({ count: EXAMPLES, seed: SEED }).map((record, index) => toTrainingExample(record as unknown as FeatureRecord, inputs.examples, `example ${index}`));
    const split = splitByEventTime(examples, inputs.settings.splitFractions);
    const prepared = prepareTrainingData(split, inputs.vectoriser);
    width = prepared.vectoriser.width;
    const trained = await trainModel(prepared, { hiddenUnits: [8], maxEpochs: 4, seed: 3 });
    try {
      const layers: DenseLayer[] = trained.model.layers.map((dense, index) => {
        const [kernel, bias] = dense.getWeights();
        return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === trained.model.layers.length - 1 ? 'sigmoid' : 'relu' };
      });
      onnx = denseOnnxModel({ inputWidth: width, layers });
      const evaluated = await evaluateCandidate(split.test, { model: trained.model, vectoriser: prepared.vectoriser }, undefined, { operatingPoint: inputs.settings.decision });
      expected = evaluated.candidate as ClassifierMetrics;
    } finally {
      trained.model.dispose();
    }
  });

  afterAll(async () => {
    await registry?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
    await admin?.deleteTopics({ topics: fraudRunTopics(config) });
    await admin?.disconnect();
  });

  /** Writes `bytes` as `name` in the test's directory and returns its path. */
  const fileOf = async (name: string, bytes: Uint8Array): Promise<string> => {
    const path = join(directory, name);
    await writeFile(path, bytes);
    return path;
  };

  it('refuses a file that is not ONNX, a truncated one, a graph ONNX Runtime cannot load and one of the wrong width, each in one line, registering nothing', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['notes.onnx', new TextEncoder().encode('these are not weights'), /^error: notes\.onnx was not imported: not an ONNX model: it does not start like an ONNX model \(first bytes 74 68 65 73\)$/],
      ['cut.onnx', onnx.subarray(0, onnx.length - 100), /^error: cut\.onnx was not imported: the ONNX file is truncated: its graph claims \d+ bytes, the file ends 94 bytes short \(\d+ bytes\)$/],
      ['odd.onnx', Uint8Array.from(new TextDecoder('latin1').decode(onnx).replace('Relu', 'Relv'), (character) => character.charCodeAt(0)), /^error: odd\.onnx was not imported: ONNX Runtime cannot load the graph: .*Relv/],
      [
        'wide.onnx',
        denseOnnxModel({ inputWidth: width + 1, layers: [{ kernel: new Float32Array(width + 1), bias: new Float32Array(1), activation: 'sigmoid' }] }),
        new RegExp(`^error: wide\\.onnx was not imported: input "features" is float32 \\[rows, ${width + 1}\\]; pipeline ${model}'s vectorised inputs are float32 \\[rows, ${width}\\]$`),
      ],
    ];
    for (const [name, bytes, line] of cases) {
      const { code, stdout, stderr } = await tributary('models', 'import', model, await fileOf(name, bytes));
      expect(code, `${name}: ${stdout}${stderr}`).toBe(1);
      // The refusal is the last line of stderr and one line; before it, only the TensorFlow.js backend's line may come.
      const lines = stderr.trim().split('\n');
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(lines.at(-1)).toMatch(line);
    }
    expect(await registry.listModels()).not.toContain(model);
  });

  it("refuses a model below the pipeline's quality gates with the line of the gate it misses, registering nothing", async () => {
    // Every row scores the same: it ranks nothing, ROC-AUC 0.5 against the definition's minimum 0.7.
    const flat = denseOnnxModel({ inputWidth: width, layers: [{ kernel: new Float32Array(width), bias: new Float32Array(1), activation: 'sigmoid' }] });
    const { code, stdout, stderr } = await tributary('models', 'import', model, await fileOf('flat.onnx', flat));
    expect(code, `${stdout}${stderr}`).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.slice(-2)).toEqual([
      `error: flat.onnx was not imported: it fails a quality gate of pipeline ${model}, and nothing was registered (\`--register-anyway\` records it as a rejected version, never served):`,
      '  ROC-AUC 0.5000 is below the minimum 0.7',
    ]);
    expect(await registry.listModels()).not.toContain(model);
  });

  it('registers an ONNX model that passes the gates as the first champion, deployed, with the verdict, metrics computed on the held-out split, lineage and tags', async () => {
    const path = await fileOf('churn-v3.onnx', onnx);
    const printedText = await tributary('models', 'import', model, path, '--by', 'alice');
    expect(printedText.code, printedText.stderr).toBe(0);
    expect(printedText.stdout).toMatch(/^verdict on the pipeline's held-out test split: champion: first model passed gates$/m);
    expect(printedText.stdout).toMatch(/^gates: minRocAuc 0\.7, minPrAuc 0, primaryMetric prAuc, minImprovement 0\.005, minTestPositives 30/m);
    const version = await registry.getVersion(model, 1);
    expect(version).toMatchObject({ stage: 'champion', artifact: { runtime: 'onnx' }, tags: { importedFrom: 'churn-v3.onnx' } });
    expect(version.lineage.hyperParameters).toMatchObject({ imported: true, verdict: 'first model passed gates', gates: { minRocAuc: 0.7, primaryMetric: 'prAuc' } });
    expect((await registry.resolveAlias(model, 'champion'))?.version).toBe(1);
    expect((await registry.history(model)).at(-1)).toMatchObject({ alias: 'champion', version: 1, by: 'alice', reason: 'first model passed gates' });
    // Deployed for the scorers, on the pipeline's features topic, as a trained first champion is.
    const deployments = await openDeploymentLog(config);
    try {
      expect(await deployments.latest(model)).toMatchObject({ champion: { version: 1, sha256: version.artifact.sha256 }, featuresTopic: `${config.topics.prefix}features`, updatedBy: 'alice' });
    } finally {
      await deployments.close();
    }
  });

  it('registers the same model again beside its champion only if it beats it: with --register-anyway, as rejected, with lineage, tags and the file byte for byte', async () => {
    const path = await fileOf('churn-v3.onnx', onnx);
    const { code, stdout, stderr } = await tributary('models', 'import', model, path, '--trained-on', 'the 2026 warehouse extract', '--by', 'alice', '--tag', 'team=risk', '--tag', 'framework=sklearn', '--register-anyway', '--json');
    expect(code, stderr).toBe(0);
    const printed = JSON.parse(stdout) as { version: { version: number }; verdict: { stage: string; failures: string[] } };
    // The same scores as the champion's: no gain on PR-AUC, short of the minimum improvement.
    expect(printed.verdict.stage).toBe('rejected');
    expect(printed.verdict.failures).toEqual([expect.stringMatching(/^prAuc \d\.\d{4} does not beat champion v1 \(\d\.\d{4}\) by the minimum improvement 0\.005 \(gain 0\.0000\)$/)]);
    const version = await registry.getVersion(model, printed.version.version);
    expect(version).toMatchObject({ stage: 'rejected', artifact: { runtime: 'onnx' }, tags: { team: 'risk', framework: 'sklearn', importedFrom: 'churn-v3.onnx', trainedOn: 'the 2026 warehouse extract' } });
    expect((await registry.resolveAlias(model, 'champion'))?.version).toBe(1);
    expect(version.lineage).toMatchObject({ trainedBy: 'alice', backend: 'onnx' });
    expect(version.lineage.offsetRanges.reduce((sum, range) => sum + Number(BigInt(range.toOffset) - BigInt(range.fromOffset)), 0)).toBe(EXAMPLES);
    // Tributary's own measurement, on the same held-out examples the network was evaluated on here.
    expect(version.metrics.testExamples).toBe(expected.examples);
    expect(version.metrics.rocAuc).toBeCloseTo(expected.rocAuc, 4);
    expect(version.metrics.prAuc).toBeCloseTo(expected.prAuc, 4);
    expect(version.metrics.rocAuc).toBeGreaterThan(0.7);
    expect(version.threshold).toBeCloseTo(expected.operatingPoint.threshold, 4);
    // The artifact holds the file byte for byte.
    const artifact = readOnnxArtifact(await registry.loadArtifact(model, version.version), { sha256: version.artifact.sha256 });
    expect(Buffer.from(artifact.onnx).equals(Buffer.from(onnx))).toBe(true);

    const shown = await tributary('models', 'show', model, String(version.version));
    expect(shown.stdout).toMatch(/runtime\s+onnx/);
  });
});
