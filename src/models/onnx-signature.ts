/**
 * Whether an ONNX graph reads what the pipeline's vectoriser makes and answers one score per row:
 * one float32 input [rows, width] (the vectorised columns in the spec's order), and one float
 * output of one score per row ([rows] or [rows, 1]) or, for a binary classifier, a probability
 * pair ([rows, 2], the positive class second, as scikit-learn and its ONNX converters write it).
 * Works on the metadata ONNX Runtime reports, so it is tested without a session.
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { formatShape, type InputSignature, type OutputSelection } from '../registry/model-runtime.js';

/** An input or output as ONNX Runtime describes it (`InferenceSession.inputMetadata`). */
export type ValueDescription =
  | { readonly name: string; readonly isTensor: false }
  | { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: readonly (number | string)[] };

/** What the pipeline feeds and reads: its name for messages, the vectoriser's width, the task. */
export interface ExpectedSignature {
  readonly pipeline: string;
  readonly width: number;
  readonly task: ModelTask;
}

/** The input and output a checked graph is run with. */
export interface CheckedSignature {
  readonly input: InputSignature;
  readonly output: OutputSelection;
}

/** Element types a score may come in; float64 is narrowed to the float32 every score is. */
const SCORE_TYPES = new Set(['float32', 'float64']);

const isOpen = (size: number | string | undefined): boolean => typeof size === 'string' || (typeof size === 'number' && size < 0);
const describe = (value: ValueDescription): string => (value.isTensor ? `"${value.name}" ${value.type} ${formatShape(value.shape)}` : `"${value.name}" (not a tensor)`);

/** The problem with the graph's signature in one line, or the input and output to run it with. */
export function checkOnnxSignature(inputs: readonly ValueDescription[], outputs: readonly ValueDescription[], expected: ExpectedSignature): CheckedSignature | { readonly problem: string } {
  const wanted = `pipeline ${expected.pipeline}'s vectorised inputs are float32 [rows, ${expected.width}]`;
  if (inputs.length !== 1) return { problem: `it has ${inputs.length} inputs (${inputs.map(describe).join(', ') || 'none'}); Tributary feeds one tensor: ${wanted}` };
  const input = inputs[0]!;
  if (!input.isTensor) return { problem: `input ${describe(input)} is not a tensor; ${wanted}` };
  const [rows, width] = input.shape;
  const mismatch =
    input.type !== 'float32' ||
    input.shape.length !== 2 ||
    !(isOpen(rows) || rows === undefined) ||
    (typeof width === 'number' && width >= 0 && width !== expected.width);
  if (mismatch) {
    const fixedRows = input.type === 'float32' && input.shape.length === 2 && typeof rows === 'number' && rows >= 0 && width === expected.width;
    const hint = fixedRows ? ` (it takes a fixed batch of ${rows}; export it with a dynamic first dimension)` : '';
    return { problem: `input "${input.name}" is ${input.type} ${formatShape(input.shape)}; ${wanted}${hint}` };
  }
  const scoreOutputs = outputs.filter((output): output is Extract<ValueDescription, { isTensor: true }> => output.isTensor && SCORE_TYPES.has(output.type));
  if (scoreOutputs.length !== 1) {
    const found = outputs.map(describe).join(', ') || 'none';
    return { problem: `it needs exactly one float output of one score per row, it has ${scoreOutputs.length} float outputs among ${found}` };
  }
  const output = scoreOutputs[0]!;
  const kind = outputKind(output.shape, expected.task);
  if (kind === undefined) return { problem: `output "${output.name}" is ${output.type} ${formatShape(output.shape)}; ${scoreShapes(expected.task, 'rows')}` };
  return { input: { name: input.name, type: input.type, shape: [...input.shape] }, output: { name: output.name, kind } };
}

/**
 * How an output of `shape` is read, from its declared shape; a size the graph leaves open is
 * taken at its word here and checked by {@link checkProducedShape} on a real batch.
 */
function outputKind(shape: readonly (number | string)[], task: ModelTask): OutputSelection['kind'] | undefined {
  // No declared shape, or an open second dimension: the trial batch decides.
  if (shape.length <= 1) return 'score';
  if (shape.length !== 2) return undefined;
  const columns = shape[1];
  if (isOpen(columns) || columns === 1) return 'score';
  if (columns === 2 && task === 'binary-classification') return 'pair';
  return undefined;
}

/** Checks the dims a batch of `rows` rows produced; the output kind they show, or the problem in one line. */
export function checkProducedShape(outputName: string, dims: readonly number[], rows: number, task: ModelTask): OutputSelection['kind'] | { readonly problem: string } {
  if (dims[0] === rows && (dims.length === 1 || (dims.length === 2 && dims[1] === 1))) return 'score';
  if (task === 'binary-classification' && dims.length === 2 && dims[0] === rows && dims[1] === 2) return 'pair';
  return { problem: `output "${outputName}" gives ${formatShape(dims)} for a batch of ${rows} rows; ${scoreShapes(task, String(rows))}` };
}

function scoreShapes(task: ModelTask, rows: string): string {
  const single = `one score per row ([${rows}] or [${rows}, 1])`;
  return task === 'binary-classification' ? `Tributary reads ${single} or a probability pair ([${rows}, 2])` : `Tributary reads ${single} for a regression`;
}
