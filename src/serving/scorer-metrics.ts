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
  /** scored_at minus the event's time. */
  readonly endToEndLatency: Histogram;
  /** scored_at minus the time the features record entered Kafka: the scorer's own latency, queueing included. */
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

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
    endToEndLatency: new Histogram({ name: 'tributary_scorer_end_to_end_latency_seconds', help: 'scored_at minus the event time.', buckets: LATENCY_BUCKETS, registers }),
    scoringLatency: new Histogram({ name: 'tributary_scorer_scoring_latency_seconds', help: 'scored_at minus the time the features record entered Kafka.', buckets: LATENCY_BUCKETS, registers }),
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
