/**
 * importOnnxModel judges an imported model as a training run judges its candidate, with fakes
 * around it (in-memory pipeline store and registry, examples served from memory, a deployments
 * fake that records what is published) and real ONNX Runtime sessions of hand-weighted graphs: a
 * constant score (ROC-AUC 0.5) and one that ranks by the planted fraud pattern of the synthetic
 * examples (a purchase far above the card's day mean on a new device). What is asserted: the gates
 * resolved from the task's defaults, the definition and the import's own; a model below them
 * refused with one sentence per gate and nothing registered, or recorded as rejected when asked;
 * the first model through them made champion and deployed on the features topic; one that beats
 * the champion made challenger with nothing deployed; the verdict in the history and lineage.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ImportRefusedByGatesError, InvalidImportGatesError } from '../../src/model-import/errors.js';
import { resolveImportGates } from '../../src/model-import/import-verdict.js';
import { importOnnxModel, type OnnxImportDependencies, type OnnxImportRequest } from '../../src/model-import/onnx-import.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { serialiseOnnxArtifact } from '../../src/registry/model-artifact.js';
import type { StageChange } from '../../src/registry/model-registry.js';
import type { DeploymentChange } from '../../src/serving/model-deployment.js';
import type { ModelDeployment } from '../../src/serving/model-deployment.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import type { ExampleSource } from '../../src/training/example-source.js';
import { pipelineTrainingInputs } from '../../src/training/pipeline-training-inputs.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import type { TrainingExample } from '../../src/training/training-example.js';
import type { VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_FEATURE_FIELDS, FRAUD_IDENTITY, fraudExamples, fraudPipelineStore } from '../helpers/fraud-pipeline.js';
import { denseOnnxModel } from '../helpers/onnx-graph.js';

const PIPELINE = 'fraud';
const FEATURES_TOPIC = 'test.fraud.features';
// Enough for the test split to hold the 30 positives the operating-point gate needs by default.
const EXAMPLES = fraudExamples({ count: 6_000, seed: 5 });

/** A one-layer sigmoid graph: `weights` by column name, every other column 0. */
function graph(spec: VectoriserSpec, weights: Readonly<Record<string, number>>, bias: number): Uint8Array {
  const kernel = Float32Array.from(spec.columns, (column) => weights[column] ?? 0);
  return denseOnnxModel({ inputWidth: spec.columns.length, layers: [{ kernel, bias: Float32Array.of(bias), activation: 'sigmoid' }] });
}

/** The same score for every row: ranks nothing. */
const constantModel = (spec: VectoriserSpec): Uint8Array => graph(spec, {}, 0);
/** Ranks by the planted pattern. */
const patternModel = (spec: VectoriserSpec): Uint8Array => graph(spec, { 'amount_to_mean_24h:log1p': 3, is_new_device: 3 }, -6);
/** Ranks by half of it: worse, yet at a threshold of 0.5 not significantly better at either rate than the pattern model at recall 0.8. */
const halfPatternModel = (spec: VectoriserSpec): Uint8Array => graph(spec, { 'amount_to_mean_24h:log1p': 3 }, -6);

interface Harness {
  readonly registry: InMemoryModelRegistry;
  readonly published: DeploymentChange[];
  readonly reads: { count: number };
  readonly dependencies: OnnxImportDependencies;
}

async function harness(): Promise<Harness> {
  const registry = new InMemoryModelRegistry();
  const published: DeploymentChange[] = [];
  const reads = { count: 0 };
  const examples: ExampleSource = {
    topic: 'test.fraud.training-examples',
    snapshot: async (topic) => [{ topic: topic ?? 'test.fraud.training-examples', partition: 0, startOffset: '0', endOffset: String(EXAMPLES.length) }],
    read: async () => {
      reads.count += 1;
      return { examples: EXAMPLES as TrainingExample[], undecodable: [], schemaIds: [7], featureJobVersions: ['feature-job-test'] };
    },
  };
  const dependencies: OnnxImportDependencies = {
    pipelines: await fraudPipelineStore(PIPELINE),
    examples,
    registry,
    deployments: {
      latest: async () => (published.length === 0 ? undefined : ({ model: PIPELINE } as ModelDeployment)),
      publish: async (_model, change) => {
        published.push(change);
        return { model: PIPELINE } as ModelDeployment;
      },
    },
    features: { featuresSchemaOf: async () => ({ topic: FEATURES_TOPIC, subject: `${FEATURES_TOPIC}-value`, version: 1, fields: FRAUD_FEATURE_FIELDS }) },
    codeVersion: 'test',
    topicPrefix: 'test.',
  };
  return { registry, published, reads, dependencies };
}

