import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import type { ModelLineage } from '../../src/registry/model-registry.js';
import { decodeRegistryEvent, encodeRegistryEvent, type RegistryEventValue } from '../../src/registry/registry-event-codec.js';
import type { RegistryEvent } from '../../src/registry/registry-events.js';
import { InvalidRegistrationError } from '../../src/registry/errors.js';

const schemaText = readFileSync(new URL('../../schemas/registry-event.avsc', import.meta.url), 'utf8');
const current = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema);
/** The schema as it was before a regression's threshold could be null: a plain double. */
const beforeNullable = avro.Type.forSchema(JSON.parse(schemaText.replace(/"type": \["null", "double"\], "default": null, /, '"type": "double", ')) as avro.Schema);

const lineage = (task: string): ModelLineage => ({
  offsetRanges: [{ topic: 'orders.training-examples', partition: 0, fromOffset: '0', toOffset: '300' }],
  featureSchemaId: 4,
  featureJobVersions: ['sql-1'],
  codeVersion: 'abc123',
  featureVectorVersion: 2,
  hyperParameters: { task },
  backend: 'cpu',
  splitBoundaries: { testFrom: Date.UTC(2026, 0, 2) },
  trainedBy: 'workflow:training:orders',
});

const registered = (task: string, threshold: number | null): RegistryEvent => ({
  eventId: 'e-1',
  model: 'orders',
  at: '2026-01-03T00:00:00.000Z',
  by: 'ci',
  reason: 'trained',
  changes: [
    {
      kind: 'version-registered',
      artifactOffset: '7',
      version: {
        model: 'orders',
        version: 1,
        stage: 'candidate',
        createdAt: '2026-01-03T00:00:00.000Z',
        metrics: { mae: 4.2 },
        threshold,
        lineage: lineage(task),
        artifact: { sha256: 'ab', runtime: 'tfjs', sizeBytes: 10, topic: 'tributary.models', key: 'orders:1' },
        tags: {},
      },
    },
  ],
});

const thresholdOf = (event: RegistryEvent): number | null | undefined => {
  const change = event.changes[0];
  return change?.kind === 'version-registered' ? change.version.threshold : undefined;
};

describe('registry events: the threshold of a regression version', () => {
  it('is stored as null in the Avro record and read back as null', () => {
    const bytes = current.toBuffer(encodeRegistryEvent(registered('regression', null)));
    const value = current.fromBuffer(bytes) as RegistryEventValue;
    expect((value.changes[0] as Record<string, { threshold: unknown }>)['dev.tributary.registry.VersionRegistered']?.threshold).toBeNull();
    expect(thresholdOf(decodeRegistryEvent(value))).toBeNull();
  });

  it("keeps a classifier's threshold", () => {
    const value = current.fromBuffer(current.toBuffer(encodeRegistryEvent(registered('binary-classification', 0.37)))) as RegistryEventValue;
    expect(thresholdOf(decodeRegistryEvent(value))).toBe(0.37);
  });

  it('reads events written with the earlier schema (BACKWARD), where a regression held 0, as no threshold', () => {
    const resolver = current.createResolver(beforeNullable);
    const old = (task: string, threshold: number): RegistryEventValue => current.fromBuffer(beforeNullable.toBuffer(encodeRegistryEvent(registered(task, threshold))), resolver) as RegistryEventValue;
    expect(thresholdOf(decodeRegistryEvent(old('regression', 0)))).toBeNull();
    expect(thresholdOf(decodeRegistryEvent(old('binary-classification', 0.42)))).toBe(0.42);
  });

  it('registers a version with a null threshold, and refuses a threshold outside 0..1 with both accepted forms named', async () => {
    const registry = new InMemoryModelRegistry();
    const version = await registry.registerVersion({ model: 'orders', metrics: { mae: 4.2 }, threshold: null, lineage: lineage('regression'), artifact: Uint8Array.of(1) }, { by: 'ci', reason: 'trained' });
    expect(version.threshold).toBeNull();
    const refused = registry.registerVersion({ model: 'orders', metrics: {}, threshold: 1.5, lineage: lineage('binary-classification'), artifact: Uint8Array.of(1) }, { by: 'ci', reason: 'trained' });
    await expect(refused).rejects.toBeInstanceOf(InvalidRegistrationError);
    await expect(refused).rejects.toThrow("threshold=1.5: expected a number from 0 to 1 (a classifier's), or null (a regression's)");
  });
});
