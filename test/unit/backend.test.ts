import { getBackend, matMul, tensor2d, type Tensor2D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectTensorFlowBackend, type BackendLogger } from '../../src/training/backend.js';

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
  it('falls back to wasm when tfjs-node is not installed, says why, and computes on it', async () => {
    const logger = recordingLogger();

    const selection = await selectTensorFlowBackend({ logger });

    expect(selection.name).toBe('wasm');
    expect(selection.fallbacks).toHaveLength(1);
    expect(selection.fallbacks[0]?.backend).toBe('tensorflow');
    expect(selection.fallbacks[0]?.reason).toContain('@tensorflow/tfjs-node');
    expect(getBackend()).toBe('wasm');
    expect(logger.lines).toEqual([{ level: 'info', message: 'TensorFlow.js backend: wasm', meta: { backend: 'wasm', fallbacks: selection.fallbacks } }]);
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

    expect((await selectTensorFlowBackend()).name).toBe('wasm');
    expect(getBackend()).toBe('wasm');
  });

  it('fails with the reason and a remedy when a forced backend cannot load', async () => {
    await expect(selectTensorFlowBackend({ force: 'tensorflow', logger: recordingLogger() })).rejects.toThrow(
      /'tensorflow' was requested but does not load \(.*@tensorflow\/tfjs-node.*\); install @tensorflow\/tfjs-node/,
    );
  });
});
