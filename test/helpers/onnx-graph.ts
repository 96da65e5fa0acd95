/**
 * Writes small ONNX models for tests: dense layers (MatMul, Add, then Relu or Sigmoid) as an
 * onnx.ModelProto in protobuf wire format, written by hand so the tests need no Python and no
 * protobuf library. Field numbers are onnx/onnx.proto's.
 */

type Field = Uint8Array;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));
const intField = (number: number, value: number): Field => Uint8Array.from([...varint(number * 8), ...varint(value)]);
const bytesField = (number: number, value: Uint8Array): Field => concat([Uint8Array.from([...varint(number * 8 + 2), ...varint(value.length)]), value]);
const stringField = (number: number, value: string): Field => bytesField(number, new TextEncoder().encode(value));
const message = (number: number, fields: readonly Field[]): Field => bytesField(number, concat(fields));

/** onnx.TensorProto.DataType */
export const ONNX_TYPES = { float32: 1, int64: 7, float64: 11 } as const;

/** A dimension: a size, or a symbolic name for an open one. */
export type Dimension = number | string;

function valueInfo(number: number, name: string, elemType: number, shape: readonly Dimension[]): Field {
  const dims = shape.map((size) => message(1, [typeof size === 'number' ? intField(1, size) : stringField(2, size)]));
  const tensorType = message(1, [intField(1, elemType), message(2, dims)]);
  return message(number, [stringField(1, name), message(2, [tensorType])]);
}

function initializer(name: string, dims: readonly number[], values: Float32Array): Field {
  const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return message(5, [...dims.map((size) => intField(1, size)), intField(2, ONNX_TYPES.float32), stringField(8, name), bytesField(9, raw)]);
}

function node(opType: string, inputs: readonly string[], outputs: readonly string[]): Field {
  return message(1, [...inputs.map((input) => stringField(1, input)), ...outputs.map((output) => stringField(2, output)), stringField(4, opType)]);
}

/** One dense layer: `kernel` is [inputs, units] row-major, as TensorFlow.js stores a Dense kernel. */
export interface DenseLayer {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: 'relu' | 'sigmoid' | 'linear';
}

export interface DenseOnnxOptions {
  readonly inputWidth: number;
  readonly layers: readonly DenseLayer[];
  /** @default 'features' */
  readonly inputName?: string;
  /** @default ['rows', inputWidth] */
  readonly inputShape?: readonly Dimension[];
  /** @default 'float32' */
  readonly inputType?: keyof typeof ONNX_TYPES;
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
  const nodes: Field[] = [];
  const initializers: Field[] = [];
  let current = inputName;
  let width = inputWidth;
  if (inputType !== 'float32') {
    // Cast to float32 first, as a converter does for a model trained on doubles: attribute `to` (INT) = FLOAT.
    nodes.push(message(1, [stringField(1, inputName), stringField(2, 'cast'), stringField(4, 'Cast'), message(5, [stringField(1, 'to'), intField(3, ONNX_TYPES.float32), intField(20, 2)])]));
    current = 'cast';
  }
  layers.forEach((layer, index) => {
    const units = layer.bias.length;
    initializers.push(initializer(`w${index}`, [width, units], layer.kernel), initializer(`b${index}`, [units], layer.bias));
    const isLast = index === layers.length - 1;
    const activated = isLast ? outputName : `h${index}`;
    const summed = layer.activation === 'linear' ? activated : `z${index}`;
    nodes.push(node('MatMul', [current, `w${index}`], [`m${index}`]), node('Add', [`m${index}`, `b${index}`], [summed]));
    if (layer.activation === 'relu') nodes.push(node('Relu', [summed], [activated]));
    if (layer.activation === 'sigmoid') nodes.push(node('Sigmoid', [summed], [activated]));
    current = activated;
    width = units;
  });
  const outputs = [valueInfo(12, outputName, ONNX_TYPES.float32, options.outputShape ?? ['rows', width])];
  if (labelOutput) {
    // ArgMax over the last axis, then flattened to [rows]: a classifier's label output.
    nodes.push(message(1, [stringField(1, outputName), stringField(2, 'label2d'), stringField(4, 'ArgMax'), message(5, [stringField(1, 'axis'), intField(3, 1), intField(20, 2)])]));
    nodes.push(node('Squeeze', ['label2d', 'axes1'], ['label']));
    initializers.push(message(5, [intField(1, 1), intField(2, ONNX_TYPES.int64), stringField(8, 'axes1'), bytesField(9, new Uint8Array(new BigInt64Array([1n]).buffer))]));
    outputs.unshift(valueInfo(12, 'label', ONNX_TYPES.int64, ['rows']));
  }
  const graph = message(7, [
    ...nodes,
    stringField(2, 'dense'),
    ...initializers,
    valueInfo(11, inputName, ONNX_TYPES[inputType], options.inputShape ?? ['rows', inputWidth]),
    ...outputs,
  ]);
  return concat([intField(1, 8), stringField(2, 'tributary-test'), graph, message(8, [stringField(1, ''), intField(2, 17)])]);
}
