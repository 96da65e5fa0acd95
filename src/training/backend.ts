/**
 * Chooses the TensorFlow.js backend at run time: the native `tensorflow` backend when the
 * optional `@tensorflow/tfjs-node` package loads, else WebAssembly, else plain JavaScript.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setBackend } from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { reasonOf, TributaryError } from '../errors/tributary-error.js';

/** A TensorFlow.js backend Tributary can run on, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** A faster backend that was skipped, and why. */
export interface BackendFallback {
  readonly backend: BackendName;
  readonly reason: string;
}

/** The backend in use and the faster ones that could not be used. */
export interface BackendSelection {
  readonly name: BackendName;
  /** In order of preference; empty when the first backend tried loaded. */
  readonly fallbacks: readonly BackendFallback[];
}

/** The logging this module needs; the Temporal SDK's loggers and `console` both fit. */
export interface BackendLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface SelectBackendOptions {
  /**
   * Use exactly this backend and fail with {@link BackendUnavailableError} when it cannot
   * load, e.g. to benchmark one backend against another.
   * @default undefined (the best that loads: tensorflow, then wasm, then cpu)
   */
  readonly force?: BackendName;
  /** Receives one line when a selection is first made. @default console */
  readonly logger?: BackendLogger;
}

/** Thrown when a forced backend, or every backend, fails to load; `cause` holds the loader's error. */
export class BackendUnavailableError extends TributaryError {
  override readonly name = 'BackendUnavailableError';

  constructor(
    readonly backend: BackendName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const PREFERENCE_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** A variable, so TypeScript does not try to resolve the optional package's types. */
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

const HINTS: Record<BackendName, string> = {
  tensorflow: `install ${TFJS_NODE_PACKAGE} (it downloads a native library) or use 'wasm' or 'cpu'`,
  wasm: 'reinstall @tensorflow/tfjs-backend-wasm (its dist folder must hold the .wasm files) or use cpu',
  cpu: 'reinstall @tensorflow/tfjs',
};

/** Each backend is loaded at most once per process: the wasm backend cannot be configured twice. */
const backendLoads = new Map<BackendName, Promise<void>>();
/** Keyed by the forced backend, or `auto`, so that repeated calls return the first answer. */
const selections = new Map<BackendName | 'auto', Promise<BackendSelection>>();

/**
 * Makes the chosen backend the active TensorFlow.js backend and returns it. The first call
 * for a given `force` decides and logs; later calls return the same selection and make its
 * backend active again (another call may have forced a different one in between).
 */
export async function selectTensorFlowBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const key = options.force ?? 'auto';
  let selection = selections.get(key);
  if (selection === undefined) {
    const logger = options.logger ?? console;
    selection = options.force === undefined ? selectBestBackend(logger) : selectForcedBackend(options.force, logger);
    selections.set(key, selection);
  }
  const chosen = await selection;
  await activate(chosen.name);
  return chosen;
}

async function selectBestBackend(logger: BackendLogger): Promise<BackendSelection> {
  const fallbacks: BackendFallback[] = [];
  for (const name of PREFERENCE_ORDER) {
    try {
      await load(name);
    } catch (error) {
      fallbacks.push({ backend: name, reason: reasonOf(error) });
      continue;
    }
    const meta = { backend: name, fallbacks };
    if (name === 'cpu') logger.warn('TensorFlow.js runs on the slow cpu backend: no faster backend loaded', meta);
    else logger.info(`TensorFlow.js backend: ${name}`, meta);
    return { name, fallbacks };
  }
  const reasons = fallbacks.map((fallback) => `${fallback.backend}: ${fallback.reason}`).join('; ');
  throw new BackendUnavailableError('cpu', `No TensorFlow.js backend loads (${reasons}); ${HINTS.cpu}.`);
}

async function selectForcedBackend(name: BackendName, logger: BackendLogger): Promise<BackendSelection> {
  try {
    await load(name);
  } catch (error) {
    throw new BackendUnavailableError(
      name,
      `The TensorFlow.js backend '${name}' was requested but does not load (${reasonOf(error)}); ${HINTS[name]}.`,
      { cause: error },
    );
  }
  logger.info(`TensorFlow.js backend: ${name} (forced)`, { backend: name, forced: true });
  return { name, fallbacks: [] };
}

function load(name: BackendName): Promise<void> {
  let loading = backendLoads.get(name);
  if (loading === undefined) {
    loading = LOADERS[name]();
    backendLoads.set(name, loading);
  }
  return loading;
}

const LOADERS: Record<BackendName, () => Promise<void>> = {
  async tensorflow() {
    // Importing the package registers the `tensorflow` backend with the shared tfjs engine.
    await import(TFJS_NODE_PACKAGE);
    await activate('tensorflow');
  },
  async wasm() {
    setWasmPaths(wasmBinaryDirectory());
    await activate('wasm');
  },
  async cpu() {
    await activate('cpu');
  },
};

async function activate(name: BackendName): Promise<void> {
  // setBackend reports an initialisation failure by returning false, not by throwing.
  if (!(await setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise the backend`);
}

/**
 * The package's `dist` folder, which holds the `.wasm` binaries, as a file path with a
 * trailing slash: in Node the backend reads the binaries from disk rather than fetching them.
 */
function wasmBinaryDirectory(): string {
  const packageEntry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  return `${dirname(packageEntry)}/`;
}

