/**
 * p50 and p99 of each served pipeline's latency by stage (source → features → score), from the
 * newest records of its scores topic. Read from the topic rather than the scorers' /metrics: the
 * topic holds every replica's scores wherever the scorers run (status does not know their hosts
 * or ports), with exact times instead of bucket bounds, and it answers for a scorer that has
 * stopped; /metrics is for Prometheus, which keeps its history. Every time is a wall clock's:
 * event_time is the source's own stamp (a simulator in simulated time makes the first stage
 * meaningless, and the figures show it), features_at is the broker's, scored_at the scorer's.
 */
import { logLevel } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { createPipelineStore } from '../pipeline-store/kafka-pipeline-store.js';
import { platformTopicNames } from '../pipelines/pipeline-topics.js';
import { readNewestRecords } from '../report/newest-records.js';
import { stageLatenciesOf, type ScoreTimes, type StageLatencies } from '../serving/scorer-metrics.js';
import { catalogueScorerTopics } from '../serving/scorer-output.js';
import { createAvroDecoder } from '../streaming/avro-decoder.js';
import { createKafka } from '../streaming/kafka-client.js';
import { createOffsetRangeReader } from '../streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../streaming/schema-registry-client.js';

export interface Percentiles {
  /** ms */
  readonly p50: number;
  /** ms */
  readonly p99: number;
}

export interface StageLatencySummary {
  /** Scores the figures are computed over. */
  readonly scores: number;
  /** Epoch ms of the newest score, so old figures are seen as old. */
  readonly newestScoredAt: number;
  readonly stages: { readonly [Stage in keyof StageLatencies]: Percentiles };
}

export interface PipelineLatencyRow {
  readonly pipeline: string;
  readonly scoresTopic: string;
  /** Undefined when the topic holds no score of the pipeline yet, or could not be read. */
  readonly latency: StageLatencySummary | undefined;
  /** Why the topic could not be read (one model's missing topic leaves the others' rows). */
  readonly problem?: string;
}

/** A latency as a person reads it: whole ms below 10 s, seconds with one decimal above. */
const duration = (ms: number): string => (Math.abs(ms) < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** `p50 / p99`, each as a person reads it. */
export const formatPercentiles = ({ p50, p99 }: Percentiles): string => `${duration(p50)} / ${duration(p99)}`;

/** The nearest-rank percentile of ascending values: the smallest value with at least q of them at or below it. */
export function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('a percentile of no values');
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** p50/p99 of each stage over the scores' times; undefined without scores. */
export function summariseStageLatencies(scores: readonly ScoreTimes[]): StageLatencySummary | undefined {
  if (scores.length === 0) return undefined;
  const stages = scores.map(stageLatenciesOf);
  const of = (stage: keyof StageLatencies): Percentiles => {
    const sorted = stages.map((latencies) => latencies[stage]).sort((a, b) => a - b);
    return { p50: nearestRank(sorted, 0.5), p99: nearestRank(sorted, 0.99) };
  };
  return {
    scores: scores.length,
    newestScoredAt: Math.max(...scores.map((score) => score.scored_at)),
    stages: { sourceToFeatures: of('sourceToFeatures'), featuresToScore: of('featuresToScore'), sourceToScore: of('sourceToScore') },
  };
}

/** The score fields read here (schemas/score.avsc); a score of a release before features_at has none. */
interface ScoreRecord {
  readonly pipeline?: string;
  readonly event_time: number | bigint;
  readonly features_at?: number | bigint;
  readonly scored_at: number | bigint;
}

/** The times of a score as numbers (a long may decode as a bigint), or undefined for a score without features_at. */
function timesOf(score: ScoreRecord): ScoreTimes | undefined {
  if (score.features_at === undefined) return undefined;
  return { event_time: Number(score.event_time), features_at: Number(score.features_at), scored_at: Number(score.scored_at) };
}

/** The scores topic each model's scorer writes: its applied pipeline's, else the catalogue's (as `tributary serve` chooses). */
async function scoresTopics(config: TributaryConfig, models: readonly string[]): Promise<Map<string, string>> {
  const pipelines = await createPipelineStore(config);
  try {
    const topics = new Map<string, string>();
    for (const model of models) {
      const current = await pipelines.current(model);
      topics.set(model, current === undefined ? catalogueScorerTopics(config).scores : `${config.topics.prefix}${platformTopicNames(current.definition).scores}`);
    }
    return topics;
  } finally {
    await pipelines.close();
  }
}

/**
 * Each served model's latency over the newest `records` scores of its scores topic (the
 * catalogue's topic is shared, so only the model's own scores count).
 */
export async function pipelineLatencies(config: TributaryConfig, models: readonly string[], records = 2_000, readTimeoutMs = 10_000): Promise<PipelineLatencyRow[]> {
  const topics = await scoresTopics(config, models);
  const reader = createOffsetRangeReader(createKafka(config, { clientIdSuffix: 'status-latency', logLevel: logLevel.NOTHING }));
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry));
  return Promise.all(
    models.map(async (model): Promise<PipelineLatencyRow> => {
      const scoresTopic = topics.get(model)!;
      let values: readonly ScoreRecord[];
      try {
        ({ values } = await readNewestRecords<ScoreRecord>(reader, decoder, scoresTopic, records, readTimeoutMs));
      } catch (error) {
        return { pipeline: model, scoresTopic, latency: undefined, problem: reasonOf(error) };
      }
      const own = values.filter((score) => score.pipeline === undefined || score.pipeline === model).flatMap((score) => timesOf(score) ?? []);
      return { pipeline: model, scoresTopic, latency: summariseStageLatencies(own) };
    }),
  );
}
