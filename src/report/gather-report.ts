/**
 * Gathers a model's report: its versions and aliases from the registry, the newest scores and
 * labels from its pipeline's topics (joined per served version by the definition's label join key
 * and field), and the rollout's and drift monitor's status
 * from Temporal. The registry and Kafka are the report's substance, so their failures fail it;
 * a workflow that does not exist, or a Temporal server or worker that does not answer, costs only
 * its own section, said in one line.
 */
import { WorkflowNotFoundError, type Client, type QueryDefinition } from '@temporalio/client';
import { logLevel } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { createPipelineStore } from '../pipeline-store/kafka-pipeline-store.js';
import { createModelRegistry } from '../registry/kafka-model-registry.js';
import type { ModelVersion } from '../registry/model-registry.js';
import { gatherSection } from '../sections/section.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';
import { labelKeyOf, labelValueOf, liveMetricsSourceOf, type LiveMetricsSource } from '../rollout/live-metrics-source.js';
import { closeClient, connectClient } from '../worker/temporal-connection.js';
import { rolloutStatusQuery, rolloutWorkflowId, type RolloutOutcome, type RolloutStatus } from '../workflows/ab-rollout.js';
import { driftMonitorWorkflowId, driftStatusQuery } from '../workflows/drift-monitor.js';
import { PipelineNotAppliedError, UnknownModelError } from './errors.js';
import type { ModelReport, ReportVersion, WorkflowView } from './model-report.js';
import { readNewestRecords } from './newest-records.js';
import { evaluateVersion, trafficTimeline, type TimedScore, type VersionEvaluation } from './version-evaluation.js';

export interface ReportOptions {
  /** Newest records read from each of the scores and labels topics. @default 50_000 */
  readonly records?: number;
  /** Longest read of one topic. @default 120_000 */
  readonly readTimeoutMs?: number;
  /** Longest wait for Temporal to answer about the workflows (connect, describe, results, status queries of 5 s each). @default 15_000 */
  readonly workflowTimeoutMs?: number;
}

/** A labels record in its writer's shape: the pipeline's definition names the two fields read. */
type LabelRecord = Readonly<Record<string, unknown>>;

/** The model's pipeline as applied now: its topics, label fields and task. */
async function pipelineSource(config: TributaryConfig, model: string): Promise<LiveMetricsSource> {
  const pipelines = await createPipelineStore(config);
  try {
    const current = await pipelines.current(model);
    if (current === undefined) throw new PipelineNotAppliedError(model);
    return liveMetricsSourceOf(current, config.topics.prefix);
  } finally {
    await pipelines.close();
  }
}

const toReportVersion = (version: ModelVersion): ReportVersion => ({
  version: version.version,
  stage: version.stage,
  createdAt: version.createdAt,
  threshold: version.threshold,
  metrics: version.metrics,
  trainedBy: version.lineage.trainedBy,
});

/** How long a status query may wait for a worker to answer. */
const QUERY_TIMEOUT_MS = 5_000;

async function withTimeout<Value>(work: Promise<Value>, timeoutMs: number, what: string): Promise<Value> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no worker answered the ${what} within ${timeoutMs / 1000} s`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The workflow's state, its status query's answer (a worker must answer it) and, for a completed
 * run, its result (from the history alone), so a rollout that ended still shows how.
 */
async function workflowView<State, Result = never>(client: Client, workflowId: string, query: QueryDefinition<State>, withResult: boolean): Promise<WorkflowView<State, Result>> {
  const handle = client.workflow.getHandle(workflowId);
  let state: string;
  try {
    state = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { workflowId, state: 'not found', status: null, result: null, problem: null };
    throw error;
  }
  const result = withResult && state === 'COMPLETED' ? ((await handle.result()) as Result) : null;
  try {
    return { workflowId, state, status: await withTimeout(handle.query(query), QUERY_TIMEOUT_MS, 'status query'), result, problem: null };
  } catch (error) {
    return { workflowId, state, status: null, result, problem: `${reasonOf(error)} (is \`tributary worker\` running?)` };
  }
}

