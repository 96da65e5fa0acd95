/**
 * An ONNX graph run by ONNX Runtime (onnxruntime-node, CPU) behind the {@link RuntimeModel}
 * interface. Opening one checks, in this order, each failure one line naming the file: that it is
 * an ONNX file and whole ({@link inspectOnnxFile}), that ONNX Runtime loads its graph, that its
 * signature fits the pipeline ({@link checkOnnxSignature}), and that a trial batch gives one score
 * per row; the trial is also the model's first inference, so a model is warm before it serves.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { reasonOf } from '../errors/tributary-error.js';
import type { InputSignature, OutputSelection } from '../registry/model-runtime.js';
import type { FeatureMatrix } from '../training/feature-matrix.js';
import { OnnxModelRefusedError, RuntimeModelDisposedError } from './errors.js';
import { inspectOnnxFile } from './onnx-file.js';
import { checkOnnxSignature, checkProducedShape, type ExpectedSignature } from './onnx-signature.js';
import type { RuntimeModel } from './runtime-model.js';

/** Rows of the trial batch: more than one, so a graph that drops or merges rows shows it. */
const TRIAL_ROWS = 3;

/** An ONNX model, opened and checked. */
export interface OnnxModel extends RuntimeModel {
  readonly runtime: 'onnx';
  readonly output: OutputSelection;
}

/**
 * Opens `bytes` with ONNX Runtime for a pipeline that feeds `expected`; `subject` names the file
 * or version in refusals. Throws {@link OnnxModelRefusedError} and leaves nothing open on failure.
 */
export async function openOnnxModel(bytes: Uint8Array, subject: string, expected: ExpectedSignature): Promise<OnnxModel> {
  const refuse = (reason: string, cause?: unknown): OnnxModelRefusedError => new OnnxModelRefusedError(subject, reason, { cause });
  const shape = inspectOnnxFile(bytes);
  if (shape.kind === 'not-onnx') throw refuse(`not an ONNX model: ${shape.reason}`);
  if (shape.kind === 'truncated') throw refuse(`the ONNX file is truncated: ${shape.reason}`);
  if (!shape.hasGraph) throw refuse('the ONNX model holds no graph');
  // Loaded here, not at the top, so commands that never run ONNX do not load its native library.
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    // One thread per session: a scorer runs one batch at a time per model, and the machine's other cores are the other workers'.
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw refuse(`ONNX Runtime cannot load the graph: ${firstLine(reasonOf(error))}`, error);
  }
  try {
    const checked = checkOnnxSignature(session.inputMetadata, session.outputMetadata, expected);
    if ('problem' in checked) throw refuse(checked.problem);
    const model = new SessionModel(session, checked.input, checked.output, ort.Tensor);
    const produced = await model.run({ rowCount: TRIAL_ROWS, columnCount: expected.width, values: new Float32Array(TRIAL_ROWS * expected.width) }).catch((error: unknown) => {
      throw refuse(`ONNX Runtime cannot run the graph on a batch of ${TRIAL_ROWS} rows: ${firstLine(reasonOf(error))}`, error);
    });
    const kind = checkProducedShape(checked.output.name, produced.dims, TRIAL_ROWS, expected.task);
    if (typeof kind !== 'string') throw refuse(kind.problem);
    model.output = { name: checked.output.name, kind };
    return model;
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** ONNX Runtime's messages carry a stack of native frames after the first line. */
function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

type TensorConstructor = typeof import('onnxruntime-node').Tensor;

class SessionModel implements OnnxModel {
  readonly runtime = 'onnx' as const;
  private disposed = false;

  constructor(
    private readonly session: InferenceSession,
    readonly inputSignature: InputSignature,
    public output: OutputSelection,
    private readonly Tensor: TensorConstructor,
  ) {}

  /** The raw output tensor's values and dims for a batch. */
  async run(matrix: FeatureMatrix): Promise<{ values: Float32Array | Float64Array; dims: readonly number[] }> {
    const input = new this.Tensor('float32', matrix.values, [matrix.rowCount, matrix.columnCount]);
    const results = await this.session.run({ [this.inputSignature.name]: input }, [this.output.name]);
    const tensor = results[this.output.name]!;
    try {
      return { values: tensor.data as Float32Array | Float64Array, dims: tensor.dims };
    } finally {
      input.dispose();
    }
  }

  async score(matrix: FeatureMatrix): Promise<Float32Array> {
    if (this.disposed) throw new RuntimeModelDisposedError('onnx');
    if (matrix.rowCount === 0) return new Float32Array(0);
    const { values } = await this.run(matrix);
    if (this.output.kind === 'score') return values instanceof Float32Array ? values : Float32Array.from(values);
    // A probability pair per row: the positive class is the second column.
    return Float32Array.from({ length: matrix.rowCount }, (_, row) => values[row * 2 + 1]!);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // dispose() is synchronous for every runtime; a failed release cannot be retried, only reported.
    this.session.release().catch((error: unknown) => process.emitWarning(`releasing an ONNX Runtime session failed: ${reasonOf(error)}`));
  }
}
