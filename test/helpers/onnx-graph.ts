/**
 * Writes small ONNX models for tests with src's writer (src/models/onnx-graph.ts): dense layers,
 * and the variants an imported model may take that Tributary's own export never writes — a float64
 * input cast to float32, an int64 label output beside the scores, fixed or unusual shapes.
 */
import { denseLayerNodes, encodeOnnxModel, type DenseLayer, type Dimension, type OnnxElementType, type OnnxNode, type OnnxValueInfo } from '../../src/models/onnx-graph.js';

export type { DenseLayer, Dimension } from '../../src/models/onnx-graph.js';

export interface DenseOnnxOptions {
  readonly inputWidth: number;
  readonly layers: readonly DenseLayer[];
  /** @default 'features' */
  readonly inputName?: string;
  /** @default ['rows', inputWidth] */
  readonly inputShape?: readonly Dimension[];
  /** @default 'float32' */
  readonly inputType?: OnnxElementType;
  /** @default 'score' */
  readonly outputName?: string;
  /** @default ['rows', units of the last layer] */
  readonly outputShape?: readonly Dimension[];
  /** A second output, int64 labels [rows], as scikit-learn classifiers export. @default false */
  readonly labelOutput?: boolean;
}

/** The bytes of an ONNX model computing the dense layers. */
export function denseOnnxModel(options: DenseOnnxOptions): Uint8Array {
  const { inputWidth, layers, inputName = 'features', outputName = 'score', inputType = 'float32', labelOutput = false } = options;
  const nodes: OnnxNode[] = [];
  // A model trained on doubles casts to float32 first, as a converter writes it: `to` = FLOAT.
  if (inputType !== 'float32') nodes.push({ opType: 'Cast', inputs: [inputName], outputs: ['cast'], intAttributes: { to: 1 } });
  const dense = denseLayerNodes(inputType === 'float32' ? inputName : 'cast', inputWidth, layers, outputName);
  nodes.push(...dense.nodes);
  const initializers = [...dense.initializers];
  const outputs: OnnxValueInfo[] = [{ name: outputName, type: 'float32', shape: options.outputShape ?? ['rows', dense.width] }];
  if (labelOutput) {
    // ArgMax over the last axis, then squeezed to [rows]: a classifier's label output.
    nodes.push({ opType: 'ArgMax', inputs: [outputName], outputs: ['label2d'], intAttributes: { axis: 1 } }, { opType: 'Squeeze', inputs: ['label2d', 'axes1'], outputs: ['label'] });
    initializers.push({ name: 'axes1', dims: [1], values: new BigInt64Array([1n]) });
    outputs.unshift({ name: 'label', type: 'int64', shape: ['rows'] });
  }
  return encodeOnnxModel(
    { name: 'dense', nodes, initializers, inputs: [{ name: inputName, type: inputType, shape: options.inputShape ?? ['rows', inputWidth] }], outputs },
    { producerName: 'tributary-test' },
  );
}