async function withClient<Value>(config: TributaryConfig, work: (client: Client) => Promise<Value>): Promise<Value> {
  const client = await connectClient(config);
  try {
    return await work(client);
  } finally {
    await closeClient(client);
  }
}

export async function gatherModelReport(config: TributaryConfig, model: string, options: ReportOptions = {}): Promise<ModelReport> {
  const records = options.records ?? 50_000;
  const readTimeoutMs = options.readTimeoutMs ?? 120_000;
  const workflowTimeoutMs = options.workflowTimeoutMs ?? 15_000;
  const generatedAt = Date.now();

  const registry = await createModelRegistry(config);
  let versions: readonly ModelVersion[];
  let champion: ModelVersion | undefined;
  let challenger: ModelVersion | undefined;
  try {
    const known = await registry.listModels();
    if (!known.includes(model)) throw new UnknownModelError(model, [...known].sort());
    [versions, champion, challenger] = await Promise.all([registry.listVersions(model), registry.resolveAlias(model, 'champion'), registry.resolveAlias(model, 'challenger')]);
  } finally {
    await registry.close();
  }
  const source = await pipelineSource(config, model);

  // Temporal is asked while Kafka is read: neither waits for the other.
  const workflows = gatherSection(
    () =>
      withClient(config, async (client) =>
        Promise.all([
          workflowView<RolloutStatus, RolloutOutcome>(client, rolloutWorkflowId(model), rolloutStatusQuery, true),
          workflowView(client, driftMonitorWorkflowId(model), driftStatusQuery, false),
        ]),
      ),
    workflowTimeoutMs,
  );
  const kafka = createKafka(config, { clientIdSuffix: 'report', logLevel: logLevel.NOTHING });
  const reader = createOffsetRangeReader(kafka, { groupIdPrefix: `${config.topics.prefix}report` });
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry));
  const { scores: scoresTopic, labels: labelsTopic } = source.topics;
  const [scores, labels] = await Promise.all([
    readNewestRecords<TimedScore>(reader, decoder, scoresTopic, records, readTimeoutMs),
    readNewestRecords<LabelRecord>(reader, decoder, labelsTopic, records, readTimeoutMs),
  ]);
  const labelOf = new Map<string, number>();
  for (const label of labels.values) {
    const key = labelKeyOf(label[source.labelKey]);
    const value = labelValueOf(label[source.labelField]);
    if (key !== undefined && value !== undefined) labelOf.set(key, value);
  }
  // Records written before the generic score record carry no prediction: they are not read as scores.
  const timed = scores.values.filter((score) => typeof score.prediction === 'number').map((score) => ({ ...score, scored_at: Number(score.scored_at) }));
  const evaluations: VersionEvaluation[] = [];
  const { task } = source;
  if (champion !== undefined) evaluations.push(evaluateVersion({ model, version: champion.version, role: 'champion', threshold: champion.threshold, task }, timed, labelOf));
  if (challenger !== undefined) evaluations.push(evaluateVersion({ model, version: challenger.version, role: 'challenger', threshold: challenger.threshold, task }, timed, labelOf));
  const timeline = trafficTimeline(timed, model) ?? null;
  const ownTimes = timed.filter((score) => score.model === model).map((score) => score.scored_at);

  const found = await workflows;
  return {
    model,
    task,
    generatedAt,
    versions: versions.map(toReportVersion),
    championVersion: champion?.version ?? null,
    challengerVersion: challenger?.version ?? null,
    data: {
      scoresTopic,
      labelsTopic,
      scoresRead: scores.values.length,
      labelsRead: labels.values.length,
      undecodable: scores.undecodable + labels.undecodable,
      firstScoredAt: ownTimes.length === 0 ? null : ownTimes.reduce((a, b) => Math.min(a, b)),
      lastScoredAt: ownTimes.length === 0 ? null : ownTimes.reduce((a, b) => Math.max(a, b)),
    },
    evaluations,
    timeline,
    rollout: found.available ? { available: true, value: found.value[0] } : found,
    drift: found.available ? { available: true, value: found.value[1] } : found,
  };
}
