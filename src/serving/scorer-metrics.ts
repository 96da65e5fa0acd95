/**
 * The scorer's Prometheus series, in a registry of its own per worker, so two workers in one
 * process (tests, the benchmark) never share or clash over a series. Names follow Prometheus
 * conventions: `_total` counters, `_seconds` histograms, base units.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Which served model a series is about. */
export type ModelRole = 'champion' | 'challenger';

export interface ScorerMetrics {
  readonly registry: Registry;
  /** Inputs finished, by outcome: `scored`, `dead_lettered` or `skipped` (already scored before a features-topic handoff). Its rate is records/s. */
  readonly records: Counter<'outcome'>;
  /** From fetching a chunk to its output committed. */
  readonly batchDuration: Histogram;
  /** Records per chunk: the fetched batch, capped at the batch size, so it shows whether traffic was light (1) or heavy. */
  readonly chunkRecords: Histogram;
  /** Source → score: scored_at minus the event's time. */
  readonly endToEndLatency: Histogram;
  /** Source → features: the time the features record entered Kafka minus the event's time (the feature job's latency, its checkpoint wait included). */
  readonly featuresLatency: Histogram;
  /** Features → score: scored_at minus the time the features record entered Kafka: the scorer's own latency, queueing included. */
  readonly scoringLatency: Histogram;
  /** Decisions by the variant that made them (`NONE` for a regression's prediction); shadow scores count under `shadow`. */
  readonly decisions: Counter<'variant' | 'decision'>;
  /** 1 for each version served now, with its role and the deployment revision. */
  readonly modelInfo: Gauge<'model' | 'role' | 'version' | 'revision'>;
  /** Records behind the partition's high watermark after the last chunk. */
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly deadLetters: Counter<'error_type'>;
  /** Deployments applied, by outcome: `swapped` (models changed), `unchanged` or `failed`. */
  readonly swaps: Counter<'outcome'>;
  /** How long applying a deployment took, loading and warming up included. */
  readonly swapDuration: Histogram;
  /** Models that failed to load or warm up; the worker kept serving what it served. */
  readonly swapFailures: Counter<'role'>;
  /** A chunk's output failed for a reason that is not the records' fault (broker, registry) and is tried again. */
  readonly batchRetries: Counter;
}

const CHUNK_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/**
 * The stages' buckets: a histogram_quantile interpolates inside a bucket, so p99 is only as good as
 * the bucket around it; these resolve 10 ms at the low-latency end and a few seconds near the
 * exactly-once checkpoint waits, up to 30 s (anything later lands in +Inf).
 */
const STAGE_BUCKETS = [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30];

/** The three times of a score record (schemas/score.avsc) that split its latency, epoch ms. */
export interface ScoreTimes {
  /** The source event's time, as the features record carries it. */
  readonly event_time: number;
  /** The Kafka timestamp of the features record. */
  readonly features_at: number;
  readonly scored_at: number;
}

/** A score's latency by stage, ms. */
export interface StageLatencies {
  readonly sourceToFeatures: number;
  readonly featuresToScore: number;
  readonly sourceToScore: number;
}

export const stageLatenciesOf = (times: ScoreTimes): StageLatencies => ({
  sourceToFeatures: times.features_at - times.event_time,
  featuresToScore: times.scored_at - times.features_at,
  sourceToScore: times.scored_at - times.event_time,
});

/**
 * Observes one score in the three stage histograms, in seconds. A negative stage (a producer's
 * clock ahead of the broker's, or an event time in the future) is observed as it is: it lands in
 * the first bucket and lowers `_sum`, which shows the skew instead of hiding it.
 */
export function observeStageLatencies(metrics: Pick<ScorerMetrics, 'endToEndLatency' | 'featuresLatency' | 'scoringLatency'>, times: ScoreTimes): void {
  const stages = stageLatenciesOf(times);
  metrics.featuresLatency.observe(stages.sourceToFeatures / 1000);
  metrics.scoringLatency.observe(stages.featuresToScore / 1000);
  metrics.endToEndLatency.observe(stages.sourceToScore / 1000);
}

/** Creates the series in a fresh registry, with the process's default metrics beside them. */
export function createScorerMetrics(labels: Readonly<Record<string, string>> = {}): ScorerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    records: new Counter({ name: 'tributary_scorer_records_total', help: 'Feature records finished by the scorer, by outcome (scored, dead_lettered, skipped).', labelNames: ['outcome'], registers }),
    batchDuration: new Histogram({ name: 'tributary_scorer_batch_duration_seconds', help: 'Time to decode, score and commit the output of one chunk of a fetched batch.', buckets: LATENCY_BUCKETS, registers }),
    chunkRecords: new Histogram({ name: 'tributary_scorer_chunk_records', help: 'Records per chunk scored and committed together (the fetched batch, capped at the batch size).', buckets: CHUNK_BUCKETS, registers }),
    endToEndLatency: new Histogram({ name: 'tributary_scorer_end_to_end_latency_seconds', help: 'Source to score: scored_at minus the event time.', buckets: STAGE_BUCKETS, registers }),
    featuresLatency: new Histogram({ name: 'tributary_scorer_features_latency_seconds', help: 'Source to features: the Kafka timestamp of the features record minus the event time.', buckets: STAGE_BUCKETS, registers }),
    scoringLatency: new Histogram({ name: 'tributary_scorer_scoring_latency_seconds', help: 'Features to score: scored_at minus the Kafka timestamp of the features record.', buckets: STAGE_BUCKETS, registers }),
    decisions: new Counter({ name: 'tributary_scorer_decisions_total', help: 'Scores by variant (champion, challenger, shadow) and decision (POSITIVE, NEGATIVE; NONE for regression).', labelNames: ['variant', 'decision'], registers }),
    modelInfo: new Gauge({ name: 'tributary_scorer_model_info', help: 'Model versions served now (value 1), with their role and deployment revision.', labelNames: ['model', 'role', 'version', 'revision'], registers }),
    consumerLag: new Gauge({ name: 'tributary_scorer_consumer_lag', help: 'Records behind the high watermark of each consumed partition.', labelNames: ['topic', 'partition'], registers }),
    deadLetters: new Counter({ name: 'tributary_scorer_dead_letters_total', help: 'Records sent to the dlq topic, by error type.', labelNames: ['error_type'], registers }),
    swaps: new Counter({ name: 'tributary_scorer_model_swaps_total', help: 'Deployments applied, by outcome (swapped, unchanged, failed).', labelNames: ['outcome'], registers }),
    swapDuration: new Histogram({ name: 'tributary_scorer_model_swap_duration_seconds', help: 'Time to apply a deployment: load, verify and warm up the new models, then swap.', buckets: LATENCY_BUCKETS, registers }),
    swapFailures: new Counter({ name: 'tributary_scorer_model_swap_failures_total', help: 'Models that failed to load or warm up; the previous ones kept serving.', labelNames: ['role'], registers }),
    batchRetries: new Counter({ name: 'tributary_scorer_batch_retries_total', help: 'Chunks tried again after a failure that was not the records\' fault (broker or registry).', registers }),
  };
}
