import { memory, tensor, type LayersModel } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/registry/artifact-digest.js';
import { ModelDisposedError, ModelLoadError } from '../../src/serving/errors.js';
import { loadScoringModel } from '../../src/serving/scoring-model.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { predictScores } from '../../src/training/model.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { fraudExamples } from '../helpers/fraud-pipeline.js';
import { MODEL, registerFormatOneVersion, registerNetwork, registryWithVersions, testNetwork, testSpec, useCpuBackend } from '../helpers/scoring-models.js';

/** Rows vectorised through the spec the test versions are registered with. */
const matrix = labelledMatrixOf(compileVectoriser(testSpec), fraudExamples({ count: 50, seed: 3 }), 'test').features;

beforeAll(useCpuBackend);

/** Expects `attempt` to fail with a ModelLoadError whose message is exactly `message`, and returns it. */
async function expectLoadError(attempt: Promise<unknown>, message: string): Promise<ModelLoadError> {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  expect((error as ModelLoadError).message).toBe(message);
  return error as ModelLoadError;
}

describe('loadScoringModel', () => {
  it('scores rows exactly as the registered network does, with the vectoriser of its artifact, and leaves no tensor behind', async () => {
    const { registry, served } = await registryWithVersions(2);
    const tensorsBefore = memory().numTensors;
    const scoringModel = await loadScoringModel(registry, MODEL, served[1]!);
    expect(scoringModel).toMatchObject({ model: MODEL, version: 2, sha256: served[1]!.sha256, threshold: 0.5, task: 'binary-classification', runtime: 'tfjs', identity: { eventId: 'transaction_id', entityKey: 'card_hash', eventTime: 'event_time' } });
    const tensorsLoaded = memory().numTensors;

    const network = testNetwork(2);
    const expected = await predictScores(network, matrix);
    network.dispose();
    expect(scoringModel.vectoriser.columnNames).toEqual(testSpec.columns);
    const scores = await scoringModel.score(matrix);
    expect(scores).toEqual(expected);
    expect(new Set(scores).size).toBeGreaterThan(1);
    expect(memory().numTensors).toBe(tensorsLoaded);

    scoringModel.dispose();
    expect(memory().numTensors).toBe(tensorsBefore);
    await expect(scoringModel.score(matrix)).rejects.toThrow(ModelDisposedError);
  });

  it('refuses an artifact whose sha256 is not the one the deployment names', async () => {
    const { registry, served } = await registryWithVersions(2);
    const tensorsBefore = memory().numTensors;
    await expectLoadError(
      loadScoringModel(registry, MODEL, { version: 1, sha256: served[1]!.sha256 }),
      `cannot serve fraud version 1: the deployment names artifact sha256 ${served[1]!.sha256}, the registry recorded ${served[0]!.sha256}`,
    );
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses corrupted bytes, naming the registry\'s reason', async () => {
    const { registry, served } = await registryWithVersions(1);
    const corrupted = Uint8Array.from(await registry.loadArtifact(MODEL, 1));
    corrupted[corrupted.length - 1]! ^= 0xff;
    registry.overwriteArtifactBytes(MODEL, 1, corrupted);
    const tensorsBefore = memory().numTensors;
    await expectLoadError(
      loadScoringModel(registry, MODEL, served[0]!),
      `cannot serve fraud version 1: refusing artifact of fraud version 1: its sha256 is ${sha256Hex(corrupted)}, the registry recorded ${served[0]!.sha256}`,
    );
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses a version the registry does not have', async () => {
    const { registry, served } = await registryWithVersions(1);
    await expectLoadError(loadScoringModel(registry, MODEL, { ...served[0]!, version: 7 }), 'cannot serve fraud version 7: model "fraud" has no version 7; its versions: 1');
  });

  it('refuses a model whose network takes another width than its vectoriser makes, disposing what it built', async () => {
    const { registry } = await registryWithVersions(0);
    const narrow = testNetwork(1, 5);
    const served = await registerNetwork(registry, narrow);
    narrow.dispose();
    const tensorsBefore = memory().numTensors;
    await expectLoadError(
      loadScoringModel(registry, MODEL, served),
      `cannot serve fraud version 1: model artifact cannot be used: the network takes 5 input columns, its vectoriser makes ${testSpec.columns.length}`,
    );
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses an artifact of format 1 with one line saying to retrain, not to be tried again', async () => {
    const { registry } = await registryWithVersions(0);
    const served = await registerFormatOneVersion(registry);
    const error = await expectLoadError(
      loadScoringModel(registry, MODEL, served),
      'cannot serve fraud version 1: model fraud v1 is artifact format 1 (the fixed layout of Tributary 0.1); this version loads format 2 only: ' +
        'retrain it (`tributary train fraud`) and promote the new version; the scorer keeps the model it serves until then',
    );
    expect(error.retriable).toBe(false);
  });

  it('refuses, disposing what it built, an artifact that does not record the identity fields, with one line saying to retrain', async () => {
    const { registry } = await registryWithVersions(0);
    const network = testNetwork(1);
    const served = await registerNetwork(registry, network, 0.5, testSpec, null);
    network.dispose();
    const tensorsBefore = memory().numTensors;
    const error = await expectLoadError(
      loadScoringModel(registry, MODEL, served),
      'cannot serve fraud version 1: its artifact does not record which features fields are the event id, entity key and event time (it was trained before artifacts did); ' +
        'retrain it (`tributary train fraud`) and promote the new version; the scorer keeps the model it serves until then',
    );
    expect(error.retriable).toBe(false);
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses a model whose warm-up scores are not probabilities (NaN weights), disposing what it built', async () => {
    const { registry } = await registryWithVersions(0);
    const broken: LayersModel = testNetwork(1);
    const nanWeights = broken.getWeights().map((weight) => tensor(new Float32Array(weight.size).fill(Number.NaN), weight.shape));
    broken.setWeights(nanWeights);
    nanWeights.forEach((weight) => weight.dispose());
    const served = await registerNetwork(registry, broken);
    broken.dispose();
    const tensorsBefore = memory().numTensors;
    await expectLoadError(
      loadScoringModel(registry, MODEL, served),
      'cannot serve fraud version 1: its warm-up batch of 32 rows gave 32 scores, one of them NaN (not a probability from 0 to 1)',
    );
    expect(memory().numTensors).toBe(tensorsBefore);
  });
});
