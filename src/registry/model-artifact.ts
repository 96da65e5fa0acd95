/**
 * A model artifact: one self-describing byte blob holding the trained network (topology, weight
 * specs, weight bytes) with everything needed to use it — the vectoriser spec it was trained with
 * (encodings, vocabularies, normalisation, layout version), its task, the decision threshold, the
 * features record's identity fields its scores carry — and metadata. Layout:
 *
 *   "TRBMODEL" (8 bytes) | format version (uint8) | header length (uint32 BE) | header (UTF-8 JSON) | weight bytes
 *
 * The header records the runtime: `tfjs` (absent in artifacts written before ONNX models existed)
 * holds the network's topology in the header and its weights after it; `onnx` holds the ONNX file
 * after the header, with the input it reads and the output its score comes from.
 *
 * Format 2 carries the vectoriser spec. Format 1 carried the fixed feature layout of Tributary 0.1
 * and its normaliser; it is refused at load with {@link ArtifactFormatVersionError}, which says to
 * retrain. The sha256 of the whole blob identifies it; the registry records it and loading checks it.
 */
import { io, loadLayersModel, version as tfjsVersions, type LayersModel } from '@tensorflow/tfjs';
import type { FeaturesDefinition, ModelTask } from '../pipelines/pipeline-definition.js';
import { compileVectoriser, type CompiledVectoriser } from '../vectoriser/compile-vectoriser.js';
import { checkVectoriserSpec } from '../vectoriser/spec-check.js';
import type { VectoriserSpec } from '../vectoriser/vectoriser-spec.js';
import { ArtifactFormatError, ArtifactFormatVersionError, ArtifactIntegrityError } from './errors.js';
import { sha256Hex } from './artifact-digest.js';
import { DEFAULT_MODEL_RUNTIME, type InputSignature, type ModelRuntime, type OutputSelection } from './model-runtime.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Who made the artifact and with what, for a person reading it later. */
export interface ArtifactMetadata {
  readonly model: string;
  /** ISO-8601 time the training finished. */
  readonly trainedAt: string;
  /** TensorFlow.js backend that trained it. */
  readonly backend: string;
  /** Git commit or package version of the training code. */
  readonly codeVersion: string;
}

/**
 * The fields of a features record that identify it, as the pipeline's definition named them when
 * the model was trained (`features.eventId`, `entityKey`, `eventTime`): the scorer reads them from
 * the artifact, so serving a pipeline needs nothing but its model.
 */
export type RecordIdentity = Pick<FeaturesDefinition, 'eventId' | 'entityKey' | 'eventTime'>;

/** What goes into an artifact. */
export interface ModelArtifactInput {
  readonly model: LayersModel;
  /** The spec fitted with the model; its inputs are read through it wherever it is used. */
  readonly vectoriser: VectoriserSpec;
  readonly task: ModelTask;
  /** A classifier's decision threshold; null for a regression, which decides nothing. */
  readonly threshold: number | null;
  readonly identity: RecordIdentity;
  readonly metadata: ArtifactMetadata;
}

/** What goes into an artifact of an ONNX model: the file as it was imported, and how it is read. */
export interface OnnxArtifactInput extends Omit<ModelArtifactInput, 'model'> {
  /** The ONNX file's bytes, unchanged. */
  readonly onnx: Uint8Array;
  readonly inputSignature: InputSignature;
  readonly output: OutputSelection;
}

/** An ONNX artifact read back: the file and everything describing it; nothing is loaded yet. */
export interface OnnxModelArtifact extends Omit<LoadedModelArtifact, 'model' | 'tfjsVersion'> {
  readonly onnx: Uint8Array;
  readonly inputSignature: InputSignature;
  readonly output: OutputSelection;
}

/** The serialised blob and its identity. */
export interface SerialisedModelArtifact {
  readonly bytes: Uint8Array;
  /** Lowercase hex sha256 of `bytes`. */
  readonly sha256: string;
}

