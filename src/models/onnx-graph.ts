/**
 * Writes ONNX models: an onnx.ModelProto in protobuf wire format, field numbers from
 * onnx/onnx.proto. Written by hand rather than with a protobuf library and ONNX's .proto: what
 * Tributary writes is a handful of messages (a graph of dense layers, its weights, its input and
 * output), and ONNX Runtime reads back every model written here before it is used (the export
 * check, the tests), which is what validates the encoding.
 */

/** onnx.TensorProto.DataType of the element types written here. */
export const ONNX_ELEMENT_TYPES = { float32: 1, int64: 7, float64: 11 } as const;
export type OnnxElementType = keyof typeof ONNX_ELEMENT_TYPES;

/**
 * IR version 8 (ONNX 1.10) with opset 17 of the default domain: old enough for every ONNX
 * Runtime release since 1.13 (1.31 is the one in package.json), new enough for every operator
 * written here.
 */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** A dimension: a size, or a symbolic name for an open one (the batch's rows). */
export type Dimension = number | string;

/** A graph node; `intAttributes` are INT attributes (`axis`, `to`). */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttributes?: Readonly<Record<string, number>>;
}

/** A constant tensor of the graph (weights). */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: Float32Array | BigInt64Array;
}

/** A graph input or output. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly shape: readonly Dimension[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModelOptions {
  readonly producerName: string;
  /** @default none */
  readonly producerVersion?: string;
  /** Written as the model's metadata_props, which ONNX Runtime reports as custom metadata. @default {} */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** One dense layer: `kernel` is [inputs, units] row-major, as TensorFlow.js stores a Dense kernel. */
export interface DenseLayer {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: 'relu' | 'sigmoid' | 'linear';
}

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

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

const intField = (number: number, value: number): Field => Uint8Array.from([...varint(number * 8), ...varint(value)]);
const bytesField = (number: number, value: Uint8Array): Field => concat([Uint8Array.from([...varint(number * 8 + 2), ...varint(value.length)]), value]);
const stringField = (number: number, value: string): Field => bytesField(number, new TextEncoder().encode(value));
const message = (number: number, fields: readonly Field[]): Field => bytesField(number, concat(fields));

/** ValueInfoProto (as GraphProto field `number`): name, and a TypeProto.Tensor of element type and shape. */
function valueInfo(number: number, { name, type, shape }: OnnxValueInfo): Field {
  const dims = shape.map((size) => message(1, [typeof size === 'number' ? intField(1, size) : stringField(2, size)]));
  const tensorType = message(1, [intField(1, ONNX_ELEMENT_TYPES[type]), message(2, dims)]);
  return message(number, [stringField(1, name), message(2, [tensorType])]);
}

/** TensorProto with raw_data: little-endian, as typed arrays hold it on the x86 and ARM machines ONNX Runtime ships for. */
function initializer({ name, dims, values }: OnnxInitializer): Field {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const type = values instanceof Float32Array ? ONNX_ELEMENT_TYPES.float32 : ONNX_ELEMENT_TYPES.int64;
  return message(5, [...dims.map((size) => intField(1, size)), intField(2, type), stringField(8, name), bytesField(9, raw)]);
}

/** NodeProto; each attribute an AttributeProto of type INT (2). */
function node({ opType, inputs, outputs, intAttributes = {} }: OnnxNode): Field {
  const attributes = Object.entries(intAttributes).map(([name, value]) => message(5, [stringField(1, name), intField(3, value), intField(20, 2)]));
  return message(1, [...inputs.map((input) => stringField(1, input)), ...outputs.map((output) => stringField(2, output)), stringField(4, opType), ...attributes]);
}

/** The bytes of an ONNX model of `graph`. */
export function encodeOnnxModel(graph: OnnxGraph, { producerName, producerVersion, metadata = {} }: OnnxModelOptions): Uint8Array {
  const encodedGraph = message(7, [
    ...graph.nodes.map(node),
    stringField(2, graph.name),
    ...graph.initializers.map(initializer),
    ...graph.inputs.map((input) => valueInfo(11, input)),
    ...graph.outputs.map((output) => valueInfo(12, output)),
  ]);
  return concat([
    intField(1, ONNX_IR_VERSION),
    stringField(2, producerName),
    ...(producerVersion === undefined ? [] : [stringField(3, producerVersion)]),
    encodedGraph,
    message(8, [stringField(1, ''), intField(2, ONNX_OPSET)]),
    ...Object.entries(metadata).map(([key, value]) => message(14, [stringField(1, key), stringField(2, value)])),
  ]);
}

/**
 * The nodes and weights of dense layers reading `input` (`inputWidth` columns): per layer MatMul,
 * Add of the bias, then Relu or Sigmoid (none for linear); the last layer's result is named
 * `output`. Returns the last layer's units as `width`.
 */
export function denseLayerNodes(input: string, inputWidth: number, layers: readonly DenseLayer[], output: string): { nodes: OnnxNode[]; initializers: OnnxInitializer[]; width: number } {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  let current = input;
  let width = inputWidth;
  layers.forEach((layer, index) => {
    const units = layer.bias.length;
    initializers.push({ name: `w${index}`, dims: [width, units], values: layer.kernel }, { name: `b${index}`, dims: [units], values: layer.bias });
    const activated = index === layers.length - 1 ? output : `h${index}`;
    const summed = layer.activation === 'linear' ? activated : `z${index}`;
    nodes.push({ opType: 'MatMul', inputs: [current, `w${index}`], outputs: [`m${index}`] }, { opType: 'Add', inputs: [`m${index}`, `b${index}`], outputs: [summed] });
    if (layer.activation === 'relu') nodes.push({ opType: 'Relu', inputs: [summed], outputs: [activated] });
    if (layer.activation === 'sigmoid') nodes.push({ opType: 'Sigmoid', inputs: [summed], outputs: [activated] });
    current = activated;
    width = units;
  });
  return { nodes, initializers, width };
}
