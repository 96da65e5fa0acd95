/**
 * Exports the networks Tributary trains to ONNX, so ONNX Runtime serves them: on the same network
 * it scores 5 to 26 times more rows per second than TensorFlow.js (docs/onnx.md, measured with
 * `npx tsx bench/model-runtimes.bench.ts`). What is exported is what src/training/model.ts builds:
 * Dense layers with ReLU hidden layers and a sigmoid (classifier) or linear (regression, the
 * label scale already folded into its weights) output; dropout is applied by the training loop,
 * and a Dropout layer, identity at inference, is left out. Anything else is refused with
 * {@link OnnxExportRefusedError} naming the layer.
 *
 * An export is served only once it scores the held-out rows as the network does, within a stated
 * tolerance ({@link exportCheckedOnnx}); otherwise the version keeps TensorFlow.js.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { reasonOf } from '../errors/tributary-error.js';
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { sha256Hex } from '../registry/artifact-digest.js';
import type { InputSignature, OutputSelection } from '../registry/model-runtime.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';
import { predictScores } from '../training/model.js';
import { OnnxExportRefusedError } from './errors.js';
import { denseLayerNodes, encodeOnnxModel, type DenseLayer } from './onnx-graph.js';
import { openOnnxModel } from './onnx-model.js';

/** Names of the exported graph's input and output. */
const INPUT_NAME = 'features';
const OUTPUT_NAME = 'score';

/**
 * Largest difference accepted between the network's and the export's score of a held-out row: a
 * classifier's probabilities, absolutely. Float32 arithmetic summed in another order differs by
 * about 1e-7 on these networks (measured: ≤ 1.2e-7), so 1e-5 leaves room and still refuses any
 * real mismatch, which moves scores by far more.
 */
export const PROBABILITY_TOLERANCE = 1e-5;
/**
 * A regression's, relative to the largest predicted magnitude on the held-out rows (at least 1):
 * float32 rounding grows with the values, which are in the label's units.
 */
export const REGRESSION_RELATIVE_TOLERANCE = 1e-5;

/** How the scorer reads an export of a network taking `width` columns: the signature of its artifact. */
export function exportedSignature(width: number): { readonly inputSignature: InputSignature; readonly output: OutputSelection } {
  return { inputSignature: { name: INPUT_NAME, type: 'float32', shape: ['rows', width] }, output: { name: OUTPUT_NAME, kind: 'score' } };
}

/** The activation of a Dense layer as its config names it (`relu`, `sigmoid`, `linear`, ...). */
function activationOf(config: Readonly<Record<string, unknown>>): string {
  return typeof config.activation === 'string' ? config.activation : 'linear';
}

const EXPORTED_ACTIVATIONS: ReadonlySet<string> = new Set<DenseLayer['activation']>(['relu', 'sigmoid', 'linear']);

/** The dense layers of `network`, input side first; refuses what the export cannot write. */
function denseLayersOf(network: LayersModel): { inputWidth: number; layers: DenseLayer[] } {
  if (network.inputs.length !== 1 || network.outputs.length !== 1) {
    throw new OnnxExportRefusedError(`model "${network.name}"`, `has ${network.inputs.length} inputs and ${network.outputs.length} outputs; the export writes one of each`);
  }
  const inputWidth = network.inputs[0]!.shape[1];
  if (network.inputs[0]!.shape.length !== 2 || typeof inputWidth !== 'number') {
    throw new OnnxExportRefusedError(`input "${network.inputs[0]!.name}"`, `has shape [${network.inputs[0]!.shape.join(', ')}]; the export reads [rows, columns]`);
  }
  const layers: DenseLayer[] = [];
  let width = inputWidth;
  for (const layer of network.layers) {
    const kind = layer.getClassName();
    // Identity at inference; InputLayer only names the input.
    if (kind === 'Dropout' || kind === 'InputLayer') continue;
    const named = `layer "${layer.name}" (${kind})`;
    if (kind !== 'Dense') throw new OnnxExportRefusedError(named, 'is not a layer the export writes (Dense, and Dropout left out)');
    const activation = activationOf(layer.getConfig());
    if (!EXPORTED_ACTIVATIONS.has(activation)) throw new OnnxExportRefusedError(named, `has activation ${activation}; the export writes relu, sigmoid and linear`);
    const [kernel, bias] = layer.getWeights();
    if (kernel === undefined || kernel.shape.length !== 2 || kernel.shape[0] !== width) {
      throw new OnnxExportRefusedError(named, `has a kernel of shape [${kernel?.shape.join(', ') ?? ''}], not [${width}, units]: the layers do not form one chain`);
    }
    const units = kernel.shape[1]!;
    layers.push({
      kernel: kernel.dataSync() as Float32Array,
      bias: bias === undefined ? new Float32Array(units) : (bias.dataSync() as Float32Array),
      activation: activation as DenseLayer['activation'],
    });
    width = units;
  }
  if (layers.length === 0) throw new OnnxExportRefusedError(`model "${network.name}"`, 'has no Dense layer');
  if (width !== 1) throw new OnnxExportRefusedError(`layer "${network.layers[network.layers.length - 1]!.name}"`, `has ${width} units; the scorer reads one score per row`);
  return { inputWidth, layers };
}

