/**
 * Real, small models of the fraud example registered in an in-memory registry, and deployments that serve them,
 * for the serving tests. The networks are untrained (seeded initial weights): the tests need
 * distinct, reproducible scores per version, not good ones.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import { serialiseModelArtifact, type RecordIdentity } from '../../src/registry/model-artifact.js';
import type { ModelLineage } from '../../src/registry/model-registry.js';
import type { ChallengerMode, ModelDeployment, ServedModel } from '../../src/serving/model-deployment.js';
import { selectTensorFlowBackend } from '../../src/training/backend.js';
import { createClassifierNetwork } from '../../src/training/model.js';
import { compileVectoriser, type CompiledVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import type { VectoriserSpec } from '../../src/vectoriser/vectoriser-spec.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_IDENTITY, fraudSpec } from './fraud-pipeline.js';

export const MODEL = 'fraud';

/** The fraud example's vectoriser fitted on synthetic examples, so inputs look like those of a trained model. */
export const testSpec: VectoriserSpec = fraudSpec();

/** {@link testSpec} compiled, for fake scoring models whose scores do not depend on their inputs. */
export const testVectoriser: CompiledVectoriser = compileVectoriser(testSpec);

const lineage: ModelLineage = {
  offsetRanges: [],
  featureSchemaId: 1,
  featureJobVersions: ['synthetic'],
  codeVersion: 'test',
  featureVectorVersion: VECTORISER_LAYOUT_VERSION,
  hyperParameters: {},
  backend: 'cpu',
  splitBoundaries: {},
  trainedBy: 'test',
};

/** The deterministic cpu backend, without its log line. */
export async function useCpuBackend(): Promise<void> {
  await selectTensorFlowBackend({ force: 'cpu', logger: { info: () => undefined, warn: () => undefined } });
}

/** The network of test version `seed`: a fresh copy each call, which the caller disposes. */
export function testNetwork(seed: number, inputWidth = testSpec.columns.length): LayersModel {
  return createClassifierNetwork({ inputWidth, hiddenUnits: [8], seed });
}

/**
 * Registers a version built from `network` (left undisposed) and returns it as a deployment serves
 * it; `identity` null writes an artifact as they were before they recorded it.
 */
export async function registerNetwork(
  registry: InMemoryModelRegistry,
  network: LayersModel,
  threshold = 0.5,
  spec: VectoriserSpec = testSpec,
  identity: RecordIdentity | null = FRAUD_IDENTITY,
): Promise<ServedModel> {
  const { bytes, sha256 } = await serialiseModelArtifact({
    model: network,
    vectoriser: spec,
    task: 'binary-classification',
    // JSON leaves an undefined identity out of the header.
    identity: (identity ?? undefined) as RecordIdentity,
    threshold,
    metadata: { model: MODEL, trainedAt: '2025-01-01T00:00:00.000Z', backend: 'cpu', codeVersion: 'test' },
  });
  const registered = await registry.registerVersion({ model: MODEL, metrics: {}, threshold, lineage, artifact: bytes }, { by: 'test', reason: 'serving test' });
  return { version: registered.version, sha256 };
}

/**
 * The bytes of an artifact in format 1, as Tributary 0.1 wrote it (fixed feature layout and
 * normaliser in the header), with no weights: loading must refuse it on its format alone.
 */
export function formatOneArtifactBytes(): Uint8Array {
  const header = Buffer.from(JSON.stringify({ modelTopology: {}, weightSpecs: [], weightBytes: 0, featureVectorVersion: 1, featureColumns: [], normaliser: {}, threshold: 0.5 }), 'utf8');
  const preamble = Buffer.alloc(13);
  preamble.write('TRBMODEL', 0, 'ascii');
  preamble.writeUInt8(1, 8);
  preamble.writeUInt32BE(header.length, 9);
  return new Uint8Array(Buffer.concat([preamble, header]));
}

/** Registers format-1 bytes as the next version of {@link MODEL}, as a registry upgraded from 0.1 holds them. */
export async function registerFormatOneVersion(registry: InMemoryModelRegistry): Promise<ServedModel> {
  const registered = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, lineage, artifact: formatOneArtifactBytes() }, { by: 'test', reason: 'a version of 0.1' });
  return { version: registered.version, sha256: registered.artifact.sha256 };
}

/** A registry holding versions 1..count of {@link MODEL}, version v built from `testNetwork(v)`. */
export async function registryWithVersions(count: number): Promise<{ registry: InMemoryModelRegistry; served: ServedModel[] }> {
  const registry = new InMemoryModelRegistry();
  const served: ServedModel[] = [];
  for (let version = 1; version <= count; version += 1) {
    const network = testNetwork(version);
    try {
      served.push(await registerNetwork(registry, network));
    } finally {
      network.dispose();
    }
  }
  return { registry, served };
}

export interface TestDeployment {
  readonly revision: number;
  readonly champion: ServedModel | null;
  readonly challenger?: ServedModel | null;
  readonly challengerMode?: ChallengerMode;
  readonly challengerShare?: number;
}

export function deploymentOf({ revision, champion, challenger = null, challengerMode = 'NONE', challengerShare = 0 }: TestDeployment): ModelDeployment {
  return {
    model: MODEL,
    revision,
    featuresTopic: 'tributary.features',
    featuresHandoff: null,
    champion,
    challenger,
    challengerMode,
    challengerShare,
    updatedAt: 1_700_000_000_000 + revision,
    updatedBy: 'test',
    reason: `revision ${revision}`,
  };
}
