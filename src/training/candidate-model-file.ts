/**
 * A trained candidate as it passes from the train activity to the evaluate and register
 * activities on one worker: one JSON document holding the TensorFlow.js topology, the weights
 * (base64), the vectoriser spec fitted with them, so a model is never fed another model's
 * columns, the model's task, and the features record's identity fields its artifact records for
 * the scorer. It has no decision threshold yet (evaluation chooses a classifier's); at
 * registration it becomes the registry's artifact (`src/registry/model-artifact.ts`). A candidate
 * trained outside Tributary (a Python trainer, docs/python-trainer.md) is the same document with
 * `runtime: 'onnx'` and the ONNX file in place of the topology and weights.
 */
import { io, loadLayersModel, type LayersModel } from '@tensorflow/tfjs';
import type { FeaturesDefinition, ModelTask } from '../pipelines/pipeline-definition.js';
import { compileVectoriser } from '../vectoriser/compile-vectoriser.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import { IncompatibleArtifactError } from './errors.js';
import type { ScorableModel } from './evaluation.js';
import { reasonOf } from '../errors/tributary-error.js';
import type { OnnxModel } from '../models/onnx-model.js';
import type { ExpectedSignature } from '../models/onnx-signature.js';

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
}

interface TfjsCandidateDocument extends CandidateDocument {
  /** Absent: a TensorFlow.js network, Tributary's own. */
  readonly runtime?: undefined;
  readonly modelTopology: unknown;
  readonly weightSpecs: io.WeightsManifestEntry[];
  /** Base64 of the concatenated weight bytes. */
  readonly weightData: string;
}

interface OnnxCandidateDocument extends CandidateDocument {
  readonly runtime: 'onnx';
  /** Base64 of the ONNX file, unchanged. */
  readonly onnx: string;
}

interface CandidateParts {
  readonly spec: VectoriserSpec;
  readonly identity: CandidateIdentity;
  readonly task: ModelTask;
}

/** A candidate read back: the model (the caller disposes it), its compiled vectoriser and the spec it came from. */
export type CandidateModel = TfjsCandidateModel | OnnxCandidateModel;

/** A network Tributary trained. */
export type TfjsCandidateModel = ScorableModel & CandidateParts & { readonly runtime: 'tfjs' };

/**
 * An ONNX model a trainer outside Tributary returned, opened with ONNX Runtime and checked against
 * the spec's width and the task; `onnx` is the file as the trainer wrote it, which the registry's
 * artifact keeps byte for byte.
 */
export type OnnxCandidateModel = ScorableModel<OnnxModel> & CandidateParts & { readonly runtime: 'onnx'; readonly onnx: Uint8Array };

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
  const document: TfjsCandidateDocument = {
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

/** Encodes an ONNX model trained elsewhere, with the spec it was trained on, into the candidate file's bytes. */
export function encodeOnnxCandidateModel({ onnx, spec, identity, task }: { readonly onnx: Uint8Array } & CandidateParts): Uint8Array {
  const document: OnnxCandidateDocument = { format: FORMAT, formatVersion: FORMAT_VERSION, runtime: 'onnx', vectoriser: spec, identity, task, onnx: Buffer.from(onnx).toString('base64') };
  return new TextEncoder().encode(JSON.stringify(document));
}

/**
 * Opens an ONNX model and checks it against what the pipeline feeds (`openOnnxModel` of
 * src/models): passed in, because the models layer builds on this one.
 */
export type OnnxOpener = (bytes: Uint8Array, subject: string, expected: ExpectedSignature) => Promise<OnnxModel>;

/**
 * Reads candidate bytes back into a model with its vectoriser, an ONNX candidate through
 * `openOnnx`; throws {@link IncompatibleArtifactError} for bytes of another format (or an ONNX
 * candidate without `openOnnx`), the vectoriser's `VectoriserSpecError` for a spec it cannot use,
 * and what `openOnnx` throws for an ONNX model that does not load or does not fit the spec.
 */
export async function decodeCandidateModel(bytes: Uint8Array, openOnnx?: OnnxOpener): Promise<CandidateModel> {
  let document: TfjsCandidateDocument | OnnxCandidateDocument;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes)) as TfjsCandidateDocument | OnnxCandidateDocument;
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
  const parts = { spec: document.vectoriser as VectoriserSpec, identity: document.identity, task: document.task ?? 'binary-classification' };
  if (document.runtime === 'onnx') {
    if (openOnnx === undefined) throw new IncompatibleArtifactError('the candidate file', 'it holds an ONNX model, and this step opens TensorFlow.js networks only');
    const onnx = new Uint8Array(Buffer.from(document.onnx, 'base64'));
    const model = await openOnnx(onnx, 'the trained candidate', { pipeline: 'its pipeline', width: vectoriser.width, task: parts.task });
    return { ...parts, runtime: 'onnx', model, vectoriser, onnx };
  }
  const weights = Buffer.from(document.weightData, 'base64');
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const model: LayersModel = await loadLayersModel(io.fromMemory({ modelTopology: document.modelTopology as object, weightSpecs: document.weightSpecs, weightData }));
  return { ...parts, runtime: 'tfjs', model, vectoriser };
}
