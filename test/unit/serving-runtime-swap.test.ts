/**
 * The scorer across runtimes: an ONNX challenger beside a TensorFlow.js champion, loaded through
 * the one loader, hot-swapped in and out by deployment revisions; every score names the runtime
 * that made it, and a replaced model is freed only once no batch holds it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serialiseOnnxArtifact } from '../../src/registry/model-artifact.js';
import type { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { scoreBatch } from '../../src/serving/batch-scorer.js';
import type { ServedModel } from '../../src/serving/model-deployment.js';
import { ServedModels, type ServingSnapshot } from '../../src/serving/served-models.js';
import { loadScoringModel, type ScoringModel } from '../../src/serving/scoring-model.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { denseOnnxModel, type DenseLayer } from '../helpers/onnx-graph.js';
import { deploymentOf, MODEL, registryWithVersions, testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';

const inputs = generateSyntheticExamples({ count: 60, seed: 4 }).map((record) => ({ record, kafkaTimestamp: record.event_time + 5 }));

beforeAll(useCpuBackend);

/** Registers the ONNX twin of test network `seed` (same layers and weights) as the next version. */
async function registerOnnxTwin(registry: InMemoryModelRegistry, seed: number): Promise<ServedModel> {
  const network = testNetwork(seed);
  const layers: DenseLayer[] = network.layers.map((dense, index) => {
    const [kernel, bias] = dense.getWeights();
    return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === network.layers.length - 1 ? 'sigmoid' : 'relu' };
  });
  network.dispose();
  const { bytes, sha256 } = serialiseOnnxArtifact({
    onnx: denseOnnxModel({ inputWidth: testSpec.columns.length, layers }),
    inputSignature: { name: 'features', type: 'float32', shape: ['rows', testSpec.columns.length] },
    output: { name: 'score', kind: 'score' },
    vectoriser: testSpec,
    task: 'binary-classification',
    threshold: 0.5,
    identity: FRAUD_IDENTITY,
    metadata: { model: MODEL, trainedAt: '2025-01-01T00:00:00.000Z', backend: 'onnx', codeVersion: 'test' },
  });
  const lineage = { offsetRanges: [], featureSchemaId: 1, featureJobVersions: [], codeVersion: 'test', featureVectorVersion: VECTORISER_LAYOUT_VERSION, hyperParameters: {}, backend: 'onnx', splitBoundaries: {}, trainedBy: 'test' };
  const registered = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, lineage, artifact: bytes, runtime: 'onnx' }, { by: 'test', reason: 'imported' });
  expect(registered.artifact.runtime).toBe('onnx');
  return { version: registered.version, sha256 };
}

/** Each score's deciding and shadow version with its runtime, and the predictions by version. */
async function scoresOf(snapshot: ServingSnapshot) {
  const outcomes = await scoreBatch(snapshot, inputs, () => 1_800_000_000_000);
  return outcomes.map((outcome) => {
    if (outcome.kind !== 'scored') throw new Error(`unexpected rejection: ${outcome.reason}`);
    const { score } = outcome;
    return { version: score.model_version, runtime: score.model_runtime, prediction: score.prediction, shadow: score.shadow };
  });
}

describe('serving across runtimes', () => {
  it('shadows an ONNX challenger beside a tfjs champion, promotes it, goes back, and frees each model once no batch holds it', async () => {
    const { registry, served } = await registryWithVersions(1);
    const tfjsChampion = served[0]!;
    const onnxSame = await registerOnnxTwin(registry, 1);
    const onnxOther = await registerOnnxTwin(registry, 3);
    const disposed: string[] = [];
    const servedModels = new ServedModels(async (model, wanted): Promise<ScoringModel> => {
      const inner = await loadScoringModel(registry, model, wanted);
      return Object.assign(Object.create(inner) as ScoringModel, { dispose: () => (disposed.push(`v${inner.version} ${inner.runtime}`), inner.dispose()) });
    });

    // Shadow: the ONNX twin of the champion scores every record beside it, alike within 1e-5.
    expect((await servedModels.apply(deploymentOf({ revision: 1, champion: tfjsChampion, challenger: onnxSame, challengerMode: 'SHADOW' }))).kind).toBe('swapped');
    const shadowed = await scoresOf(servedModels.current()!);
    expect(new Set(shadowed.map((score) => `${score.version} ${score.runtime}`))).toEqual(new Set([`${tfjsChampion.version} tfjs`]));
    for (const score of shadowed) {
      expect(score.shadow).toMatchObject({ model_version: onnxSame.version, model_runtime: 'onnx' });
      expect(Math.abs(score.shadow!.prediction - score.prediction)).toBeLessThan(1e-5);
    }

    // A batch holds the snapshot while another ONNX version becomes champion: the old models stay usable until it lets go.
    const lease = servedModels.acquire();
    expect((await servedModels.apply(deploymentOf({ revision: 2, champion: onnxOther }))).kind).toBe('swapped');
    expect(disposed).toEqual([]);
    expect(new Set((await scoresOf(lease.snapshot)).map((score) => score.runtime))).toEqual(new Set(['tfjs']));
    lease.release();
    expect(disposed.sort()).toEqual([`v${tfjsChampion.version} tfjs`, `v${onnxSame.version} onnx`]);
    const promoted = await scoresOf(servedModels.current()!);
    expect(new Set(promoted.map((score) => `${score.version} ${score.runtime}`))).toEqual(new Set([`${onnxOther.version} onnx`]));

    // And back to TensorFlow.js: the ONNX session is released, the network scores as before.
    expect((await servedModels.apply(deploymentOf({ revision: 3, champion: tfjsChampion }))).kind).toBe('swapped');
    expect(disposed).toContain(`v${onnxOther.version} onnx`);
    const back = await scoresOf(servedModels.current()!);
    expect(back.map((score) => score.prediction)).toEqual(shadowed.map((score) => score.prediction));
    expect(new Set(back.map((score) => score.runtime))).toEqual(new Set(['tfjs']));
    await servedModels.close();
  });
});