const request = (file: string, onnx: Uint8Array, extra: Partial<OnnxImportRequest> = {}): OnnxImportRequest => ({ pipeline: PIPELINE, file, onnx, by: 'alice', ...extra });

describe('the verdict on an imported model', () => {
  /** The vectoriser the import fits: the same examples, split and fitted the same way. */
  let spec: VectoriserSpec;

  beforeAll(async () => {
    const inputs = await pipelineTrainingInputs(await fraudPipelineStore(PIPELINE), PIPELINE);
    spec = prepareTrainingData(splitByEventTime(EXAMPLES, inputs.settings.splitFractions), inputs.vectoriser).spec;
  });

  it("resolves the gates as a run does: the task's defaults, then the definition's, then the import's", () => {
    expect(resolveImportGates(PIPELINE, 'binary-classification', { minRocAuc: 0.8 }, { minRecall: 0.6 })).toEqual({
      minRocAuc: 0.8,
      minPrAuc: 0,
      primaryMetric: 'prAuc',
      minImprovement: 0.005,
      minTestPositives: 30,
      minRecall: 0.6,
    });
    expect(resolveImportGates(PIPELINE, 'regression', undefined, undefined)).toEqual({ minR2: 0, primaryMetric: 'rmse', minImprovement: 0.005 });
  });

  it('refuses gates that are out of range or of the other task, one line each, before reading any example', async () => {
    expect(() => resolveImportGates(PIPELINE, 'binary-classification', undefined, { minRocAuc: 1.5, minImprovement: -1 })).toThrow(
      new InvalidImportGatesError(PIPELINE, ['gates.minRocAuc=1.5: expected a number from 0 to 1', 'gates.minImprovement=-1: expected a number >= 0']),
    );
    expect(() => resolveImportGates(PIPELINE, 'binary-classification', undefined, { maxMae: 3 })).toThrow(/^invalid gates for pipeline fraud: gates\.maxMae is not a gate of pipeline fraud, whose model\.task is binary-classification/);
    const { dependencies, reads, registry } = await harness();
    await expect(importOnnxModel(request('x.onnx', patternModel(spec), { gates: { maxMae: 3 } }), dependencies)).rejects.toBeInstanceOf(InvalidImportGatesError);
    expect(reads.count).toBe(0);
    expect(await registry.listModels()).toEqual([]);
  });

  it('refuses a model below the gates with one sentence per gate missed, registering nothing', async () => {
    const { dependencies, registry, published } = await harness();
    const refused = importOnnxModel(request('flat.onnx', constantModel(spec), { gates: { maxFalsePositiveRate: 0.5, minRecall: 0.9 } }), dependencies);
    await expect(refused).rejects.toBeInstanceOf(ImportRefusedByGatesError);
    const error = (await refused.catch((caught: unknown) => caught)) as ImportRefusedByGatesError;
    // A constant score ranks nothing (ROC-AUC 0.5); at its threshold for recall 0.8 it flags every row: recall 1 passes, a false-positive rate of 1 does not.
    const failures = ['ROC-AUC 0.5000 is below the minimum 0.7', 'false-positive rate 1.0000 at its threshold 0.5000 is above the maximum 0.5'];
    expect(error.failures).toEqual(failures);
    expect(error.message).toBe(`flat.onnx fails 2 quality gates of pipeline fraud: ${failures.join('; ')}`);
    expect(await registry.listModels()).toEqual([]);
    expect(published).toEqual([]);
  });

  it('with registerAnyway, records a model below the gates as rejected with the verdict, and deploys nothing', async () => {
    const { dependencies, registry, published } = await harness();
    const imported = await importOnnxModel(request('flat.onnx', constantModel(spec), { registerAnyway: true }), dependencies);
    expect(imported.verdict).toMatchObject({ stage: 'rejected', reason: 'quality gates failed: ROC-AUC 0.5000 is below the minimum 0.7', failures: ['ROC-AUC 0.5000 is below the minimum 0.7'] });
    expect(imported.version.stage).toBe('rejected');
    const stored = await registry.getVersion(PIPELINE, imported.version.version);
    expect(stored.stage).toBe('rejected');
    expect(stored.lineage.hyperParameters).toMatchObject({ imported: true, verdict: 'quality gates failed: ROC-AUC 0.5000 is below the minimum 0.7', gates: { minRocAuc: 0.7 } });
    const changes = (await registry.history(PIPELINE)).filter((change): change is StageChange => 'stage' in change);
    expect(changes.map(({ stage, by, reason }) => ({ stage, by, reason }))).toEqual([{ stage: 'rejected', by: 'alice', reason: 'quality gates failed: ROC-AUC 0.5000 is below the minimum 0.7' }]);
    expect(await registry.resolveAlias(PIPELINE, 'champion')).toBeUndefined();
    expect(published).toEqual([]);
  });

  it("makes the first model through the gates champion and deploys it on the pipeline's features topic, as training does", async () => {
    const { dependencies, registry, published } = await harness();
    const imported = await importOnnxModel(request('pattern.onnx', patternModel(spec)), dependencies);
    expect(imported.verdict).toMatchObject({ stage: 'champion', reason: 'first model passed gates', failures: [] });
    expect(imported.evaluation.candidate.task === 'binary-classification' && imported.evaluation.candidate.rocAuc).toBeGreaterThan(0.7);
    expect((await registry.resolveAlias(PIPELINE, 'champion'))?.version).toBe(imported.version.version);
    expect((await registry.getVersion(PIPELINE, imported.version.version)).stage).toBe('champion');
    expect(published).toEqual([
      { featuresTopic: FEATURES_TOPIC, champion: { version: imported.version.version, sha256: imported.version.artifact.sha256 }, updatedBy: 'alice', reason: 'first model passed gates' },
    ]);
  });

  it('makes a model that beats the champion challenger, deploying nothing (the rollout starts it), and refuses one that does not beat it by the minimum improvement', async () => {
    const { dependencies, registry, published } = await harness();
    const { bytes } = serialiseOnnxArtifact({
      onnx: halfPatternModel(spec),
      inputSignature: { name: 'features', type: 'float32', shape: ['rows', spec.columns.length] },
      output: { name: 'score', kind: 'score' },
      vectoriser: spec,
      task: 'binary-classification',
      threshold: 0.5,
      identity: FRAUD_IDENTITY,
      metadata: { model: PIPELINE, trainedAt: '2026-12-06T00:00:00.000Z', backend: 'onnx', codeVersion: 'test' },
    });
    const lineage = { offsetRanges: [], featureSchemaId: 7, featureJobVersions: [], codeVersion: 'test', featureVectorVersion: spec.layoutVersion, hyperParameters: {}, backend: 'onnx', splitBoundaries: {}, trainedBy: 'test' };
    const champion = await registry.registerVersion({ model: PIPELINE, metrics: {}, threshold: 0.5, runtime: 'onnx', artifact: bytes, lineage }, { by: 'test', reason: 'champion' });
    await registry.setStage(PIPELINE, champion.version, 'champion', { by: 'test', reason: 'champion' });
    await registry.setAlias(PIPELINE, 'champion', champion.version, { by: 'test', reason: 'champion' });

    const imported = await importOnnxModel(request('pattern.onnx', patternModel(spec)), dependencies);
    expect(imported.verdict.stage).toBe('challenger');
    expect(imported.verdict.reason).toMatch(new RegExp(`^passed gates and beats champion v${champion.version} on prAuc by \\d\\.\\d{4}; at the operating point: `));
    expect((await registry.getVersion(PIPELINE, imported.version.version)).stage).toBe('challenger');
    expect((await registry.resolveAlias(PIPELINE, 'champion'))?.version).toBe(champion.version);
    expect(published).toEqual([]);

    // Asked for a gain no model can make, it does not beat the champion: a gate like any other.
    const refused = await importOnnxModel(request('pattern.onnx', patternModel(spec), { gates: { minImprovement: 1 } }), dependencies).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(ImportRefusedByGatesError);
    expect((refused as ImportRefusedByGatesError).failures).toEqual([expect.stringMatching(new RegExp(`^prAuc \\d\\.\\d{4} does not beat champion v${champion.version} \\(\\d\\.\\d{4}\\) by the minimum improvement 1 \\(gain \\d\\.\\d{4}\\)$`))]);
    expect((await registry.listVersions(PIPELINE)).length).toBe(2);
  });
});
