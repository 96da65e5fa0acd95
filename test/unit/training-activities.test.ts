/**
 * The training activities with the real training code and artifact files, a fake example source
 * of synthetic examples, the fraud example's definition in an in-memory pipeline store and an
 * in-memory registry holding a champion: a fresh attempt trains from epoch 1 and heartbeats a
 * checkpoint per epoch, an attempt that finds a checkpoint in its heartbeat details resumes after
 * it, and the written candidate evaluates against a champion. The model's settings come from the
 * revision the run reads (a run's options over them, both in the lineage), and the later steps
 * pin that revision. A pipeline never applied, and inputs the features topic's registered schema
 * does not have, are refused with one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalCandidateArtifacts } from '../../src/activities/candidate-artifacts.js';
import { InMemoryDeploymentLog } from '../../src/serving/deployment-log.js';
import { createRegistryActivities, type RegisteredVersion } from '../../src/activities/registry-activities.js';
import { createTrainingActivities, type DatasetSummary, type EvaluationSummary, type TrainedCandidate } from '../../src/activities/training-activities.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { deserialiseModelArtifact } from '../../src/registry/model-artifact.js';
import type { ExampleSource } from '../../src/training/example-source.js';
import { toTrainingExample } from '../../src/training/training-example.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import type { TrainingCheckpoint } from '../../src/training/training-loop.js';
import type { ClassifierMetrics } from '../../src/training/evaluation.js';
import { fixedFeaturesSchema } from '../fakes/fixed-features-schema.js';
import { revisionDraftAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { revisionDigest } from '../../src/pipelines/pipeline-revision.js';
import type { ModelDefinition } from '../../src/pipelines/pipeline-definition.js';
import { FRAUD_EXAMPLE_FIELDS, FRAUD_FEATURE_FIELDS, FRAUD_PIPELINE_FILE, fraudPipelineStore } from '../helpers/fraud-pipeline.js';
import type { LayersModel } from '@tensorflow/tfjs';
import { openModelArtifact } from '../../src/models/model-artifact-loader.js';
import { tfjsRuntimeModel } from '../../src/models/tfjs-model.js';
import { decodeCandidateModel } from '../../src/training/candidate-model-file.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';

const directory = mkdtempSync(join(tmpdir(), 'tributary-candidates-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const records = generateSyntheticExamples({ count: 3000, fraudRate: 0.1, seed: 3 });
/** The records read through the fields the activity asks for: the definition's. */
const source: ExampleSource = {
  topic: 'tributary.training-examples',
  snapshot: async () => [],
  read: async (_ranges, fields) => ({
    examples: records.map((record, index) => toTrainingExample({ ...record }, fields, `offset ${index}`)),
    undecodable: [],
    schemaIds: [4, 9],
    featureJobVersions: ['synthetic'],
  }),
};
const pipelines = await fraudPipelineStore('m');
const RANGES = [{ topic: 'tributary.training-examples', partition: 0, fromOffset: '0', toOffset: '3000' }];
const OPTIONS = { hiddenUnits: [8], maxEpochs: 3, patience: 10, backend: 'cpu' as const };

