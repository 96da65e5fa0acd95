import { Command, InvalidArgumentError } from 'commander';
import type { HealthServer } from '../serving/health-server.js';
import type { TributaryConfig } from '../config/config.js';
import type { DeliveryMode, ScorerTopics } from '../serving/scorer-output.js';
import type { ScoringWorker } from '../serving/scoring-worker.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { progressPrinter } from './output.js';
import { modelName } from './trigger-command.js';

const DEFAULT_METRICS_PORT = 9464;

/**
 * The delivery modes, spelled out here because scorer-output.ts loads Kafka, which `--help` must
 * not. A record keyed by the type, so a mode added or removed there fails the type check here.
 */
const MODES: Readonly<Record<DeliveryMode, true>> = { 'exactly-once': true, 'at-least-once': true, 'low-latency': true };
const DELIVERY_MODES = Object.keys(MODES) as DeliveryMode[];

function deliveryMode(value: string): DeliveryMode {
  const mode = DELIVERY_MODES.find((known) => known === value);
  if (mode === undefined) throw new InvalidArgumentError(`expected one of ${DELIVERY_MODES.join(', ')}, got "${value}"`);
  return mode;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new InvalidArgumentError(`expected a port number from 0 to 65535, got "${value}"`);
  return parsed;
}

interface ServeOptions {
  readonly model: string;
  readonly group?: string;
  /** Unset: the pipeline's `serving.delivery`, else exactly-once. */
  readonly delivery?: DeliveryMode;
  readonly metricsPort: number;
  /** Unset: the pipeline's `serving.batchSize`, else 500. */
  readonly batchSize?: number;
}

const DEFAULT_DELIVERY: DeliveryMode = 'exactly-once';
const DEFAULT_BATCH_SIZE = 500;

/** What the applied pipeline named like the model says of its scorer. */
interface PipelineServing {
  readonly outputTopics: ScorerTopics;
  readonly delivery?: DeliveryMode;
  readonly batchSize?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly maxRetryDelayMs?: number;
}

/**
 * The scores and dlq topics of the pipeline named like the model, from its applied revision (the
 * definition's `topics`, else `<name>.scores` and `<name>.dlq`, under the prefix), and its
 * `serving` options; the catalogue's topics and nothing else when no pipeline of
 * that name is applied, as before pipelines existed.
 */
async function pipelineServing(config: TributaryConfig, model: string): Promise<PipelineServing> {
  const [{ createPipelineStore }, { platformTopicNames }, { catalogueScorerTopics }, { parseDuration }] = await Promise.all([
    import('../pipeline-store/kafka-pipeline-store.js'),
    import('../pipelines/pipeline-topics.js'),
    import('../serving/scorer-output.js'),
    import('../pipelines/duration.js'),
  ]);
  const pipelines = await createPipelineStore(config);
  try {
    const current = await pipelines.current(model);
    if (current === undefined) return { outputTopics: catalogueScorerTopics(config) };
    const { scores, dlq } = platformTopicNames(current.definition);
    const { delivery, batchSize, partitionsConsumedConcurrently, maxRetryDelay } = current.definition.serving ?? {};
    // An applied definition passed validation, so its duration parses.
    const maxRetryDelayMs = maxRetryDelay === undefined ? undefined : parseDuration(maxRetryDelay);
    return { outputTopics: { scores: `${config.topics.prefix}${scores}`, dlq: `${config.topics.prefix}${dlq}` }, delivery, batchSize, partitionsConsumedConcurrently, maxRetryDelayMs };
  } finally {
    await pipelines.close();
  }
}

/**
 * `tributary serve --model <name>`: scores the model's features topic until SIGINT/SIGTERM, hot-swapping models as its deployment
 * changes; stops with the broker's refusal as its error when the broker refuses the scorer's principal.
 */
