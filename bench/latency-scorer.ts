/**
 * The scorer of bench/latency.bench.ts, in a process of its own as `tributary serve` runs it, so
 * the bench's producer and readers do not share its event loop. Serves the champion the bench
 * published in the given delivery mode (exactly-once unless told) and chunk size (the fraud
 * example's unless told); prints `ready` on stdout once it has joined its group, answers SIGUSR2
 * with a `chunks <json>` line (the cumulative buckets of tributary_scorer_chunk_records, which the
 * bench turns into chunk sizes per step) and stops cleanly on SIGTERM.
 *
 *   npx tsx bench/latency-scorer.ts <topic prefix> <model> [exactly-once|at-least-once|low-latency] [batch size]
 */
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { createModelRegistry } from '../src/registry/kafka-model-registry.js';
import { openDeploymentLog } from '../src/serving/deployment-log.js';
import { DELIVERY_MODES, type DeliveryMode } from '../src/serving/scorer-output.js';
import { fraudDefinition } from '../test/helpers/fraud-pipeline.js';
import { startInProcessScorer } from '../test/helpers/scoring.js';
import { waitFor } from '../test/helpers/wait-for.js';

const USAGE = `usage: npx tsx bench/latency-scorer.ts <topic prefix> <model> [${DELIVERY_MODES.join('|')}] [batch size]\n`;
const [prefix, model, deliveryArgument = 'exactly-once', batchSizeArgument] = process.argv.slice(2);
const delivery = DELIVERY_MODES.find((mode) => mode === deliveryArgument);
const batchSize = batchSizeArgument === undefined ? fraudDefinition.serving?.batchSize : Number(batchSizeArgument);
if (prefix === undefined || model === undefined || delivery === undefined || (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const config: TributaryConfig = { ...loadConfig(), topics: { prefix } };
const registry = await createModelRegistry(config);
const deployments = await openDeploymentLog(config);
const scorer = await startInProcessScorer(config, { registry, deployments }, {
  model,
  name: 'latency-bench',
  delivery: delivery satisfies DeliveryMode,
  // Partitions consumed at once stay the worker's default, which is the example's (3).
  batchSize,
});
process.on('SIGUSR2', () => {
  void scorer.metrics.chunkRecords.get().then(({ values }) => {
    const buckets = values.filter((value) => value.metricName === 'tributary_scorer_chunk_records_bucket').map((value) => [String(value.labels.le), value.value]);
    const sum = values.find((value) => value.metricName === 'tributary_scorer_chunk_records_sum')?.value ?? 0;
    process.stdout.write(`chunks ${JSON.stringify({ buckets: Object.fromEntries(buckets), sum })}\n`);
  });
});

process.once('SIGTERM', () => {
  void (async () => {
    await scorer.stop();
    await deployments.close();
    await registry.close();
    process.stderr.write(scorer.logs.map((line) => `scorer: ${line}\n`).join(''));
    process.exit(0);
  })();
});

await waitFor('the scorer to be ready', () => (scorer.worker.readiness().ready ? true : undefined), 120_000, 50);
// Only after the listeners above: a signal the bench sends before its listener exists takes its default action, which ends the process.
process.stdout.write('ready\n');
