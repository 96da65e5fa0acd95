/**
 * Everything `tributary status` shows, gathered concurrently: stack health, models, deployments
 * (traffic), the workflows acting on each model, scorer lag and output rate, latency by stage,
 * Flink jobs. Kafka is
 * probed once with a short timeout first, so a broker that is down makes its sections unavailable
 * in seconds instead of each one retrying.
 */
import { logLevel, type Admin } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { createModelRegistry } from '../registry/kafka-model-registry.js';
import { openDeploymentLog } from '../serving/deployment-log.js';
import type { ModelDeployment } from '../serving/model-deployment.js';
import { defaultScorerGroupId } from '../serving/scoring-worker.js';
import { createKafka } from '../streaming/kafka-client.js';
import { topicName } from '../streaming/topic-catalogue.js';
import { closeClient, connectClient } from '../worker/temporal-connection.js';
import { flinkJobs, type FlinkJobRow } from './flink-jobs.js';
import { modelRows, scorerRows, topicRate, type ModelRow, type ScorerRow } from './kafka-sections.js';
import { gatherSection, unavailable, type Section } from '../sections/section.js';
import { stackHealth, type StackComponentRow } from './stack-health.js';
import { pipelineLatencies, type PipelineLatencyRow } from './stage-latency.js';
import { workflowRows, type WorkflowRow } from './workflow-sections.js';

export interface ScorerSection {
  /** Records written to the scores topic per second over the last minute, all models together. */
  readonly scoresPerSecond: number;
  readonly groups: readonly ScorerRow[];
}

export interface StatusReport {
  /** Epoch ms. */
  readonly at: number;
  readonly stack: Section<readonly StackComponentRow[]>;
  readonly models: Section<readonly ModelRow[]>;
  readonly deployments: Section<readonly ModelDeployment[]>;
  readonly workflows: Section<readonly WorkflowRow[]>;
  readonly scorers: Section<ScorerSection>;
  /** p50/p99 by stage of each deployed model's newest scores. */
  readonly latency: Section<readonly PipelineLatencyRow[]>;
  readonly flink: Section<readonly FlinkJobRow[]>;
}

export interface StatusOptions {
  /** Longest wait for any one section. @default 20_000 */
  readonly timeoutMs?: number;
  /** Connect timeout of the Kafka probe. @default 3_000 */
  readonly kafkaProbeTimeoutMs?: number;
}

/**
 * Undefined when Kafka answers within the probe timeout, the reason otherwise. The probe gives
 * up at once; the sections' own clients keep kafkajs' retries (a group coordinator being elected
 * answers with a retriable error).
 */
async function kafkaProblem(config: TributaryConfig, timeoutMs: number): Promise<string | undefined> {
  const admin = createKafka(config, { clientIdSuffix: 'status-probe', connectionTimeoutMs: timeoutMs, retries: 0, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    return undefined;
  } catch (error) {
    return `Kafka at ${config.kafka.brokers.join(',')} is unreachable: ${reasonOf(error)}`;
  } finally {
    await admin.disconnect();
  }
}

/** The scorers section: the rate of the scores topic and each deployed model's group. */
async function scorerSection(config: TributaryConfig, deployments: readonly ModelDeployment[]): Promise<ScorerSection> {
  const admin: Admin = createKafka(config, { clientIdSuffix: 'status', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [scoresPerSecond, groups] = await Promise.all([
      topicRate(admin, topicName(config, 'scores'), Date.now()),
      scorerRows(admin, deployments, (model) => defaultScorerGroupId(config, model)),
    ]);
    return { scoresPerSecond, groups };
  } finally {
    await admin.disconnect();
  }
}

async function registryModels(config: TributaryConfig): Promise<ModelRow[]> {
  const registry = await createModelRegistry(config);
  try {
    return await modelRows(registry);
  } finally {
    await registry.close();
  }
}

async function latestDeployments(config: TributaryConfig): Promise<readonly ModelDeployment[]> {
  const log = await openDeploymentLog(config);
  try {
    return await log.all();
  } finally {
    await log.close();
  }
}

async function modelWorkflows(config: TributaryConfig, models: readonly string[]): Promise<WorkflowRow[]> {
  const client = await connectClient(config);
  try {
    return await workflowRows(client, models);
  } finally {
    await closeClient(client);
  }
}

export async function gatherStatusReport(config: TributaryConfig, options: StatusOptions = {}): Promise<StatusReport> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const at = Date.now();
  const stack = gatherSection(() => stackHealth(config), timeoutMs);
  const flink = gatherSection(() => flinkJobs(config.flink.restUrl, Math.min(timeoutMs, 5_000)), timeoutMs);

  const kafkaDown = await kafkaProblem(config, options.kafkaProbeTimeoutMs ?? 3_000);
  const [models, deployments] =
    kafkaDown !== undefined
      ? [unavailable(kafkaDown), unavailable(kafkaDown)]
      : await Promise.all([gatherSection(() => registryModels(config), timeoutMs), gatherSection(() => latestDeployments(config), timeoutMs)]);

  const modelNames = [...new Set([...(models.available ? models.value.map((row) => row.model) : []), ...(deployments.available ? deployments.value.map((row) => row.model) : [])])].sort();
  const workflows =
    !models.available && !deployments.available
      ? unavailable(`no list of models to ask about (${models.reason})`)
      : gatherSection(() => modelWorkflows(config, modelNames), timeoutMs);
  const scorers =
    kafkaDown !== undefined
      ? unavailable(kafkaDown)
      : !deployments.available
        ? unavailable(`no deployments to look up scorers of (${deployments.reason})`)
        : gatherSection(() => scorerSection(config, deployments.value), timeoutMs);
  const latency =
    kafkaDown !== undefined
      ? unavailable(kafkaDown)
      : !deployments.available
        ? unavailable(`no deployments to read the scores of (${deployments.reason})`)
        : gatherSection(() => pipelineLatencies(config, deployments.value.map((deployment) => deployment.model)), timeoutMs);
  return { at, stack: await stack, models, deployments, workflows: await workflows, scorers: await scorers, latency: await latency, flink: await flink };
}