describe('training activities', () => {
  const artifacts = createLocalCandidateArtifacts(directory);
  const registry = new InMemoryModelRegistry();
  const activities = createTrainingActivities({ examples: source, registry, artifacts, pipelines });
  // Its default features topic is not the pipeline's: a first deployment must name the pipeline's.
  const deployments = new InMemoryDeploymentLog('tributary.catalogue-features');
  const features = fixedFeaturesSchema(FRAUD_FEATURE_FIELDS);
  const registryActivities = createRegistryActivities({ registry, deployments, artifacts, features, codeVersion: 'test' });

  it('summarises the dataset for the lineage', async () => {
    const summary: DatasetSummary = await new MockActivityEnvironment().run(activities.buildDataset, { model: 'm', ranges: RANGES, minExamples: 100 });
    expect(summary).toMatchObject({ examples: 3000, featureSchemaId: 9, featureJobVersions: ['synthetic'], undecodable: 0 });
    expect(summary.counts.train.examples + summary.counts.validation.examples + summary.counts.test.examples).toBe(3000);
  });

  it('heartbeats a checkpoint per epoch, resumes after the one in its heartbeat details, and evaluates against a champion', async () => {
    const fresh = new MockActivityEnvironment();
    const heartbeats: TrainingCheckpoint[] = [];
    fresh.on('heartbeat', (details: TrainingCheckpoint) => heartbeats.push(details));
    const first: TrainedCandidate = await fresh.run(activities.trainCandidate, { model: 'm', ranges: RANGES, minExamples: 100, runKey: 'training:m:1/run-a', options: OPTIONS });
    expect(heartbeats.map((checkpoint) => checkpoint.completedEpochs)).toEqual([1, 2, 3]);
    expect(first).toMatchObject({ completedEpochs: 3, resumedFromEpoch: 0, backend: 'cpu', featureVectorVersion: 1 });
    expect(first.artifactPath).toBe(join(directory, 'training_m_1_run-a', 'candidate.json'));

    const retried = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeats[1] });
    const resumedHeartbeats: number[] = [];
    retried.on('heartbeat', (details: TrainingCheckpoint) => resumedHeartbeats.push(details.completedEpochs));
    const second: TrainedCandidate = await retried.run(activities.trainCandidate, { model: 'm', ranges: RANGES, minExamples: 100, runKey: 'training:m:1/run-b', options: OPTIONS });
    expect(resumedHeartbeats).toEqual([3]);
    expect(second).toMatchObject({ completedEpochs: 3, resumedFromEpoch: 2 });

    // The first candidate becomes the champion through the registry activities, so its
    // artifact is stored in the registry's format and loaded back from it.
    const author = { by: 'test', reason: 'champion for the comparison' };
    const champion: RegisteredVersion = await new MockActivityEnvironment().run(registryActivities.registerCandidate, {
      model: 'm',
      artifactPath: first.artifactPath,
      metrics: { prAuc: 0.5 },
      threshold: 0.5,
      lineage: { offsetRanges: RANGES, featureSchemaId: 9, featureJobVersions: ['synthetic'], featureVectorVersion: 1, hyperParameters: {}, backend: 'cpu', splitBoundaries: {}, trainedBy: 'test' },
      runKey: 'training:m:1/run-a',
      author,
    });
    // The artifact records the applied definition's identity fields, which the scorer reads records by.
    const registered = await registry.getVersion('m', champion.version);
    const loaded = await deserialiseModelArtifact(await registry.loadArtifact('m', champion.version), { sha256: registered.artifact.sha256 });
    loaded.model.dispose();
    expect(loaded.identity).toEqual({ eventId: 'transaction_id', entityKey: 'card_hash', eventTime: 'event_time' });
    await new MockActivityEnvironment().run(registryActivities.promoteToChampion, { model: 'm', version: champion.version, author });
    // Scorers serve the new champion: its deployment names it with the artifact's sha256, on the pipeline's features topic.
    const deployed = await deployments.latest('m');
    expect(deployed).toMatchObject({ revision: 1, featuresTopic: 'tributary.features', champion: { version: champion.version, sha256: (await registry.getVersion('m', champion.version)).artifact.sha256 }, challenger: null, updatedBy: 'test' });
    await new MockActivityEnvironment().run(registryActivities.promoteToChampion, { model: 'm', version: champion.version, author });
    expect((await deployments.latest('m'))?.revision).toBe(1);
    const evaluation: EvaluationSummary = await new MockActivityEnvironment().run(activities.evaluateCandidate, {
      ranges: RANGES,
      minExamples: 100,
      model: 'm',
      artifactPath: second.artifactPath,
      evaluation: { primaryMetric: 'prAuc' as const, minimumImprovement: 0.005 },
    });
    expect(evaluation.champion?.version).toBe(1);
    expect((evaluation.candidate as ClassifierMetrics).rocAuc).toBeGreaterThan(0.8);
    // The resumed run repeats the uninterrupted one up to float rounding, so it cannot beat it.
    expect(evaluation.comparison.improvement).toBeCloseTo(0, 4);
    expect(evaluation.comparison.candidateBetter).toBe(false);

    // The features schema loses amount: the second candidate is not registered, v1 not promoted again.
    features.set(new Map([...FRAUD_FEATURE_FIELDS].filter(([name]) => name !== 'amount')), 2);
    const register = new MockActivityEnvironment().run(registryActivities.registerCandidate, {
      model: 'm',
      artifactPath: second.artifactPath,
      metrics: { prAuc: 0.5 },
      threshold: 0.5,
      lineage: { offsetRanges: RANGES, featureSchemaId: 9, featureJobVersions: ['synthetic'], featureVectorVersion: 1, hyperParameters: {}, backend: 'cpu', splitBoundaries: {}, trainedBy: 'test' },
      runKey: 'training:m:1/run-b',
      author,
    });
    await expect(register).rejects.toThrow(
      'the new version of model m is not registered: it reads "amount" (log1p), which is not a field of the features topic\'s registered schema (tributary.features-value version 2); register a features schema that has the field as the model reads it, or retrain with inputs that match',
    );
    expect(await registry.listVersions('m')).toHaveLength(1);
    await new MockActivityEnvironment().run(registryActivities.setVersionStage, { model: 'm', version: 1, stage: 'archived' as const, author });
    await expect(new MockActivityEnvironment().run(registryActivities.promoteToChampion, { model: 'm', version: 1, author })).rejects.toThrow(
      /^model m v1 is not promoted: it reads "amount" \(log1p\), which is not a field of the features topic's registered schema/,
    );
    features.set(FRAUD_FEATURE_FIELDS, 3);
  });

  it('refuses to train a pipeline that was never applied, naming the command that applies it', async () => {
    const attempt = new MockActivityEnvironment().run(activities.buildDataset, { model: 'unknown', ranges: RANGES, minExamples: 100 });
    await expect(attempt).rejects.toThrow('pipeline unknown has no applied definition, so nothing says what its model reads; apply it first: `tributary pipeline apply <file>`');
  });

  it('the evaluation exports the trained network to ONNX and checks it on the test split; registration serves the export, or keeps tfjs when model.serveAs says so', async () => {
    const store = await fraudPipelineStore('served');
    const draft = revisionDraftAs(FRAUD_PIPELINE_FILE, 'kept');
    const keptDefinition = { ...draft.definition, model: { ...draft.definition.model, serveAs: 'tfjs' as const } };
    await store.record({ ...draft, definition: keptDefinition, digest: revisionDigest(keptDefinition, draft.files) });
    const exportRegistry = new InMemoryModelRegistry();
    const training = createTrainingActivities({ examples: source, registry: exportRegistry, artifacts, pipelines: store });
    const registering = createRegistryActivities({ registry: exportRegistry, deployments: new InMemoryDeploymentLog('tributary.features'), artifacts, features, codeVersion: 'test' });
    const lineage = { offsetRanges: RANGES, featureSchemaId: 9, featureJobVersions: ['synthetic'], featureVectorVersion: 1, hyperParameters: {}, backend: 'cpu', splitBoundaries: {}, trainedBy: 'test' };
    const runThrough = async (model: string) => {
      const request = { model, ranges: RANGES, minExamples: 100 };
      const trained: TrainedCandidate = await new MockActivityEnvironment().run(training.trainCandidate, { ...request, runKey: `training:${model}:1/run-a`, options: OPTIONS });
      const evaluation: EvaluationSummary = await new MockActivityEnvironment().run(training.evaluateCandidate, { ...request, artifactPath: trained.artifactPath, evaluation: {} });
      const candidate = await decodeCandidateModel(await artifacts.read(trained.artifactPath));
      const registered: RegisteredVersion = await new MockActivityEnvironment().run(registering.registerCandidate, {
        model,
        artifactPath: trained.artifactPath,
        metrics: { prAuc: 0.5 },
        threshold: 0.5,
        lineage,
        runKey: `training:${model}:1/run-a`,
        author: { by: 'test', reason: 'export' },
      });
      const version = await exportRegistry.getVersion(model, registered.version);
      const served = await openModelArtifact(await exportRegistry.loadArtifact(model, registered.version), { sha256: version.artifact.sha256 });
      return { trained, evaluation, candidate, version, served };
    };

    const exported = await runThrough('served');
    // 15 % of the 3000 examples are the test split: every one of them is scored by both runtimes.
    expect(exported.evaluation.onnxExport?.accepted).toBe(true);
    expect(exported.evaluation.onnxExport?.note).toMatch(/^served by onnx: exported in [0-9.]+ ms, max \|difference\| [0-9.]+e-\d+ on 450 held-out rows, tolerance 1\.0e-5$/);
    expect(exported.version.artifact.runtime).toBe('onnx');
    expect(exported.version.tags).toMatchObject({ onnxExport: exported.evaluation.onnxExport?.note, exportedFromTfjsWeights: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The registered artifact opens with ONNX Runtime and scores as the trained network does.
    expect(exported.served.runtime).toBe('onnx');
    expect(exported.candidate.runtime).toBe('tfjs');
    const rows = labelledMatrixOf(exported.served.vectoriser, records.slice(0, 200).map((record, index) => toTrainingExample({ ...record }, FRAUD_EXAMPLE_FIELDS, `offset ${index}`)), 'check').features;
    const network = tfjsRuntimeModel(exported.candidate.model as LayersModel);
    const [fromOnnx, fromTfjs] = [await exported.served.model.score(rows), await network.score(rows)];
    network.dispose();
    expect(Math.max(...fromOnnx.map((score, row) => Math.abs(score - fromTfjs[row]!)))).toBeLessThanOrEqual(1e-5);
    exported.served.model.dispose();
    // Registration removed the candidate and its export verdict.
    expect(await artifacts.readOnnxExport(exported.trained.artifactPath)).toBeUndefined();

    const kept = await runThrough('kept');
    expect(kept.evaluation.onnxExport).toEqual({ accepted: false, note: "kept tfjs: the pipeline's model.serveAs is tfjs" });
    expect(kept.version.artifact.runtime).toBe('tfjs');
    expect(kept.version.tags.onnxExport).toBe("kept tfjs: the pipeline's model.serveAs is tfjs");
    expect(kept.served.runtime).toBe('tfjs');
    kept.served.model.dispose();
    kept.candidate.model.dispose();
  });

  it("trains with the revision's model settings, the run's options over them, and pins the revision the dataset step read", async () => {
    const store = await fraudPipelineStore('settings');
    /** Records the fraud example under `settings` with its model section changed by `change`. */
    const apply = async (change: Partial<ModelDefinition>): Promise<void> => {
      const draft = revisionDraftAs(FRAUD_PIPELINE_FILE, 'settings');
      const definition = { ...draft.definition, model: { ...draft.definition.model, ...change } };
      await store.record({ ...draft, definition, digest: revisionDigest(definition, draft.files) });
    };
    await apply({
      architecture: { kind: 'mlp', hiddenUnits: [4], dropout: 0 },
      training: { maxEpochs: 2, patience: 10, seed: 5, minExamples: 3001 },
      decision: { maxFalsePositiveRate: 0.05 },
      split: { train: 0.6, validation: 0.2, test: 0.2 },
    });
    const settingsActivities = createTrainingActivities({ examples: source, registry: new InMemoryModelRegistry(), artifacts, pipelines: store });

    // The definition's minimum (3001) refuses the 3000 examples; the run's own minimum lets them through.
    await expect(new MockActivityEnvironment().run(settingsActivities.buildDataset, { model: 'settings', ranges: RANGES })).rejects.toThrow(
      'the offset ranges hold 3000 training examples (0 more undecodable), fewer than the 3001 required',
    );
    const dataset: DatasetSummary = await new MockActivityEnvironment().run(settingsActivities.buildDataset, { model: 'settings', ranges: RANGES, minExamples: 100 });
    expect(dataset.pipelineRevision).toBe(2);
    // The definition's split: 60 % of 3000 examples in train, 20 % in test.
    expect([dataset.counts.train.examples, dataset.counts.test.examples]).toEqual([1800, 600]);

    // A definition applied after the dataset step does not change the run: the later steps read revision 2.
    await apply({ architecture: { kind: 'mlp', hiddenUnits: [16] }, training: { maxEpochs: 1 }, decision: { targetRecall: 0.5 } });
    const pinned = { model: 'settings', ranges: RANGES, minExamples: 100, pipelineRevision: 2 };
    const trained: TrainedCandidate = await new MockActivityEnvironment().run(settingsActivities.trainCandidate, {
      ...pinned,
      runKey: 'training:settings:1/run-a',
      options: { maxEpochs: 3, backend: 'cpu' as const },
    });
    expect(trained.completedEpochs).toBe(3);
    expect(trained.hyperParameters).toMatchObject({
      hiddenUnits: [4],
      dropout: 0,
      maxEpochs: 3,
      seed: 5,
      pipelineRevision: 2,
      decision: { targetFalsePositiveRate: 0.05 },
      splitFractions: { train: 0.6, validation: 0.2, test: 0.2 },
      minExamples: 100,
      overridden: ['minExamples', 'training.backend', 'training.maxEpochs'],
    });

    // The threshold is the lowest whose false-positive rate on the test split stays within the definition's 0.05.
    const evaluation: EvaluationSummary = await new MockActivityEnvironment().run(settingsActivities.evaluateCandidate, {
      ...pinned,
      artifactPath: trained.artifactPath,
      evaluation: {},
    });
    const point = (evaluation.candidate as ClassifierMetrics).operatingPoint;
    expect(point.falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(evaluation.candidate.examples).toBe(600);
    const at = async (operatingPoint: { targetRecall: number } | { targetFalsePositiveRate: number }) =>
      (((await new MockActivityEnvironment().run(settingsActivities.evaluateCandidate, { ...pinned, artifactPath: trained.artifactPath, evaluation: { operatingPoint } })) as EvaluationSummary).candidate as ClassifierMetrics).operatingPoint;
    // The same point as the policy given explicitly, not the point of recall 0.8 that was the code's default.
    expect(await at({ targetFalsePositiveRate: 0.05 })).toEqual(point);
    expect((await at({ targetRecall: 0.8 })).threshold).not.toBe(point.threshold);

    // A revision the store does not have is refused with the way on.
    await expect(new MockActivityEnvironment().run(settingsActivities.buildDataset, { ...pinned, pipelineRevision: 9 })).rejects.toThrow(
      'pipeline settings has no revision 9, which this training run started from; start a new run: `tributary train settings`',
    );
  });
});