export function serveCommand(cli: CliEnvironment): Command {
  return new Command('serve')
    .description(
      'run a scoring worker for one model until SIGINT/SIGTERM: follows the model on the deployments topic, scores its features topic ' +
        'into scores (bad records into dlq), hot-swaps models without stopping; /metrics, /healthz and /readyz on the metrics port',
    )
    .requiredOption('--model <name>', 'the model to serve (its record on the deployments topic names the champion, challenger and features topic)', modelName)
    .option('--group <id>', 'consumer group; workers of one group share the partitions (default: <topic prefix>scorer.<model>)')
    .option(
      '--delivery <mode>',
      `${DELIVERY_MODES.join(', ')}: transactional output with the offsets; idempotent output then commit; or that, reading features the feature job has not committed yet ` +
        `(scores keyed by event id, a reader keeps the last per key; docs/serving.md) (default: the pipeline's serving.delivery, else ${DEFAULT_DELIVERY})`,
      deliveryMode,
    )
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (0 picks a free one)', port, DEFAULT_METRICS_PORT)
    .option('--batch-size <n>', `most records scored and committed together (default: the pipeline's serving.batchSize, else ${DEFAULT_BATCH_SIZE})`, positiveInteger)
    .action(async (options: ServeOptions) => {
      const config = cli.config();
      const log = progressPrinter();
      // Imported here, not at the top, so `--help` does not load Kafka, the Schema Registry client or TensorFlow.js.
      const [{ logLevel }, { createModelRegistry }, { openDeploymentLog }, { startHealthServer }, { createScorerMetrics }, { loadScoringModel }, { ScoringWorker }, { ServedModels }, { createKafka }, { createSchemaRegistryClient }, { selectTensorFlowBackend }] =
        await Promise.all([
          import('kafkajs'),
          import('../registry/kafka-model-registry.js'),
          import('../serving/deployment-log.js'),
          import('../serving/health-server.js'),
          import('../serving/scorer-metrics.js'),
          import('../serving/scoring-model.js'),
          import('../serving/scoring-worker.js'),
          import('../serving/served-models.js'),
          import('../streaming/kafka-client.js'),
          import('../streaming/schema-registry-client.js'),
          import('../training/backend.js'),
        ]);
      const backend = await selectTensorFlowBackend({ logger: { info: (line) => log(line), warn: (line) => log(line) } });
      const pipeline = await pipelineServing(config, options.model);
      const delivery = options.delivery ?? pipeline.delivery ?? DEFAULT_DELIVERY;
      const batchSize = options.batchSize ?? pipeline.batchSize ?? DEFAULT_BATCH_SIZE;
      const registry = await createModelRegistry(config);
      const closers: (() => Promise<void>)[] = [() => registry.close()];
      let worker: ScoringWorker | undefined;
      let health: HealthServer | undefined;
      try {
        const deployments = await openDeploymentLog(config);
        closers.unshift(() => deployments.close());
        const metrics = createScorerMetrics({ model: options.model });
        health = await startHealthServer({
          port: options.metricsPort,
          registry: metrics.registry,
          readiness: () => worker?.readiness() ?? { ready: false, reason: 'starting' },
        });
        log(`metrics on http://0.0.0.0:${health.port}/metrics (also /healthz, /readyz); TensorFlow.js backend ${backend.name}`);
        const stopRequested = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT')).once('SIGTERM', () => resolve('SIGTERM'));
        });
        worker = await ScoringWorker.start(
          {
            config,
            // The worker reports every failure itself, so kafkajs's own log would only repeat it as noise.
            kafka: createKafka(config, { clientIdSuffix: `scorer-${options.model}`, logLevel: logLevel.NOTHING }),
            schemaRegistry: createSchemaRegistryClient(config.schemaRegistry),
            deployments,
            servedModels: new ServedModels((model, served) => loadScoringModel(registry, model, served)),
            metrics,
            log,
          },
          {
            model: options.model,
            delivery,
            batchSize,
            outputTopics: pipeline.outputTopics,
            ...(pipeline.partitionsConsumedConcurrently === undefined ? {} : { partitionsConsumedConcurrently: pipeline.partitionsConsumedConcurrently }),
            ...(pipeline.maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs: pipeline.maxRetryDelayMs }),
            ...(options.group === undefined ? {} : { groupId: options.group }),
          },
        );
        // A refusal by the broker stops the worker; it is this command's error (one line, exit 1).
        const ended = await Promise.race([stopRequested.then((signal) => ({ signal })), worker.failed.then((refusal) => ({ refusal }))]);
        if ('refusal' in ended) throw ended.refusal;
        log(`${ended.signal}: finishing the batch in progress, committing, leaving the group`);
      } finally {
        await worker?.stop();
        await health?.close();
        for (const close of closers) await close();
      }
    });
}
