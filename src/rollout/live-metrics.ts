/**
 * Per-variant live metrics of a rollout from scores joined with their labels: what the rollout
 * workflow decides on and `tributary rollout status` shows. Pure: the reader
 * (live-metrics-reader.ts) feeds it records read from Kafka; tests feed it records by hand.
 *
 * Which scores count for which variant:
 * - champion: scores decided by the champion version (`variant` CHAMPION);
 * - challenger: scores decided by the challenger version (`variant` CHALLENGER, split traffic),
 *   and the shadow scores of the challenger version riding on the champion's records (shadow
 *   mode), which decided nothing but say what the challenger would have decided;
 * - only scores made under the routing the rollout published (`deployment_revision` at least
 *   the step's revision), so records scored before a change do not blur the step's figures.
 * A score counts as labelled when a label with its transaction id was read.
 */
import { normalQuantile } from './normal-distribution.js';
import { addScore, emptyScoreHistogram, populationStabilityIndex, type ScoreHistogram } from './psi.js';
import { countDecision, EMPTY_CONFUSION, variantRates, type ConfusionCounts, type VariantRates } from './variant-metrics.js';

/** The fields of a `scores` record (schemas/score.avsc) the metrics use. */
export interface ScoreObservation {
  readonly transaction_id: string;
  readonly score: number;
  readonly decision: 'APPROVE' | 'DECLINE';
  readonly model: string;
  readonly model_version: number;
  readonly variant: 'CHAMPION' | 'CHALLENGER';
  readonly shadow: { readonly model_version: number; readonly score: number; readonly decision: 'APPROVE' | 'DECLINE' } | null;
  readonly deployment_revision: number;
  readonly scoring_ms: number;
}

/** What is measured and from where. */
export interface LiveMetricsScope {
  readonly model: string;
  readonly championVersion: number;
  readonly challengerVersion: number;
  /** Scores made under an older deployment revision are left out. */
  readonly fromRevision: number;
  /** Two-sided confidence level of the intervals, e.g. 0.95. */
  readonly confidence: number;
}

/** Latency percentiles (nearest rank) of the scores a variant decided, in ms. */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p99: number;
  /**
   * Where the true p99 lies at the scope's confidence, from the sample alone (see
   * {@link quantileInterval}); an end is null when the sample is too small to bound it. Absent
   * from figures read before it was added.
   */
  readonly p99Interval?: QuantileInterval;
}

export interface QuantileInterval {
  readonly lower: number | null;
  readonly upper: number | null;
}

export interface VariantLiveMetrics {
  readonly version: number;
  /** Scores counted for the variant (decided, or shadow for the challenger). */
  readonly scored: number;
  readonly confusion: ConfusionCounts;
  readonly rates: VariantRates;
  /** Null when the variant decided no score (the challenger in shadow mode). */
  readonly latencyMs: LatencyPercentiles | null;
  readonly scoreHistogram: ScoreHistogram;
}

export interface LiveMetrics {
  readonly champion: VariantLiveMetrics;
  readonly challenger: VariantLiveMetrics;
  /** PSI of the challenger's score distribution against the champion's over the same period; null without scores on either side. */
  readonly scorePsi: number | null;
  /** Records of the model's features topic the scorer sent to the DLQ, and their share of everything it took in. */
  readonly dlq: { readonly records: number; readonly intake: number; readonly rate: number | null };
  readonly scoresRead: number;
  readonly labelsRead: number;
  /** Records of the three topics that could not be decoded and so counted nowhere. */
  readonly undecodable: number;
}

interface VariantAccumulator {
  scored: number;
  confusion: ConfusionCounts;
  latencies: number[];
  histogram: ScoreHistogram;
}

const newAccumulator = (): VariantAccumulator => ({ scored: 0, confusion: EMPTY_CONFUSION, latencies: [], histogram: emptyScoreHistogram() });

