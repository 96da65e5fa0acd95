/**
 * "Streaming beats batch": on the same post-drift traffic, how many legitimate transactions each
 * model flags at the same recall — the continuously retrained champion against the first model,
 * frozen as if trained once. The traffic is held out from both: labelled examples after the
 * drift began and after the champion's training snapshot.
 */
import { openModelArtifact } from '../../../src/models/model-artifact-loader.js';
import type { ModelRegistry, ModelVersion } from '../../../src/registry/model-registry.js';
import { labelledMatrixOf } from '../../../src/training/feature-matrix.js';
import { falsePositiveRateAtRecall } from '../../../src/training/metrics.js';
import type { TrainingExample } from '../../../src/training/training-example.js';

/** The recall both models are compared at: the share of fraud a bank typically must catch. */
export const COMPARISON_RECALL = 0.8;

export interface StreamingVersusBatch {
  readonly recall: number;
  readonly examples: number;
  readonly frauds: number;
  readonly frozen: { readonly version: number; readonly falsePositiveRate: number };
  readonly retrained: { readonly version: number; readonly falsePositiveRate: number };
  /** 1 − retrained / frozen: 0.15 means the retrained champion flags 15 % fewer legitimate transactions. */
  readonly falsePositiveReduction: number;
}

/** Why the comparison could not be made, for the summary to say instead of a number. */
export interface ComparisonUnavailable {
  readonly unavailable: string;
}

async function scoresOf(registry: Pick<ModelRegistry, 'loadArtifact'>, version: ModelVersion, examples: readonly TrainingExample[]): Promise<Float32Array> {
  const bytes = await registry.loadArtifact(version.model, version.version);
  // Either runtime: a version imported as ONNX compares as one the demo trained.
  const loaded = await openModelArtifact(bytes, { sha256: version.artifact.sha256, model: version.model, version: version.version });
  try {
    // Each version through its own vectoriser, fitted on its own training split.
    const { features } = labelledMatrixOf(loaded.vectoriser, examples, 'held-out');
    return await loaded.model.score(features);
  } finally {
    loaded.model.dispose();
  }
}

/** Compares the two versions on `heldOut` (labelled examples neither trained on). */
export async function compareStreamingWithBatch(
  registry: Pick<ModelRegistry, 'loadArtifact'>,
  frozen: ModelVersion,
  retrained: ModelVersion,
  heldOut: readonly TrainingExample[],
): Promise<StreamingVersusBatch | ComparisonUnavailable> {
  if (frozen.version === retrained.version) return { unavailable: `no retrained champion: v${frozen.version} is still the champion` };
  const labels = Uint8Array.from(heldOut, (example) => example.label);
  const frauds = labels.reduce((sum, label) => sum + label, 0);
  if (frauds < 10 || frauds === heldOut.length) return { unavailable: `too little held-out post-drift traffic (${heldOut.length} examples, ${frauds} fraud)` };
  const frozenRate = falsePositiveRateAtRecall(labels, await scoresOf(registry, frozen, heldOut), COMPARISON_RECALL);
  const retrainedRate = falsePositiveRateAtRecall(labels, await scoresOf(registry, retrained, heldOut), COMPARISON_RECALL);
  return {
    recall: COMPARISON_RECALL,
    examples: heldOut.length,
    frauds,
    frozen: { version: frozen.version, falsePositiveRate: frozenRate },
    retrained: { version: retrained.version, falsePositiveRate: retrainedRate },
    falsePositiveReduction: frozenRate === 0 ? 0 : 1 - retrainedRate / frozenRate,
  };
}
