import { describe, expect, it } from 'vitest';
import type { CliEnvironment } from '../../src/cli/cli-environment.js';
import { modelsCommand } from '../../src/cli/models-command.js';
import type { TributaryConfig } from '../../src/config/config.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';

const lineage = {
  offsetRanges: [
    { topic: 'tributary.training-examples', partition: 0, fromOffset: '0', toOffset: '1200' },
    { topic: 'tributary.training-examples', partition: 1, fromOffset: '5', toOffset: '990' },
  ],
  featureSchemaId: 3,
  featureJobVersions: ['fj-2'],
  codeVersion: 'abc123',
  featureVectorVersion: 1,
  hyperParameters: { hiddenUnits: [32, 16] },
  backend: 'wasm',
  splitBoundaries: { validationFrom: Date.UTC(2025, 0, 10), testFrom: Date.UTC(2025, 0, 12) },
  trainedBy: 'workflow:training:fraud',
};

/** fraud v1 champion, v2 challenger; the clock ticks one second per change from 2025-01-01. */
async function populated(): Promise<InMemoryModelRegistry> {
  let tick = 0;
  const registry = new InMemoryModelRegistry({ now: () => new Date(Date.UTC(2025, 0, 1) + 1000 * tick++) });
  const artifact = Uint8Array.of(1, 2, 3);
  await registry.registerVersion({ model: 'fraud', metrics: { rocAuc: 0.91234, prAuc: 0.5 }, threshold: 0.4, lineage, artifact, tags: { team: 'risk' } }, { by: 'ci', reason: 'trained' });
  await registry.registerVersion({ model: 'fraud', metrics: { rocAuc: 0.93 }, threshold: 0.35, lineage, artifact }, { by: 'ci', reason: 'retrained' });
  await registry.setAlias('fraud', 'champion', 1, { by: 'alice', reason: 'first model' });
  await registry.setAlias('fraud', 'challenger', 2, { by: 'workflow:rollout:fraud', reason: 'A/B at 10 %' });
  return registry;
}

async function run(args: readonly string[], registry?: InMemoryModelRegistry): Promise<{ printed: string[]; failures: string[] }> {
  registry ??= await populated();
  const printed: string[] = [];
  const failures: string[] = [];
  const cli: CliEnvironment = { config: () => ({}) as TributaryConfig, print: (text) => printed.push(text), fail: (message) => failures.push(message), setExitCode: () => undefined };
  await modelsCommand(cli, () => Promise.resolve(registry)).exitOverride().parseAsync(args, { from: 'user' });
  return { printed, failures };
}

describe('tributary models', () => {
  it('lists models with champion and challenger and their key metrics', async () => {
    const { printed } = await run(['list']);
    expect(printed.join('\n').split('\n')).toEqual([
      'MODEL  VERSIONS  LATEST  CHAMPION  CHAMPION METRICS             CHALLENGER  CHALLENGER METRICS',
      'fraud  2         v2      v1        rocAuc 0.9123, prAuc 0.5000  v2          rocAuc 0.9300',
    ]);
  });

  it("lists a regression model's MAE, RMSE and R², and shows it without a threshold", async () => {
    const registry = new InMemoryModelRegistry();
    const regressionLineage = { ...lineage, hyperParameters: { task: 'regression', labelScale: { mean: 31.2, standardDeviation: 9.8 } } };
    await registry.registerVersion({ model: 'delivery-time', metrics: { mae: 4.25, rmse: 5.5, r2: 0.61 }, threshold: null, lineage: regressionLineage, artifact: Uint8Array.of(1) }, { by: 'ci', reason: 'trained' });
    await registry.setAlias('delivery-time', 'champion', 1, { by: 'ci', reason: 'first model' });
    expect((await run(['list'], registry)).printed.join('\n').split('\n')[1]).toBe('delivery-time  1         v1      v1        mae 4.2500, rmse 5.5000, r2 0.6100  -');
    const shown = (await run(['show', 'delivery-time'], registry)).printed.join('\n').split('\n');
    expect(shown).toContainEqual('threshold             none (regression)');
    expect(shown).toContainEqual('metrics               mae=4.2500, rmse=5.5000, r2=0.6100');
  });

  it('shows the champion by default, with artifact, lineage and the offsets per partition', async () => {
    const { printed } = await run(['show', 'fraud']);
    const lines = printed.join('\n').split('\n');
    expect(lines).toContainEqual('stage                 champion');
    expect(lines).toContainEqual('aliases               champion');
    expect(lines).toContainEqual('artifact sha256       039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81');
    expect(lines).toContainEqual('artifact size         3 bytes');
    expect(lines).toContainEqual('tags                  team=risk');
    expect(lines.slice(-3)).toEqual([
      'TOPIC                        PARTITION  FROM OFFSET  TO OFFSET (EXCLUDED)',
      'tributary.training-examples  0          0            1200',
      'tributary.training-examples  1          5            990',
    ]);
  });

  it('prints a version as JSON with its aliases', async () => {
    const { printed } = await run(['show', 'fraud', '2', '--json']);
    expect(JSON.parse(printed[0] ?? '')).toMatchObject({ model: 'fraud', version: 2, stage: 'challenger', aliases: ['challenger'], metrics: { rocAuc: 0.93 } });
  });

  it('prints the history: when, what, who and why', async () => {
    const { printed } = await run(['history', 'fraud']);
    expect(printed.join('\n').split('\n')).toEqual([
      'AT                        CHANGE                       BY                      REASON',
      '2025-01-01T00:00:02.000Z  v1: candidate -> champion    alice                   first model',
      '2025-01-01T00:00:02.000Z  champion: none -> v1         alice                   first model',
      '2025-01-01T00:00:03.000Z  v2: candidate -> challenger  workflow:rollout:fraud  A/B at 10 %',
      '2025-01-01T00:00:03.000Z  challenger: none -> v2       workflow:rollout:fraud  A/B at 10 %',
    ]);
  });

  it('fails with one line naming an unknown model or version and what exists', async () => {
    expect((await run(['history', 'fruad'])).failures).toEqual(['unknown model "fruad"; registered models: fraud']);
    expect((await run(['show', 'fraud', '7'])).failures).toEqual(['model "fraud" has no version 7; its versions: 1, 2']);
  });
});
