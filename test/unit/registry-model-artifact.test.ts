import { memory } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/registry/artifact-digest.js';
import { ArtifactFormatError, ArtifactIntegrityError, FeatureVectorMismatchError } from '../../src/registry/errors.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { deserialiseModelArtifact, serialiseModelArtifact, type ModelArtifactInput } from '../../src/registry/model-artifact.js';
import { selectTensorFlowBackend } from '../../src/training/backend.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { FEATURE_COLUMNS } from '../../src/training/feature-vector.js';
import { predictScores } from '../../src/training/model.js';
import { normalise } from '../../src/training/normalisation.js';
import { generateSyntheticExamples } from '../../src/training/synthetic-examples.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { trainFraudModel } from '../../src/training/training-loop.js';

const prepared = prepareTrainingData(splitByEventTime(generateSyntheticExamples({ count: 800, seed: 5 })));
const testInput = normalise(prepared.rawTest.features, prepared.normaliser);
const metadata = { model: 'fraud', trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'abc123' };
let input: ModelArtifactInput;
let baselineScores: Float32Array;

beforeAll(async () => {
  await selectTensorFlowBackend({ force: 'cpu', logger: { info: () => undefined, warn: () => undefined } });
  const { model } = await trainFraudModel({ train: prepared.train, validation: prepared.validation }, { hiddenUnits: [8, 4], maxEpochs: 1, batchSize: 128 });
  input = { model, normaliser: prepared.normaliser, threshold: 0.37, metadata };
  baselineScores = await predictScores(model, testInput);
});

describe('model artifact', () => {
  it('round-trips the model and its preprocessing into identical predictions, leaving no tensor behind', async () => {
    const tensorsBefore = memory().numTensors;
    const { bytes, sha256 } = await serialiseModelArtifact(input);
    expect(sha256).toBe(sha256Hex(bytes));
    expect(Buffer.from(bytes.subarray(0, 8)).toString('ascii')).toBe('TRBMODEL');

    const loaded = await deserialiseModelArtifact(bytes, { sha256 });
    try {
      expect(await predictScores(loaded.model, testInput)).toEqual(baselineScores);
      expect(loaded.normaliser).toEqual(prepared.normaliser);
      expect(loaded).toMatchObject({ featureVectorVersion: 1, featureColumns: FEATURE_COLUMNS, threshold: 0.37, metadata, tfjsVersion: '4.22.0', sha256 });
    } finally {
      loaded.model.dispose();
    }
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('serialises the same model to the same bytes', async () => {
    expect((await serialiseModelArtifact(input)).sha256).toBe((await serialiseModelArtifact(input)).sha256);
  });

  it('refuses bytes whose sha256 is not the recorded one, before building anything', async () => {
    const { bytes, sha256 } = await serialiseModelArtifact(input);
    const corrupted = Uint8Array.from(bytes);
    corrupted[corrupted.length - 1] = (corrupted[corrupted.length - 1] ?? 0) ^ 0xff;
    const tensorsBefore = memory().numTensors;
    const attempt = deserialiseModelArtifact(corrupted, { sha256, model: 'fraud', version: 4 });
    await expect(attempt).rejects.toThrow(ArtifactIntegrityError);
    await expect(deserialiseModelArtifact(corrupted, { sha256, model: 'fraud', version: 4 })).rejects.toThrow(
      `refusing artifact of fraud version 4: its sha256 is ${sha256Hex(corrupted)}, the registry recorded ${sha256}`,
    );
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses an artifact trained on another feature vector version', async () => {
    const { bytes, sha256 } = await serialiseModelArtifact({ ...input, normaliser: { ...prepared.normaliser, featureVectorVersion: 2 } });
    const attempt = deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 9 });
    await expect(attempt).rejects.toThrow(FeatureVectorMismatchError);
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 9 })).rejects.toThrow(
      'refusing model artifact of fraud: it was trained on feature vector version 2, this build computes version 1; retrain it, or run a build of version 2',
    );
  });

  it('refuses bytes that are not an artifact', async () => {
    const junk = Buffer.from('not a model');
    await expect(deserialiseModelArtifact(junk, { sha256: sha256Hex(junk) })).rejects.toThrow(new ArtifactFormatError('it does not start with TRBMODEL'));
  });

  it('is refused by the registry when the stored bytes were replaced', async () => {
    const registry = new InMemoryModelRegistry();
    const { bytes, sha256 } = await serialiseModelArtifact(input);
    const lineage = { offsetRanges: [], featureSchemaId: 1, featureJobVersions: [], codeVersion: 'abc123', featureVectorVersion: 1, hyperParameters: {}, backend: 'cpu', splitBoundaries: {}, trainedBy: 'test' };
    await registry.registerVersion({ model: 'fraud', metrics: {}, threshold: 0.37, lineage, artifact: bytes }, { by: 'test', reason: 'test' });
    expect(await registry.loadArtifact('fraud', 1)).toEqual(bytes);

    const replaced = Uint8Array.from(bytes).reverse();
    registry.overwriteArtifactBytes('fraud', 1, replaced);
    await expect(registry.loadArtifact('fraud', 1)).rejects.toThrow(`refusing artifact of fraud version 1: its sha256 is ${sha256Hex(replaced)}, the registry recorded ${sha256}`);
  });
});
