/**
 * Errors of the model runtimes and of `tributary models import`. Each names the file or the model
 * version it is about; the message is one line a person can act on.
 */
import { TributaryError } from '../errors/tributary-error.js';

/** Base of the errors of this layer. */
export class ModelRuntimeError extends TributaryError {
  override readonly name: string = 'ModelRuntimeError';
}

/**
 * An ONNX file was refused before anything was registered: not ONNX, truncated, a graph ONNX
 * Runtime cannot load, or inputs and outputs the pipeline cannot feed or read. Not retriable: the
 * same file is refused again. `subject` names the file (or the model version) in the message.
 */
export class OnnxModelRefusedError extends ModelRuntimeError {
  override readonly name = 'OnnxModelRefusedError';

  constructor(
    readonly subject: string,
    readonly reason: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(`${subject}: ${reason}`, options);
  }
}

/**
 * A trained network cannot be written as ONNX: a layer, activation or shape the export does not
 * write (`src/models/onnx-export.ts`). `layer` names it. Not retriable: the same network is refused
 * again; the version is then served by TensorFlow.js, so the refusal never fails a training run.
 */
export class OnnxExportRefusedError extends ModelRuntimeError {
  override readonly name = 'OnnxExportRefusedError';

  constructor(
    readonly layer: string,
    readonly reason: string,
  ) {
    super(`the network cannot be exported to ONNX: ${layer} ${reason}`);
  }
}

/** A disposed runtime model was asked to score. */
export class RuntimeModelDisposedError extends ModelRuntimeError {
  override readonly name = 'RuntimeModelDisposedError';

  constructor(readonly runtime: string) {
    super(`this ${runtime} model was disposed and cannot score`);
  }
}