/** A deserialised artifact, ready to score: the caller disposes `model`. */
export interface LoadedModelArtifact {
  readonly model: LayersModel;
  readonly spec: VectoriserSpec;
  /** The spec, compiled: what turns a feature record into the model's input row. */
  readonly vectoriser: CompiledVectoriser;
  readonly task: ModelTask;
  /** A classifier's decision threshold; null for a regression. */
  readonly threshold: number | null;
  /** Undefined in an artifact written before artifacts recorded it; the scorer refuses such a model. */
  readonly identity: RecordIdentity | undefined;
  readonly metadata: ArtifactMetadata;
  /** The TensorFlow.js version that serialised it. */
  readonly tfjsVersion: string;
  readonly sha256: string;
}

/** What the loader knows about the artifact it loads, to check the bytes and to name them in errors. */
export interface ArtifactExpectation {
  /** The sha256 recorded at registration; bytes with another one are refused. */
  readonly sha256: string;
  readonly model?: string;
  readonly version?: number;
}

const MAGIC = Buffer.from('TRBMODEL', 'ascii');
const FORMAT_VERSION = 2;
const PREAMBLE_BYTES = MAGIC.length + 1 + 4;

interface ArtifactHeader {
  /** Absent in artifacts written before ONNX models existed: {@link DEFAULT_MODEL_RUNTIME}. */
  readonly runtime?: ModelRuntime;
  /** tfjs only. */
  readonly modelTopology?: object;
  /** tfjs only. */
  readonly weightSpecs?: io.WeightsManifestEntry[];
  /** Bytes after the header: the weights (tfjs) or the ONNX file (onnx). */
  readonly weightBytes: number;
  /** onnx only. */
  readonly inputSignature?: InputSignature;
  /** onnx only. */
  readonly output?: OutputSelection;
  readonly vectoriser: unknown;
  readonly task: ModelTask;
  /** Null for a regression; artifacts written before it could be null hold 0 for one. */
  readonly threshold: number | null;
  /** Absent in the format-2 artifacts written before it was recorded. */
  readonly identity?: unknown;
  readonly metadata: ArtifactMetadata;
  /** tfjs only. */
  readonly tfjsVersion?: string;
}

/** Serialises a model with its preprocessing into one blob; the model is left as it is. */
export async function serialiseModelArtifact(input: ModelArtifactInput): Promise<SerialisedModelArtifact> {
  let saved: io.ModelArtifacts | undefined;
  await input.model.save(
    io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || saved.weightData === undefined) {
    throw new ArtifactFormatError('the model saved no topology or weights', { model: input.metadata.model });
  }
  const weights = Buffer.from(io.CompositeArrayBuffer.join(saved.weightData));
  const header: ArtifactHeader = {
    runtime: 'tfjs',
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightBytes: weights.length,
    vectoriser: input.vectoriser,
    task: input.task,
    threshold: input.threshold,
    identity: input.identity,
    metadata: input.metadata,
    tfjsVersion: tfjsVersions.tfjs,
  };
  return joinBlob(header, weights);
}

/** Serialises an ONNX model with its preprocessing into one blob, the ONNX file kept byte for byte. */
export function serialiseOnnxArtifact(input: OnnxArtifactInput): SerialisedModelArtifact {
  const header: ArtifactHeader = {
    runtime: 'onnx',
    weightBytes: input.onnx.length,
    inputSignature: input.inputSignature,
    output: input.output,
    vectoriser: input.vectoriser,
    task: input.task,
    threshold: input.threshold,
    identity: input.identity,
    metadata: input.metadata,
  };
  return joinBlob(header, Buffer.from(input.onnx.buffer, input.onnx.byteOffset, input.onnx.byteLength));
}

function joinBlob(header: ArtifactHeader, body: Buffer): SerialisedModelArtifact {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt8(FORMAT_VERSION, MAGIC.length);
  preamble.writeUInt32BE(headerBytes.length, MAGIC.length + 1);
  const bytes = new Uint8Array(Buffer.concat([preamble, headerBytes, body]));
  return { bytes, sha256: sha256Hex(bytes) };
}

