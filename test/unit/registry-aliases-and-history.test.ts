import { describe, expect, it } from 'vitest';
import { AliasNotSetError, InvalidModelNameError, InvalidRegistrationError, ModelNotFoundError, RegistryConflictError, StageTransitionError, VersionNotFoundError } from '../../src/registry/errors.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import type { AliasChange, NewModelVersion, StageChange } from '../../src/registry/model-registry.js';
import { RegistryIndex } from '../../src/registry/registry-index.js';

const lineage = {
  offsetRanges: [{ topic: 'tributary.training-examples', partition: 0, fromOffset: '0', toOffset: '100' }],
  featureSchemaId: 3,
  featureJobVersions: ['v1'],
  codeVersion: 'abc123',
  featureVectorVersion: 1,
  hyperParameters: { hiddenUnits: [8] },
  backend: 'cpu',
  splitBoundaries: { validationFrom: 10, testFrom: 20 },
  trainedBy: 'workflow:training:fraud',
};
const newVersion = (model = 'fraud', artifact = Uint8Array.of(1, 2, 3)): NewModelVersion => ({ model, metrics: { rocAuc: 0.91 }, threshold: 0.4, lineage, artifact });
const alice = { by: 'alice', reason: 'looks good' };

/** A registry whose clock ticks one second per reading from 2025-01-01, with event ids e1, e2, ... */
function registry(): InMemoryModelRegistry {
  let tick = 0;
  let id = 0;
  return new InMemoryModelRegistry({ now: () => new Date(Date.UTC(2025, 0, 1) + 1000 * tick++), newEventId: () => `e${++id}` });
}

/** History as one line per change, for readable expectations. */
const lines = (history: readonly (AliasChange | StageChange)[]): string[] =>
  history.map((change) =>
    'alias' in change
      ? `${change.at} ${change.alias} ${change.previousVersion ?? '-'}->${change.version ?? '-'} by ${change.by}: ${change.reason}`
      : `${change.at} v${change.version} ${change.previousStage}->${change.stage} by ${change.by}: ${change.reason}`,
  );

