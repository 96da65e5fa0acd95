/**
 * A trained candidate as it passes from the train activity to the evaluate and register
 * activities on one worker: one JSON document holding the TensorFlow.js topology, the weights
 * (base64), the vectoriser spec fitted with them, so a model is never fed another model's
 * columns, the model's task, and the features record's identity fields its artifact records for
 * the scorer. It has no decision threshold yet (evaluation chooses a classifier's); at
 * registration it becomes the registry's artifact (`src/registry/model-artifact.ts`).
 */
import { io, loadLayersModel, type LayersModel } from '@tensorflow/tfjs';
import type { FeaturesDefinition, ModelTask } from '../pipelines/pipeline-definition.js';
import { compileVectoriser } from '../vectoriser/compile-vectoriser.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import { IncompatibleArtifactError } from './errors.js';
import type { ScorableModel } from './evaluation.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Identifies the document; a reader refuses any other format or version. */
const FORMAT = 'tributary-candidate-model';
/** 3 added the identity fields. */
const FORMAT_VERSION = 3;

/** The features record's fields that identify it, as the pipeline's definition named them. */
type CandidateIdentity = Pick<FeaturesDefinition, 'eventId' | 'entityKey' | 'eventTime'>;

interface CandidateDocument {
  readonly format: typeof FORMAT;
  readonly formatVersion: number;
  readonly vectoriser: unknown;
  readonly identity: CandidateIdentity;
  /** Absent in files written before regression models: those are all binary classifiers. */
  readonly task?: ModelTask;
  readonly modelTopology: unknown;
  readonly weightSpecs: io.WeightsManifestEntry[];
  /** Base64 of the concatenated weight bytes. */
  readonly weightData: string;
}

/** A candidate read back: the model (the caller disposes it), its compiled vectoriser and the spec it came from. */
export interface CandidateModel extends ScorableModel {
  readonly spec: VectoriserSpec;
  readonly identity: CandidateIdentity;
  readonly task: ModelTask;
}

/** Encodes a model, its vectoriser spec, its task and the record's identity fields into the candidate file's bytes. */
export async function encodeCandidateModel({
  model,
  spec,
  identity,
  task,
}: {
  readonly model: LayersModel;
  readonly spec: VectoriserSpec;
  readonly identity: CandidateIdentity;
  readonly task: ModelTask;
}): Promise<Uint8Array> {
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
  const document: CandidateDocument = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    vectoriser: spec,
    identity,
    task,
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: Buffer.from(weightData).toString('base64'),
  };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * Reads candidate bytes back into a model with its vectoriser; throws {@link IncompatibleArtifactError}
 * for bytes of another format, and the vectoriser's `VectoriserSpecError` for a spec it cannot use.
 */
export async function decodeCandidateModel(bytes: Uint8Array): Promise<CandidateModel> {
  let document: CandidateDocument;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes)) as CandidateDocument;
  } catch (error) {
    throw new IncompatibleArtifactError('the candidate file', `it is not JSON (${reasonOf(error)})`);
  }
  if (document.format !== FORMAT || document.formatVersion !== FORMAT_VERSION) {
    throw new IncompatibleArtifactError(
      'the candidate file',
      `it is ${String(document.format)} version ${String(document.formatVersion)}, this build reads ${FORMAT} version ${FORMAT_VERSION}; train the candidate again`,
    );
  }
  const vectoriser = compileVectoriser(document.vectoriser);
  const weights = Buffer.from(document.weightData, 'base64');
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const model: LayersModel = await loadLayersModel(io.fromMemory({ modelTopology: document.modelTopology as object, weightSpecs: document.weightSpecs, weightData }));
  return { model, vectoriser, spec: document.vectoriser as VectoriserSpec, identity: document.identity, task: document.task ?? 'binary-classification' };
}