/**
 * The runtime an artifact's model needs, read from its header: what decides whether
 * {@link deserialiseModelArtifact} or {@link readOnnxArtifact} reads it. Refuses what both refuse
 * before they build anything.
 */
export function artifactRuntime(bytes: Uint8Array, expected: ArtifactExpectation): ModelRuntime {
  const context = { model: expected.model, version: expected.version };
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected.sha256) throw new ArtifactIntegrityError(expected.sha256, sha256, context);
  return runtimeOf(splitBlob(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), context).header, context);
}

/**
 * Reads an ONNX artifact: the file, how it is read, and its compiled vectoriser. Refuses what
 * {@link deserialiseModelArtifact} refuses, and an artifact of another runtime. ONNX Runtime
 * judges the file itself when it is opened (`src/models/onnx-model.ts`).
 */
export function readOnnxArtifact(bytes: Uint8Array, expected: ArtifactExpectation): OnnxModelArtifact {
  const context = { model: expected.model, version: expected.version };
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected.sha256) throw new ArtifactIntegrityError(expected.sha256, sha256, context);
  const { header, weights } = splitBlob(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), context);
  const runtime = runtimeOf(header, context);
  if (runtime !== 'onnx') throw new ArtifactFormatError(`it holds a model of the ${runtime} runtime, not an ONNX one`, context);
  if (header.inputSignature === undefined || header.output === undefined) throw new ArtifactFormatError('its header records no input signature or output of the ONNX model', context);
  let vectoriser: CompiledVectoriser;
  try {
    vectoriser = compileVectoriser(header.vectoriser);
  } catch (error) {
    throw new ArtifactFormatError(reasonOf(error), { ...context, cause: error });
  }
  return {
    onnx: new Uint8Array(weights),
    inputSignature: header.inputSignature,
    output: header.output,
    spec: header.vectoriser as VectoriserSpec,
    vectoriser,
    task: header.task,
    threshold: thresholdOf(header, context),
    identity: identityOf(header.identity, context),
    metadata: header.metadata,
    sha256,
  };
}

/** A classifier's threshold from the header, which the scorer decides with; null for a regression, whatever an older artifact holds. */
function thresholdOf(header: ArtifactHeader, context: { readonly model?: string; readonly version?: number }): number | null {
  if (header.task === 'regression') return null;
  if (typeof header.threshold !== 'number' || !Number.isFinite(header.threshold)) throw new ArtifactFormatError(`its ${header.task} model records no decision threshold`, context);
  return header.threshold;
}

function runtimeOf(header: ArtifactHeader, context: { readonly model?: string; readonly version?: number }): ModelRuntime {
  const runtime = header.runtime ?? DEFAULT_MODEL_RUNTIME;
  if (runtime !== 'tfjs' && runtime !== 'onnx') throw new ArtifactFormatError(`it records runtime ${JSON.stringify(runtime)}, this build runs tfjs and onnx`, context);
  return runtime;
}

/**
 * Reads a blob back into a ready model and its compiled vectoriser. Refuses, before building
 * anything, bytes whose sha256 is not `expected.sha256` ({@link ArtifactIntegrityError}), an
 * artifact of another format version ({@link ArtifactFormatVersionError}), and bytes that do not
 * parse, a spec that cannot be used or a network whose input width is not the spec's
 * ({@link ArtifactFormatError}).
 */