describe('version numbering', () => {
  it('counts versions up from 1 per model, as candidates with the artifact sha256 and size', async () => {
    const models = registry();
    const first = await models.registerVersion(newVersion(), alice);
    const second = await models.registerVersion(newVersion(), alice);
    const other = await models.registerVersion(newVersion('churn'), alice);
    expect([first.version, second.version, other.version]).toEqual([1, 2, 1]);
    expect(first).toMatchObject({
      model: 'fraud',
      stage: 'candidate',
      createdAt: '2025-01-01T00:00:00.000Z',
      artifact: { sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81', runtime: 'tfjs', sizeBytes: 3, topic: 'in-memory', key: 'fraud:1' },
      tags: {},
    });
    expect(await models.listModels()).toEqual(['churn', 'fraud']);
    expect((await models.listVersions('fraud')).map((version) => version.version)).toEqual([1, 2]);
  });

  it('refuses a bad model name and unusable input, listing every problem', async () => {
    const models = registry();
    await expect(models.registerVersion(newVersion('fraud:v2'), alice)).rejects.toThrow(new InvalidModelNameError('fraud:v2'));
    await expect(models.registerVersion(newVersion('fraud:v2'), alice)).rejects.toThrow(`invalid model name "fraud:v2": use 1 to 100 letters, digits, '.', '_' or '-'`);
    const attempt = models.registerVersion({ ...newVersion(), threshold: 1.5, metrics: { rocAuc: Number.NaN }, artifact: new Uint8Array(0) }, alice);
    await expect(attempt).rejects.toThrow(InvalidRegistrationError);
    await expect(models.registerVersion({ ...newVersion(), threshold: 1.5, metrics: { rocAuc: Number.NaN }, artifact: new Uint8Array(0) }, alice)).rejects.toThrow(
      "cannot register a version of fraud:\n  threshold=1.5: expected a number from 0 to 1 (a classifier's), or null (a regression's)\n  metrics.rocAuc=NaN: expected a finite number\n  artifact: expected the serialised model, got 0 bytes",
    );
  });

  it('names what exists when a model or version is unknown', async () => {
    const models = registry();
    await models.registerVersion(newVersion(), alice);
    await expect(models.getVersion('fruad', 1)).rejects.toThrow(new ModelNotFoundError('fruad', ['fraud']));
    await expect(models.getVersion('fruad', 1)).rejects.toThrow('unknown model "fruad"; registered models: fraud');
    await expect(models.getVersion('fraud', 7)).rejects.toThrow(VersionNotFoundError);
    await expect(models.getVersion('fraud', 7)).rejects.toThrow('model "fraud" has no version 7; its versions: 1');
  });
});

describe('aliases and stages', () => {
  it('makes the first version champion directly, then promotes a challenger, archiving the previous champion in the same change', async () => {
    const models = registry();
    await models.registerVersion(newVersion(), alice);
    await models.registerVersion(newVersion(), alice);
    await models.setAlias('fraud', 'champion', 1, { by: 'alice', reason: 'first model' });
    await models.setAlias('fraud', 'challenger', 2, { by: 'workflow:rollout:fraud', reason: 'A/B at 10 %' });
    const promoted = await models.setAlias('fraud', 'champion', 2, { by: 'bob', reason: 'better recall' });

    expect(promoted).toEqual({ model: 'fraud', alias: 'champion', version: 2, previousVersion: 1, at: '2025-01-01T00:00:04.000Z', by: 'bob', reason: 'better recall' });
    expect((await models.listVersions('fraud')).map((version) => version.stage)).toEqual(['archived', 'champion']);
    expect((await models.resolveAlias('fraud', 'champion'))?.version).toBe(2);
    expect(await models.resolveAlias('fraud', 'challenger')).toBeUndefined();
    expect(lines(await models.history('fraud'))).toEqual([
      '2025-01-01T00:00:02.000Z v1 candidate->champion by alice: first model',
      '2025-01-01T00:00:02.000Z champion -->1 by alice: first model',
      '2025-01-01T00:00:03.000Z v2 candidate->challenger by workflow:rollout:fraud: A/B at 10 %',
      '2025-01-01T00:00:03.000Z challenger -->2 by workflow:rollout:fraud: A/B at 10 %',
      '2025-01-01T00:00:04.000Z v1 champion->archived by bob: better recall',
      '2025-01-01T00:00:04.000Z challenger 2->- by bob: better recall',
      '2025-01-01T00:00:04.000Z v2 challenger->champion by bob: better recall',
      '2025-01-01T00:00:04.000Z champion 1->2 by bob: better recall',
    ]);
  });

  it('refuses to make a candidate champion while there is one, and leaves everything as it was', async () => {
    const models = registry();
    await models.registerVersion(newVersion(), alice);
    await models.registerVersion(newVersion(), alice);
    await models.setAlias('fraud', 'champion', 1, alice);
    const before = await models.history('fraud');
    await expect(models.setAlias('fraud', 'champion', 2, alice)).rejects.toThrow(StageTransitionError);
    await expect(models.setStage('fraud', 2, 'champion', alice)).rejects.toThrow(/make version 2 the challenger first$/);
    expect(await models.history('fraud')).toEqual(before);
  });

  it('removes the aliases of a version that is rolled back (rejected), and never points an alias at it again', async () => {
    const models = registry();
    for (let index = 0; index < 2; index += 1) await models.registerVersion(newVersion(), alice);
    await models.setAlias('fraud', 'champion', 1, alice);
    await models.setAlias('fraud', 'challenger', 2, alice);
    const rejected = await models.setStage('fraud', 2, 'rejected', { by: 'workflow:rollout:fraud', reason: 'guardrail: precision dropped' });
    expect(rejected).toMatchObject({ version: 2, stage: 'rejected', previousStage: 'challenger', by: 'workflow:rollout:fraud' });
    expect(await models.resolveAlias('fraud', 'challenger')).toBeUndefined();
    expect(lines(await models.history('fraud')).slice(-2)).toEqual([
      '2025-01-01T00:00:04.000Z v2 challenger->rejected by workflow:rollout:fraud: guardrail: precision dropped',
      '2025-01-01T00:00:04.000Z challenger 2->- by workflow:rollout:fraud: guardrail: precision dropped',
    ]);
    await expect(models.setAlias('fraud', 'challenger', 2, alice)).rejects.toThrow('cannot move fraud version 2 from rejected to challenger; allowed from rejected: archived');
  });

  it('archives the version an alias pointed at when the alias is removed, and restores an archived champion', async () => {
    const models = registry();
    for (let index = 0; index < 2; index += 1) await models.registerVersion(newVersion(), alice);
    await models.setAlias('fraud', 'champion', 1, alice);
    await models.setAlias('fraud', 'challenger', 2, alice);
    await models.setAlias('fraud', 'champion', 2, alice);
    const restored = await models.setAlias('fraud', 'champion', 1, { by: 'carol', reason: 'roll back the promotion' });
    expect(restored).toMatchObject({ version: 1, previousVersion: 2 });
    expect((await models.listVersions('fraud')).map((version) => version.stage)).toEqual(['champion', 'archived']);

    const removed = await models.setAlias('fraud', 'champion', null, { by: 'carol', reason: 'retire the model' });
    expect(removed).toMatchObject({ alias: 'champion', version: null, previousVersion: 1 });
    expect((await models.getVersion('fraud', 1)).stage).toBe('archived');
  });

  it('treats a repeated request as done, returning the change that did it', async () => {
    const models = registry();
    await models.registerVersion(newVersion(), alice);
    const first = await models.setAlias('fraud', 'champion', 1, alice);
    const historyLength = (await models.history('fraud')).length;
    expect(await models.setAlias('fraud', 'champion', 1, { by: 'retry', reason: 'activity retried' })).toEqual(first);
    expect(await models.setStage('fraud', 1, 'champion', { by: 'retry', reason: 'activity retried' })).toMatchObject({ stage: 'champion', by: 'alice' });
    expect(await models.history('fraud')).toHaveLength(historyLength);
  });

  it('refuses to remove an alias that was never set', async () => {
    const models = registry();
    await models.registerVersion(newVersion(), alice);
    await expect(models.setAlias('fraud', 'challenger', null, alice)).rejects.toThrow(new AliasNotSetError('fraud', 'challenger'));
    await expect(models.setAlias('fraud', 'challenger', null, alice)).rejects.toThrow('model "fraud" has no challenger; there is nothing to remove');
  });
});

describe('registry index', () => {
  const registered = (version: number) => ({
    eventId: `r${version}`,
    model: 'fraud',
    at: '2025-01-01T00:00:00.000Z',
    by: 'alice',
    reason: 'trained',
    changes: [
      {
        kind: 'version-registered' as const,
        artifactOffset: undefined,
        version: { model: 'fraud', version, stage: 'candidate' as const, createdAt: '2025-01-01T00:00:00.000Z', metrics: {}, threshold: 0.5, lineage, artifact: { sha256: 'x', runtime: 'tfjs' as const, sizeBytes: 1, topic: 't', key: `fraud:${version}` }, tags: {} },
      },
    ],
  });

  it('refuses, on replay, an event whose preconditions no longer hold, all of its changes together, and records why', () => {
    const index = new RegistryIndex();
    index.apply(registered(1));
    index.replay(registered(1), '7');
    const stale = {
      ...registered(2),
      eventId: 'stale',
      changes: [
        { kind: 'stage-changed' as const, version: 1, stage: 'champion' as const, previousStage: 'candidate' as const },
        { kind: 'alias-moved' as const, alias: 'champion' as const, version: 1, previousVersion: 5 },
      ],
    };
    index.replay(stale, '8');
    expect(index.versions('fraud').map((version) => [version.version, version.stage])).toEqual([[1, 'candidate']]);
    expect(index.history('fraud')).toEqual([]);
    expect(index.refused()).toEqual([
      { eventId: 'r1', model: 'fraud', position: '7', reason: 'concurrent change to model "fraud": event r1: it registers version 1, the next version is 2; nothing of this change was applied, retry it' },
      { eventId: 'stale', model: 'fraud', position: '8', reason: 'concurrent change to model "fraud": event stale: champion points at no version, not 5; nothing of this change was applied, retry it' },
    ]);
    expect(() => index.apply(stale)).toThrow(RegistryConflictError);
  });
});
