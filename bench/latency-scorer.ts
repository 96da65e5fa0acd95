/**
 * The scorer of bench/latency.bench.ts, in a process of its own as `tributary serve` runs it, so
 * the bench's producer and readers do not share its event loop. Serves the champion the bench
 * published, exactly-once, with the fraud example's serving settings; prints `ready` on stdout once
 * it has joined its group and stops cleanly on SIGTERM.
 *
 *   npx tsx bench/latency-scorer.ts <topic prefix> <model>
 */
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { createModelRegistry } from '../src/registry/kafka-model-registry.js';
import { openDeploymentLog } from '../src/serving/deployment-log.js';
import { fraudDefinition } from '../test/helpers/fraud-pipeline.js';
import { startInProcessScorer } from '../test/helpers/scoring.js';
import { waitFor } from '../test/helpers/wait-for.js';

const [prefix, model] = process.argv.slice(2);
if (prefix === undefined || model === undefined) {
  process.stderr.write('usage: npx tsx bench/latency-scorer.ts <topic prefix> <model>\n');
  process.exit(2);
}
const config: TributaryConfig = { ...loadConfig(), topics: { prefix } };
const registry = await createModelRegistry(config);
const deployments = await openDeploymentLog(config);
const { serving } = fraudDefinition;
const scorer = await startInProcessScorer(config, { registry, deployments }, {
  model,
  name: 'latency-bench',
  delivery: 'exactly-once',
  // Partitions consumed at once stay the worker's default, which is the example's (3).
  batchSize: serving?.batchSize,
});
await waitFor('the scorer to be ready', () => (scorer.worker.readiness().ready ? true : undefined), 120_000, 50);
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await scorer.stop();
    await deployments.close();
    await registry.close();
    process.stderr.write(scorer.logs.map((line) => `scorer: ${line}\n`).join(''));
    process.exit(0);
  })();
});
