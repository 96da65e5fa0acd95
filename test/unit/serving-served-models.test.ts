import { memory } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { scoreBatch } from '../../src/serving/batch-scorer.js';
import { DeploymentModelMismatchError, ModelLoadError, NothingServedError, ServedModelsClosedError } from '../../src/serving/errors.js';
import type { ServedModel } from '../../src/serving/model-deployment.js';
import { ServedModels, type ServingSnapshot, type SwapOutcome } from '../../src/serving/served-models.js';
import { loadScoringModel, type ScoringModel } from '../../src/serving/scoring-model.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { deploymentOf, MODEL, registerFormatOneVersion, registryWithVersions, useCpuBackend } from '../helpers/scoring-models.js';

const inputs = generateSyntheticExamples({ count: 40, seed: 8 }).map((record) => ({ record, kafkaTimestamp: record.event_time + 5 }));

beforeAll(useCpuBackend);

/** Loads through the real loader and records every load and every dispose, by version. */
function trackingLoader(registry: InMemoryModelRegistry) {
  const loads: number[] = [];
  const disposals: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const load = async (model: string, served: ServedModel): Promise<ScoringModel> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const inner = await loadScoringModel(registry, model, served);
      loads.push(served.version);
      return {
        model: inner.model,
        version: inner.version,
        sha256: inner.sha256,
        task: inner.task,
        runtime: inner.runtime,
        threshold: inner.threshold,
        identity: inner.identity,
        vectoriser: inner.vectoriser,
        score: (matrix) => inner.score(matrix),
        dispose: () => {
          disposals.push(inner.version);
          inner.dispose();
        },
      };
    } finally {
      inFlight -= 1;
    }
  };
  return { load, loads, disposals, maxInFlight: () => maxInFlight };
}

/** The model versions the batch's scores name, deciding and shadow. */
async function versionsScoredBy(snapshot: ServingSnapshot): Promise<{ deciding: number[]; shadow: number[] }> {
  const outcomes = await scoreBatch(snapshot, inputs, () => 1_800_000_000_000);
  const scores = outcomes.map((outcome) => {
    if (outcome.kind !== 'scored') throw new Error(`unexpected rejection: ${outcome.reason}`);
    return outcome.score;
  });
  return {
    deciding: [...new Set(scores.map((score) => score.model_version))].sort(),
    shadow: [...new Set(scores.flatMap((score) => (score.shadow === null ? [] : [score.shadow.model_version])))].sort(),
  };
}

const swapped = (revision: number, loaded: readonly number[]) => ({ kind: 'swapped', revision, loaded, durationMs: expect.any(Number) as number });