export async function deserialiseModelArtifact(bytes: Uint8Array, expected: ArtifactExpectation): Promise<LoadedModelArtifact> {
  const context = { model: expected.model, version: expected.version };
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected.sha256) throw new ArtifactIntegrityError(expected.sha256, sha256, context);
  const { header, weights } = splitBlob(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), context);
  const runtime = runtimeOf(header, context);
  if (runtime !== 'tfjs' || header.modelTopology === undefined || header.weightSpecs === undefined) {
    throw new ArtifactFormatError(`it holds a model of the ${runtime} runtime, not a TensorFlow.js network with its topology and weights`, context);
  }
  const identity = identityOf(header.identity, context);
  let vectoriser: CompiledVectoriser;
  try {
    vectoriser = compileVectoriser(header.vectoriser);
  } catch (error) {
    throw new ArtifactFormatError(reasonOf(error), { ...context, cause: error });
  }
  let model: LayersModel;
  try {
    const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
    model = await loadLayersModel(io.fromMemory({ modelTopology: header.modelTopology, weightSpecs: header.weightSpecs, weightData }));
  } catch (error) {
    throw new ArtifactFormatError(`TensorFlow.js cannot build the model: ${reasonOf(error)}`, { ...context, cause: error });
  }
  const inputWidth = model.inputs[0]?.shape[1];
  if (inputWidth !== vectoriser.width) {
    model.dispose();
    throw new ArtifactFormatError(`the network takes ${String(inputWidth)} input columns, its vectoriser makes ${vectoriser.width}`, context);
  }
  return {
    model,
    spec: header.vectoriser as VectoriserSpec,
    vectoriser,
    task: header.task,
    threshold: thresholdOf(header, context),
    identity,
    metadata: header.metadata,
    tfjsVersion: header.tfjsVersion ?? 'unrecorded',
    sha256,
  };
}

/**
 * The vectoriser spec of an artifact, read from its header without building the network: what a
 * check of the model's inputs needs. Refuses what {@link deserialiseModelArtifact} refuses before
 * it builds anything.
 */
export function readArtifactSpec(bytes: Uint8Array, expected: ArtifactExpectation): VectoriserSpec {
  const context = { model: expected.model, version: expected.version };
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected.sha256) throw new ArtifactIntegrityError(expected.sha256, sha256, context);
  const { header } = splitBlob(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), context);
  try {
    return checkVectoriserSpec(header.vectoriser);
  } catch (error) {
    throw new ArtifactFormatError(reasonOf(error), { ...context, cause: error });
  }
}

/** The header's identity fields: undefined when it has none, else three field names or {@link ArtifactFormatError}. */
function identityOf(stored: unknown, context: { readonly model?: string; readonly version?: number }): RecordIdentity | undefined {
  if (stored === undefined) return undefined;
  const fields = typeof stored === 'object' && stored !== null ? (stored as Readonly<Record<string, unknown>>) : {};
  for (const key of ['eventId', 'entityKey', 'eventTime'] as const) {
    if (typeof fields[key] !== 'string' || fields[key] === '') throw new ArtifactFormatError(`its identity fields name no ${key} field (got ${JSON.stringify(stored)})`, context);
  }
  return { eventId: fields.eventId as string, entityKey: fields.entityKey as string, eventTime: fields.eventTime as string };
}

function splitBlob(blob: Buffer, context: { readonly model?: string; readonly version?: number }): { header: ArtifactHeader; weights: Buffer } {
  const refuse = (problem: string, cause?: unknown): ArtifactFormatError => new ArtifactFormatError(problem, { ...context, cause });
  if (blob.length < PREAMBLE_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw refuse(`it does not start with ${MAGIC.toString('ascii')}`);
  const formatVersion = blob.readUInt8(MAGIC.length);
  if (formatVersion !== FORMAT_VERSION) throw new ArtifactFormatVersionError(formatVersion, FORMAT_VERSION, context);
  const headerEnd = PREAMBLE_BYTES + blob.readUInt32BE(MAGIC.length + 1);
  if (headerEnd > blob.length) throw refuse(`its header claims ${headerEnd - PREAMBLE_BYTES} bytes, the blob has ${blob.length - PREAMBLE_BYTES} after the preamble`);
  let header: ArtifactHeader;
  try {
    header = JSON.parse(blob.toString('utf8', PREAMBLE_BYTES, headerEnd)) as ArtifactHeader;
  } catch (error) {
    throw refuse(`its header is not JSON: ${reasonOf(error)}`, error);
  }
  const weights = blob.subarray(headerEnd);
  if (weights.length !== header.weightBytes) throw refuse(`it holds ${weights.length} weight bytes, its header declares ${header.weightBytes}`);
  return { header, weights };
}
