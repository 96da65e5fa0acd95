import { memory } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/registry/artifact-digest.js';
import { ArtifactFormatError, ArtifactFormatVersionError, ArtifactIntegrityError } from '../../src/registry/errors.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { deserialiseModelArtifact, readArtifactSpec, serialiseModelArtifact, type ModelArtifactInput, type RecordIdentity } from '../../src/registry/model-artifact.js';
import { selectTensorFlowBackend } from '../../src/training/backend.js';
import { splitByEventTime } from '../../src/training/dataset-split.js';
import { labelledMatrixOf } from '../../src/training/feature-matrix.js';
import { predictScores } from '../../src/training/model.js';
import { prepareTrainingData } from '../../src/training/training-data.js';
import { trainModel } from '../../src/training/training-loop.js';
import { FRAUD_IDENTITY, fraudExamples, fraudVectoriserInputs } from '../helpers/fraud-pipeline.js';
import { formatOneArtifactBytes } from '../helpers/scoring-models.js';

const prepared = prepareTrainingData(splitByEventTime(fraudExamples({ count: 800, seed: 5 })), fraudVectoriserInputs);
const testInput = labelledMatrixOf(prepared.vectoriser, prepared.test, 'test').features;
const metadata = { model: 'fraud', trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'abc123' };
let input: ModelArtifactInput;
let baselineScores: Float32Array;

beforeAll(async () => {
  await selectTensorFlowBackend({ force: 'cpu', logger: { info: () => undefined, warn: () => undefined } });
  const { model } = await trainModel({ train: prepared.train, validation: prepared.validation }, { hiddenUnits: [8, 4], maxEpochs: 1, batchSize: 128 });
  input = { model, vectoriser: prepared.spec, task: 'binary-classification', identity: FRAUD_IDENTITY, threshold: 0.37, metadata };
  baselineScores = await predictScores(model, testInput);
});

describe('model artifact', () => {
  it('round-trips the model and its vectoriser into identical predictions, leaving no tensor behind', async () => {
    const tensorsBefore = memory().numTensors;
    const { bytes, sha256 } = await serialiseModelArtifact(input);
    expect(sha256).toBe(sha256Hex(bytes));
    expect(Buffer.from(bytes.subarray(0, 8)).toString('ascii')).toBe('TRBMODEL');

    const loaded = await deserialiseModelArtifact(bytes, { sha256 });
    try {
      // The rows vectorised by the loaded vectoriser, scored by the loaded network.
      expect(await predictScores(loaded.model, labelledMatrixOf(loaded.vectoriser, prepared.test, 'test').features)).toEqual(baselineScores);
      expect(loaded.spec).toEqual(prepared.spec);
      expect(loaded.vectoriser.columnNames).toEqual(prepared.spec.columns);
      expect(loaded).toMatchObject({ task: 'binary-classification', identity: FRAUD_IDENTITY, threshold: 0.37, metadata, tfjsVersion: '4.22.0', sha256 });
      expect(readArtifactSpec(bytes, { sha256 })).toEqual(prepared.spec);
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

  it('refuses an artifact of format 1 with one line saying what to do, before building anything', async () => {
    const bytes = formatOneArtifactBytes();
    const sha256 = sha256Hex(bytes);
    const message =
      'model fraud v9 is artifact format 1 (the fixed layout of Tributary 0.1); this version loads format 2 only: ' +
      'retrain it (`tributary train fraud`) and promote the new version; the scorer keeps the model it serves until then';
    const tensorsBefore = memory().numTensors;
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 9 })).rejects.toThrow(ArtifactFormatVersionError);
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 9 })).rejects.toThrow(message);
    expect(() => readArtifactSpec(bytes, { sha256, model: 'fraud', version: 9 })).toThrow(message);
    expect(memory().numTensors).toBe(tensorsBefore);
  });

  it('refuses an artifact whose vectoriser spec is malformed, naming the problem', async () => {
    const { bytes, sha256 } = await serialiseModelArtifact({ ...input, vectoriser: { ...prepared.spec, columns: prepared.spec.columns.slice(1) } });
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 3 })).rejects.toThrow(ArtifactFormatError);
    await expect(deserialiseModelArtifact(bytes, { sha256, model: 'fraud', version: 3 })).rejects.toThrow(
      `model artifact cannot be used: vectoriser spec refused: columns[0] is ${JSON.stringify(prepared.spec.columns[1])}; the inputs make ${JSON.stringify(prepared.spec.columns[0])} there`,
    );
  });

  it('reads an artifact written before artifacts recorded the identity fields as having none, and refuses malformed ones', async () => {
    // JSON drops an undefined key: the header is the one such an artifact has.
    const old = await serialiseModelArtifact({ ...input, identity: undefined as unknown as RecordIdentity });
    const loaded = await deserialiseModelArtifact(old.bytes, { sha256: old.sha256 });
    loaded.model.dispose();
    expect(loaded.identity).toBeUndefined();

    const partial = await serialiseModelArtifact({ ...input, identity: { eventId: 'order_id', eventTime: 'placed_at' } as RecordIdentity });
    await expect(deserialiseModelArtifact(partial.bytes, { sha256: partial.sha256, model: 'fraud', version: 3 })).rejects.toThrow(
      'model artifact cannot be used: its identity fields name no entityKey field (got {"eventId":"order_id","eventTime":"placed_at"})',
    );
  });

  it("reads a regression's threshold as none, also from an artifact that held 0 for it, and refuses a classifier without one", async () => {
    for (const threshold of [null, 0]) {
      const regression = await serialiseModelArtifact({ ...input, task: 'regression', threshold });
      const loaded = await deserialiseModelArtifact(regression.bytes, { sha256: regression.sha256 });
      loaded.model.dispose();
      expect(loaded.threshold).toBeNull();
    }
    const undecided = await serialiseModelArtifact({ ...input, threshold: null });
    await expect(deserialiseModelArtifact(undecided.bytes, { sha256: undecided.sha256, model: 'fraud', version: 3 })).rejects.toThrow(
      'model artifact cannot be used: its binary-classification model records no decision threshold',
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