describe('ServedModels', () => {
  it('leaves tf.memory().numTensors at its baseline after 100 swaps with a batch scored between each', async () => {
    const { registry, served } = await registryWithVersions(3);
    const tracking = trackingLoader(registry);
    const baseline = memory().numTensors;
    const models = new ServedModels(tracking.load);
    for (let revision = 1; revision <= 100; revision += 1) {
      const champion = served[revision % 2]!;
      const withChallenger = revision % 3 === 0;
      const deployment = deploymentOf({
        revision,
        champion,
        challenger: withChallenger ? served[2]! : null,
        challengerMode: withChallenger ? (revision % 2 === 0 ? 'SHADOW' : 'SPLIT') : 'NONE',
        challengerShare: withChallenger && revision % 2 === 1 ? 0.5 : 0,
      });
      const outcome = await models.apply(deployment);
      expect(outcome).toMatchObject({ kind: 'swapped', revision });
      const lease = models.acquire();
      try {
        const versions = await versionsScoredBy(lease.snapshot);
        expect(versions.deciding).toContain(champion.version);
      } finally {
        lease.release();
      }
    }
    expect(memory().numTensors).toBeGreaterThan(baseline);
    await models.close();
    expect(memory().numTensors).toBe(baseline);
    expect(tracking.loads.length).toBeGreaterThanOrEqual(100);
    expect([...tracking.disposals].sort()).toEqual([...tracking.loads].sort());
  });

  it('never swaps in a version whose artifact fails; the previous snapshot keeps serving and the outcome says why', async () => {
    const { registry, served } = await registryWithVersions(3);
    const tracking = trackingLoader(registry);
    const models = new ServedModels(tracking.load);
    expect(await models.apply(deploymentOf({ revision: 1, champion: served[0]! }))).toEqual(swapped(1, [1]));
    const tensorsServingV1 = memory().numTensors;

    // The deployment names v1's sha256 for v2.
    const mismatch = await models.apply(deploymentOf({ revision: 2, champion: { version: 2, sha256: served[0]!.sha256 } }));
    expect(mismatch).toMatchObject({ kind: 'failed', revision: 2 });
    const mismatchError = (mismatch as Extract<SwapOutcome, { kind: 'failed' }>).error;
    expect(mismatchError).toBeInstanceOf(ModelLoadError);
    expect(mismatchError.message).toBe(`cannot serve fraud version 2: the deployment names artifact sha256 ${served[0]!.sha256}, the registry recorded ${served[1]!.sha256}`);
    expect(models.current()?.deployment.revision).toBe(1);
    expect(await versionsScoredBy(models.current()!)).toEqual({ deciding: [1], shadow: [] });

    // v3's stored bytes are corrupt: the challenger fails, so the champion (v1, reused) keeps serving alone.
    const bytes = Uint8Array.from(await registry.loadArtifact(MODEL, 3));
    bytes[100]! ^= 0x01;
    registry.overwriteArtifactBytes(MODEL, 3, bytes);
    const corrupt = await models.apply(deploymentOf({ revision: 2, champion: served[0]!, challenger: served[2]!, challengerMode: 'SHADOW' }));
    expect(corrupt).toMatchObject({ kind: 'failed', revision: 2 });
    expect((corrupt as Extract<SwapOutcome, { kind: 'failed' }>).error.message).toMatch(/^cannot serve fraud version 3: refusing artifact of fraud version 3: its sha256 is [0-9a-f]{64}, the registry recorded /);
    expect(await versionsScoredBy(models.current()!)).toEqual({ deciding: [1], shadow: [] });
    expect(memory().numTensors).toBe(tensorsServingV1);

    // A champion that loads with a challenger that fails: the champion loaded for it is disposed again.
    const halfGood = await models.apply(deploymentOf({ revision: 2, champion: served[1]!, challenger: served[2]!, challengerMode: 'SHADOW' }));
    expect(halfGood).toMatchObject({ kind: 'failed', revision: 2, error: { version: 3 } });
    expect(tracking.disposals).toEqual([2]);
    expect(memory().numTensors).toBe(tensorsServingV1);

    // The failed revision did not advance what is served, so a good deployment of it still applies.
    expect(await models.apply(deploymentOf({ revision: 2, champion: served[1]! }))).toEqual(swapped(2, [2]));
    expect(await versionsScoredBy(models.current()!)).toEqual({ deciding: [2], shadow: [] });
    await models.close();
  });

  it('keeps serving its champion when a deployment names a format-1 artifact, and says to retrain it', async () => {
    const { registry, served } = await registryWithVersions(1);
    const models = new ServedModels(trackingLoader(registry).load);
    expect(await models.apply(deploymentOf({ revision: 1, champion: served[0]! }))).toEqual(swapped(1, [1]));
    const formatOne = await registerFormatOneVersion(registry);
    const outcome = await models.apply(deploymentOf({ revision: 2, champion: formatOne }));
    expect(outcome).toMatchObject({ kind: 'failed', revision: 2, error: { version: 2, retriable: false } });
    expect((outcome as Extract<SwapOutcome, { kind: 'failed' }>).error.message).toBe(
      'cannot serve fraud version 2: model fraud v2 is artifact format 1 (the fixed layout of Tributary 0.1); this version loads format 2 only: ' +
        'retrain it (`tributary train fraud`) and promote the new version; the scorer keeps the model it serves until then',
    );
    expect(await versionsScoredBy(models.current()!)).toEqual({ deciding: [1], shadow: [] });
    await models.close();
  });

  it('wraps anything else a loader throws in a ModelLoadError naming the version', async () => {
    const { served } = await registryWithVersions(1);
    const models = new ServedModels(() => Promise.reject(new Error('disk on fire')));
    const outcome = await models.apply(deploymentOf({ revision: 1, champion: served[0]! }));
    expect(outcome).toMatchObject({ kind: 'failed', revision: 1 });
    expect((outcome as Extract<SwapOutcome, { kind: 'failed' }>).error).toEqual(new ModelLoadError(MODEL, 1, 'disk on fire'));
    expect(() => models.acquire()).toThrow(NothingServedError);
    await models.close();
  });

  it('does not dispose a replaced model while a lease holds it, and disposes it on release', async () => {
    const { registry, served } = await registryWithVersions(2);
    const tracking = trackingLoader(registry);
    const models = new ServedModels(tracking.load);
    await models.apply(deploymentOf({ revision: 1, champion: served[0]! }));
    const lease = models.acquire();
    expect(await models.apply(deploymentOf({ revision: 2, champion: served[1]! }))).toEqual(swapped(2, [2]));
    expect(models.current()?.champion?.version).toBe(2);
    expect(tracking.disposals).toEqual([]);
    expect(await versionsScoredBy(lease.snapshot)).toEqual({ deciding: [1], shadow: [] });

    lease.release();
    expect(tracking.disposals).toEqual([1]);
    lease.release();
    expect(tracking.disposals).toEqual([1]);
    await models.close();
    expect(tracking.disposals).toEqual([1, 2]);
  });

  it('reuses loaded versions and ignores revisions not above the one served', async () => {
    const { registry, served } = await registryWithVersions(2);
    const tracking = trackingLoader(registry);
    const models = new ServedModels(tracking.load);
    expect(await models.apply(deploymentOf({ revision: 4, champion: served[0]! }))).toEqual(swapped(4, [1]));
    expect(await models.apply(deploymentOf({ revision: 5, champion: served[0]!, challenger: served[1]!, challengerMode: 'SHADOW' }))).toEqual(swapped(5, [2]));
    expect(await models.apply(deploymentOf({ revision: 5, champion: served[1]! }))).toEqual({ kind: 'unchanged', revision: 5 });
    expect(await models.apply(deploymentOf({ revision: 3, champion: served[1]! }))).toEqual({ kind: 'unchanged', revision: 3 });
    // Promotion: the challenger becomes the champion without loading anything.
    expect(await models.apply(deploymentOf({ revision: 6, champion: served[1]! }))).toEqual(swapped(6, []));
    expect(tracking.loads).toEqual([1, 2]);
    expect(tracking.disposals).toEqual([1]);
    expect(await versionsScoredBy(models.current()!)).toEqual({ deciding: [2], shadow: [] });
    await models.close();
  });

  it('applies concurrent deployments one at a time, in call order', async () => {
    const { registry, served } = await registryWithVersions(3);
    const tracking = trackingLoader(registry);
    const models = new ServedModels(tracking.load);
    const outcomes = await Promise.all([1, 2, 3].map((revision) => models.apply(deploymentOf({ revision, champion: served[revision - 1]! }))));
    expect(outcomes).toEqual([swapped(1, [1]), swapped(2, [2]), swapped(3, [3])]);
    expect(tracking.maxInFlight()).toBe(1);
    expect(models.current()?.champion?.version).toBe(3);
    await models.close();
  });

  it('serves a deployment without a champion as a snapshot without one', async () => {
    const models = new ServedModels(() => Promise.reject(new Error('nothing to load')));
    expect(await models.apply(deploymentOf({ revision: 1, champion: null }))).toEqual(swapped(1, []));
    const lease = models.acquire();
    expect(lease.snapshot).toMatchObject({ champion: undefined, challenger: undefined, deployment: { revision: 1 } });
    lease.release();
    await models.close();
  });

  it('refuses a deployment of another model', async () => {
    const { registry, served } = await registryWithVersions(1);
    const models = new ServedModels(trackingLoader(registry).load);
    await models.apply(deploymentOf({ revision: 1, champion: served[0]! }));
    await expect(models.apply({ ...deploymentOf({ revision: 2, champion: served[0]! }), model: 'churn' })).rejects.toThrow(
      new DeploymentModelMismatchError(MODEL, 'churn'),
    );
    await models.close();
  });

  it('closes only once the last lease is released, and refuses leases and deployments from then on', async () => {
    const { registry, served } = await registryWithVersions(1);
    const tracking = trackingLoader(registry);
    const models = new ServedModels(tracking.load);
    expect(() => models.acquire()).toThrow(new NothingServedError());
    await models.apply(deploymentOf({ revision: 1, champion: served[0]! }));
    const lease = models.acquire();
    let closed = false;
    const closing = models.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    expect(tracking.disposals).toEqual([]);
    expect(() => models.acquire()).toThrow(ServedModelsClosedError);
    await expect(models.apply(deploymentOf({ revision: 2, champion: served[0]! }))).rejects.toThrow(ServedModelsClosedError);

    lease.release();
    await closing;
    expect(closed).toBe(true);
    expect(tracking.disposals).toEqual([1]);
  });
});
