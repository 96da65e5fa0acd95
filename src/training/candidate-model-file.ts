/**
 * A trained candidate as it passes from the train activity to the evaluate and register
 * activities on one worker: one JSON document holding the TensorFlow.js topology, the weights
 * (base64) and the normaliser fitted with them, so a model is never scored through another
 * model's normalisation. It has no decision threshold yet (evaluation chooses it); at
 * registration it becomes the registry's artifact (`src/registry/model-artifact.ts`).
 */
import { io, loadLayersModel, type LayersModel } from '@tensorflow/tfjs';
import { IncompatibleArtifactError } from './errors.js';
import type { ScorableModel } from './evaluation.js';
import { parseNormaliserStats } from './normalisation.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Identifies the document; a reader refuses any other format or a newer version. */
const FORMAT = 'tributary-fraud-model';
const FORMAT_VERSION = 1;

interface ArtifactDocument {
  readonly format: typeof FORMAT;
  readonly formatVersion: number;
  readonly normaliser: unknown;
  readonly modelTopology: unknown;
  readonly weightSpecs: io.WeightsManifestEntry[];
  /** Base64 of the concatenated weight bytes. */
  readonly weightData: string;
}

/** Encodes a model and its normaliser into the candidate file's bytes. */
export async function encodeCandidateModel({ model, normaliser }: ScorableModel): Promise<Uint8Array> {
  let saved: io.ModelArtifacts | undefined;
  await model.save(
    io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved?.modelTopology === undefined || saved.weightSpecs === undefined || saved.weightData === undefined) {
    throw new IncompatibleArtifactError('the model', 'TensorFlow.js saved it without topology or weights');
  }
  const weightData = io.concatenateArrayBuffers(Array.isArray(saved.weightData) ? saved.weightData : [saved.weightData]);
  const document: ArtifactDocument = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    normaliser,
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: Buffer.from(weightData).toString('base64'),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/** Reads artifact bytes back into a model (the caller disposes it) with its normaliser; throws {@link IncompatibleArtifactError}. */
export async function decodeCandidateModel(bytes: Uint8Array): Promise<ScorableModel> {
  let document: ArtifactDocument;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes)) as ArtifactDocument;
  } catch (error) {
    throw new IncompatibleArtifactError('the model artifact', `it is not JSON (${reasonOf(error)})`);
  }
  if (document.format !== FORMAT || document.formatVersion !== FORMAT_VERSION) {
    throw new IncompatibleArtifactError('the model artifact', `it is ${String(document.format)} version ${String(document.formatVersion)}, this build reads ${FORMAT} version ${FORMAT_VERSION}`);
  }
  const normaliser = parseNormaliserStats(document.normaliser);
  const weights = Buffer.from(document.weightData, 'base64');
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const model: LayersModel = await loadLayersModel(io.fromMemory({ modelTopology: document.modelTopology as object, weightSpecs: document.weightSpecs, weightData }));
  return { model, normaliser };
}