/**
 * The ONNX bytes of `network`: float32 input `features` [rows, columns], float32 output `score`
 * [rows, 1]. `metadata` goes into the model's metadata_props. Throws
 * {@link OnnxExportRefusedError}; the network is left as it is.
 */
export function exportNetworkToOnnx(network: LayersModel, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const { inputWidth, layers } = denseLayersOf(network);
  const { nodes, initializers } = denseLayerNodes(INPUT_NAME, inputWidth, layers, OUTPUT_NAME);
  return encodeOnnxModel(
    {
      name: network.name,
      nodes,
      initializers,
      inputs: [{ name: INPUT_NAME, type: 'float32', shape: ['rows', inputWidth] }],
      outputs: [{ name: OUTPUT_NAME, type: 'float32', shape: ['rows', 1] }],
    },
    { producerName: 'tributary', metadata },
  );
}

/** sha256 of the network's weights, layer by layer as TensorFlow.js holds them: what an export was made from. */
export function networkWeightsSha256(network: LayersModel): string {
  const parts = network.getWeights().map((weight) => weight.dataSync() as Float32Array);
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
    at += part.byteLength;
  }
  return sha256Hex(joined);
}

/** How the export scored the held-out rows against the network. */
export interface OnnxExportCheck {
  readonly rows: number;
  /** Largest absolute difference of a row's score, in the score's units (a probability, or the label's). */
  readonly maxDifference: number;
  /** The largest difference accepted on these rows ({@link PROBABILITY_TOLERANCE}, {@link REGRESSION_RELATIVE_TOLERANCE}). */
  readonly tolerance: number;
}

/** Compares the two runtimes' scores of the same rows; NaN in either makes `maxDifference` NaN. */
export function compareExportScores(reference: Float32Array, exported: Float32Array, task: ModelTask): OnnxExportCheck {
  let maxDifference = 0;
  let largest = 1;
  for (let row = 0; row < reference.length; row += 1) {
    const difference = Math.abs(exported[row]! - reference[row]!);
    maxDifference = Number.isNaN(difference) || Number.isNaN(maxDifference) ? Number.NaN : Math.max(maxDifference, difference);
    largest = Math.max(largest, Math.abs(reference[row]!));
  }
  const tolerance = task === 'regression' ? REGRESSION_RELATIVE_TOLERANCE * largest : PROBABILITY_TOLERANCE;
  return { rows: reference.length, maxDifference, tolerance };
}

/** An export accepted for serving, or why the version keeps TensorFlow.js; `note` says it in one line. */
export type OnnxExportVerdict =
  | {
      readonly accepted: true;
      readonly onnx: Uint8Array;
      readonly check: OnnxExportCheck;
      /** Milliseconds to write the ONNX bytes from the network. */
      readonly exportMs: number;
      /** {@link networkWeightsSha256} of the network exported. */
      readonly tfjsWeightsSha256: string;
      readonly note: string;
    }
  | { readonly accepted: false; readonly note: string };

const formatted = (value: number): string => value.toExponential(1);

/**
 * Exports `network` and scores `heldOut` (the test split, vectorised with the network's own
 * vectoriser) with both the network and ONNX Runtime; accepted when every row is within the
 * tolerance of its task. Never throws: a refusal of any kind, the export's or ONNX Runtime's,
 * comes back as a verdict with its reason, since a network that cannot be exported is still
 * served by TensorFlow.js. `subject` names the model in ONNX Runtime's refusals.
 */
export async function exportCheckedOnnx(network: LayersModel, heldOut: FeatureMatrix, task: ModelTask, subject: string): Promise<OnnxExportVerdict> {
  const refused = (reason: string): OnnxExportVerdict => ({ accepted: false, note: `kept tfjs: ${reason}` });
  if (heldOut.rowCount === 0) return refused('no held-out rows to check the ONNX export on');
  let onnx: Uint8Array;
  let exportMs: number;
  let tfjsWeightsSha256: string;
  try {
    const started = performance.now();
    tfjsWeightsSha256 = networkWeightsSha256(network);
    onnx = exportNetworkToOnnx(network, { exportedFrom: 'tfjs', tfjsWeightsSha256 });
    exportMs = performance.now() - started;
  } catch (error) {
    return refused(reasonOf(error));
  }
  let check: OnnxExportCheck;
  try {
    const exported = await openOnnxModel(onnx, subject, { pipeline: subject, width: heldOut.columnCount, task });
    try {
      check = compareExportScores(await predictScores(network, heldOut), await exported.score(heldOut), task);
    } finally {
      exported.dispose();
    }
  } catch (error) {
    return refused(`the export could not be checked on the held-out rows: ${reasonOf(error)}`);
  }
  const figures = `max |difference| ${formatted(check.maxDifference)} on ${check.rows} held-out rows, tolerance ${formatted(check.tolerance)}`;
  if (!(check.maxDifference <= check.tolerance)) return refused(`the ONNX export's scores differ from the network's: ${figures}`);
  return { accepted: true, onnx, check, exportMs, tfjsWeightsSha256, note: `served by onnx: exported in ${exportMs.toFixed(1)} ms, ${figures}` };
}
