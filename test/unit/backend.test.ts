import { getBackend, matMul, tensor2d, type Tensor2D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTensorFlowBackend, type BackendFallback, type BackendLogger, type BackendName } from '../../src/training/backend.js';

/** A variable, so TypeScript does not try to resolve the optional package's types. */
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

/**
 * Whether the optional native package loads on this machine, asked independently of the module
 * under test: it decides which backend heads the chain (tensorflow where it loads, else wasm, which
 * is a dependency and always loads), so the tests hold wherever they run.
 */
let nativeLoads: boolean;
let expectedName: BackendName;

beforeAll(async () => {
  nativeLoads = await import(TFJS_NODE_PACKAGE).then(
    () => true,
    () => false,
  );
  expectedName = nativeLoads ? 'tensorflow' : 'wasm';
});

/** Records log lines so a test can see what the module reported. */
function recordingLogger(): BackendLogger & { lines: { level: string; message: string; meta?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message, meta) => lines.push({ level: 'info', message, meta }),
    warn: (message, meta) => lines.push({ level: 'warn', message, meta }),
  };
}

/** [[1, 2, 3], [4, 5, 6]] × [[7, 8], [9, 10], [11, 12]], worked out by hand. */
async function multiplyKnownMatrices(): Promise<number[][]> {
  const product = matMul<Tensor2D>(
    tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]),
    tensor2d([
      [7, 8],
      [9, 10],
      [11, 12],
    ]),
  );
  return product.array();
}
const KNOWN_PRODUCT = [
  [1 * 7 + 2 * 9 + 3 * 11, 1 * 8 + 2 * 10 + 3 * 12],
  [4 * 7 + 5 * 9 + 6 * 11, 4 * 8 + 5 * 10 + 6 * 12],
]; // [[58, 64], [139, 154]]

describe('selectTensorFlowBackend', () => {
  it('chooses the first backend of the chain that loads (tensorflow where tfjs-node loads, else wasm), says which and why, and computes on it', async () => {
    const logger = recordingLogger();

    const selection = await selectTensorFlowBackend({ logger });

    expect(selection.name).toBe(expectedName);
    const skipped: BackendFallback[] = nativeLoads ? [] : [{ backend: 'tensorflow', reason: expect.stringContaining(TFJS_NODE_PACKAGE) as string }];
    expect(selection.fallbacks).toEqual(skipped);
    expect(getBackend()).toBe(expectedName);
    expect(logger.lines).toEqual([{ level: 'info', message: `TensorFlow.js backend: ${expectedName}`, meta: { backend: expectedName, fallbacks: selection.fallbacks } }]);
    expect(await multiplyKnownMatrices()).toEqual(KNOWN_PRODUCT);
  });

  it('returns the first selection again without deciding or logging twice', async () => {
    const first = await selectTensorFlowBackend();
    const logger = recordingLogger();

    const second = await selectTensorFlowBackend({ logger });

    expect(second).toBe(first);
    expect(logger.lines).toEqual([]);
  });

  it('uses a forced cpu backend, then restores the automatic choice when asked for it', async () => {
    const logger = recordingLogger();

    const forced = await selectTensorFlowBackend({ force: 'cpu', logger });

    expect(forced).toEqual({ name: 'cpu', fallbacks: [] });
    expect(getBackend()).toBe('cpu');
    expect(logger.lines).toEqual([{ level: 'info', message: 'TensorFlow.js backend: cpu (forced)', meta: { backend: 'cpu', forced: true } }]);
    expect(await multiplyKnownMatrices()).toEqual(KNOWN_PRODUCT);

    expect((await selectTensorFlowBackend()).name).toBe(expectedName);
    expect(getBackend()).toBe(expectedName);
  });

  it('uses a forced tensorflow backend where tfjs-node loads, and otherwise fails with the reason and a remedy', async () => {
    const forcing = selectTensorFlowBackend({ force: 'tensorflow', logger: recordingLogger() });
    if (nativeLoads) {
      expect(await forcing).toEqual({ name: 'tensorflow', fallbacks: [] });
      expect(await multiplyKnownMatrices()).toEqual(KNOWN_PRODUCT);
    } else {
      await expect(forcing).rejects.toThrow(/'tensorflow' was requested but does not load \(.*@tensorflow\/tfjs-node.*\); install @tensorflow\/tfjs-node/);
    }
  });
});