/** The nearest-rank percentile `q` (0 < q ≤ 1) of sorted values. */
export function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * A distribution-free confidence interval of the `q` quantile of sorted values: the order
 * statistics whose ranks bound, at `confidence` (two-sided), the binomial count of values below
 * the true quantile (normal approximation). A p99 from a few hundred values swings by the spread
 * of its last few values (seconds, when latencies spread over a checkpoint interval), so
 * comparisons use these bounds, not the point estimate.
 */
export function quantileInterval(sorted: readonly number[], q: number, confidence: number): QuantileInterval {
  const n = sorted.length;
  const spread = normalQuantile((1 + confidence) / 2) * Math.sqrt(n * q * (1 - q));
  // 1-based ranks: at least `lowerRank` values lie at or below the true quantile, fewer than `upperRank` below it.
  const lowerRank = Math.floor(n * q - spread);
  const upperRank = Math.ceil(n * q + spread) + 1;
  return { lower: lowerRank >= 1 ? sorted[lowerRank - 1]! : null, upper: upperRank <= n ? sorted[upperRank - 1]! : null };
}

function observe(accumulator: VariantAccumulator, score: number, declined: boolean, fraud: boolean | undefined, latencyMs: number | undefined): void {
  accumulator.scored += 1;
  accumulator.histogram = addScore(accumulator.histogram, score);
  if (fraud !== undefined) accumulator.confusion = countDecision(accumulator.confusion, declined, fraud);
  if (latencyMs !== undefined) accumulator.latencies.push(latencyMs);
}

function finish(accumulator: VariantAccumulator, version: number, confidence: number): VariantLiveMetrics {
  const sorted = [...accumulator.latencies].sort((a, b) => a - b);
  return {
    version,
    scored: accumulator.scored,
    confusion: accumulator.confusion,
    rates: variantRates(accumulator.confusion, confidence),
    latencyMs: sorted.length === 0 ? null : { p50: nearestRank(sorted, 0.5), p99: nearestRank(sorted, 0.99), p99Interval: quantileInterval(sorted, 0.99, confidence) },
    scoreHistogram: accumulator.histogram,
  };
}

/**
 * Aggregates `scores` joined with `labels` (transaction id → is fraud) for the scope; `dlqRecords`
 * is how many of the model's input records went to the DLQ over the same period, `undecodable`
 * how many records the reader could not decode.
 */
export function computeLiveMetrics(
  scope: LiveMetricsScope,
  scores: readonly ScoreObservation[],
  labels: ReadonlyMap<string, boolean>,
  { dlqRecords, undecodable }: { readonly dlqRecords: number; readonly undecodable: number },
): LiveMetrics {
  const champion = newAccumulator();
  const challenger = newAccumulator();
  let modelScores = 0;
  for (const record of scores) {
    if (record.model !== scope.model) continue;
    modelScores += 1;
    if (record.deployment_revision < scope.fromRevision) continue;
    const fraud = labels.get(record.transaction_id);
    const declined = record.decision === 'DECLINE';
    if (record.variant === 'CHAMPION' && record.model_version === scope.championVersion) observe(champion, record.score, declined, fraud, record.scoring_ms);
    if (record.variant === 'CHALLENGER' && record.model_version === scope.challengerVersion) observe(challenger, record.score, declined, fraud, record.scoring_ms);
    if (record.shadow !== null && record.shadow.model_version === scope.challengerVersion) observe(challenger, record.shadow.score, record.shadow.decision === 'DECLINE', fraud, undefined);
  }
  const intake = modelScores + dlqRecords;
  return {
    champion: finish(champion, scope.championVersion, scope.confidence),
    challenger: finish(challenger, scope.challengerVersion, scope.confidence),
    scorePsi: populationStabilityIndex(champion.histogram, challenger.histogram) ?? null,
    dlq: { records: dlqRecords, intake, rate: intake === 0 ? null : dlqRecords / intake },
    scoresRead: scores.length,
    labelsRead: labels.size,
    undecodable,
  };
}
