/**
 * Per-variant live metrics of a rollout from scores joined with their labels: what the rollout
 * workflow decides on and `tributary rollout status` shows. Pure: the reader
 * (live-metrics-reader.ts) feeds it records read from Kafka; tests feed it records by hand.
 *
 * Which scores count for which variant:
 * - champion: scores decided by the champion version (`variant` CHAMPION);
 * - challenger: scores decided by the challenger version (`variant` CHALLENGER, split traffic),
 *   and the shadow predictions of the challenger version riding on the champion's records
 *   (shadow mode), which decided nothing but say what the challenger would have predicted;
 * - only scores made under the routing the rollout published (`deployment_revision` at least
 *   the step's revision), so records scored before a change do not blur the step's figures.
 * A score counts as labelled when a label with its event id was read. What is measured follows
 * the model's task: a classifier's decisions against boolean labels (confusion counts and rates),
 * a regression model's predictions against numeric labels (MAE and RMSE, error-metrics.ts).
 */
import type { ModelTask } from '../pipelines/pipeline-definition.js';
import { binCounts, referenceCuts } from './binned-psi.js';
import { addError, EMPTY_ERROR_SUMS, pairedComparison, unpairedComparison, variantErrors, type ErrorComparison, type ErrorSums, type PairedErrors, type VariantErrors } from './error-metrics.js';
import { normalQuantile } from './normal-distribution.js';
import { addScore, emptyScoreHistogram, populationStabilityIndex, type ScoreHistogram } from './psi.js';
import { countDecision, EMPTY_CONFUSION, variantRates, type ConfusionCounts, type VariantRates } from './variant-metrics.js';

/** A classifier's decision in a `scores` record; null for regression. */
export type ScoreDecision = 'POSITIVE' | 'NEGATIVE' | null;

/** The fields of a `scores` record (schemas/score.avsc, `dev.tributary.scores.Score`) the metrics use. */
export interface ScoreObservation {
  readonly event_id: string;
  /** A classifier's positive-class probability, or a regression model's predicted value. */
  readonly prediction: number;
  readonly decision: ScoreDecision;
  readonly model: string;
  readonly model_version: number;
  readonly variant: 'CHAMPION' | 'CHALLENGER';
  readonly shadow: { readonly model_version: number; readonly prediction: number; readonly decision: ScoreDecision } | null;
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
  /** Of those, the ones with a label. Absent from figures read before regression rollouts: `rates.labelled` then. */
  readonly labelled?: number;
  /** Classifiers' decisions against their labels; empty for regression. */
  readonly confusion: ConfusionCounts;
  readonly rates: VariantRates;
  /** Null when the variant decided no score (the challenger in shadow mode). */
  readonly latencyMs: LatencyPercentiles | null;
  /** Predictions per bin: ten equal bins of [0, 1] for classifiers, the champion's deciles for regression. */
  readonly scoreHistogram: ScoreHistogram;
  /** Regression only: MAE and RMSE of the labelled predictions; absent for classifiers. */
  readonly errors?: VariantErrors;
}

export interface LiveMetrics {
  /** What the figures measure; absent from figures read before regression rollouts (classifiers then). */
  readonly task?: ModelTask;
  readonly champion: VariantLiveMetrics;
  readonly challenger: VariantLiveMetrics;
  /** PSI of the challenger's score distribution against the champion's over the same period; null without scores on either side. */
  readonly scorePsi: number | null;
  /** Regression only: the challenger's MAE and RMSE against the champion's, paired or not (error-metrics.ts). */
  readonly errorComparison?: ErrorComparison;
  /** Records of the model's features topic the scorer sent to the DLQ, and their share of everything it took in. */
  readonly dlq: { readonly records: number; readonly intake: number; readonly rate: number | null };
  readonly scoresRead: number;
  readonly labelsRead: number;
  /** Records of the three topics that could not be decoded and so counted nowhere. */
  readonly undecodable: number;
}

interface VariantAccumulator {
  scored: number;
  labelled: number;
  confusion: ConfusionCounts;
  errors: ErrorSums;
  latencies: number[];
  predictions: number[];
}

const newAccumulator = (): VariantAccumulator => ({ scored: 0, labelled: 0, confusion: EMPTY_CONFUSION, errors: EMPTY_ERROR_SUMS, latencies: [], predictions: [] });

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

/** Labels by event id: 1 or 0 for a classifier (positive or not), the true value for regression. */
export type LabelValues = ReadonlyMap<string, number>;

function observe(task: ModelTask, accumulator: VariantAccumulator, prediction: number, decision: ScoreDecision, label: number | undefined, latencyMs: number | undefined): void {
  accumulator.scored += 1;
  accumulator.predictions.push(prediction);
  if (latencyMs !== undefined) accumulator.latencies.push(latencyMs);
  if (label === undefined) return;
  accumulator.labelled += 1;
  if (task === 'regression') accumulator.errors = addError(accumulator.errors, prediction, label);
  else accumulator.confusion = countDecision(accumulator.confusion, decision === 'POSITIVE', label === 1);
}

function histogramOf(predictions: readonly number[], edges: readonly number[]): ScoreHistogram {
  // Bins are defined by their inner edges; the outer ones only bound what was seen, and values beyond them count in the end bins.
  return { edges, counts: binCounts(predictions, edges.slice(1, -1)) };
}

/**
 * Both variants' prediction histograms over the same edges: a classifier's probabilities over ten
 * equal bins of [0, 1], as always; a regression model's values, whose range nobody knows
 * beforehand, over the champion's deciles (binned-psi.ts), with the smallest and largest value
 * seen as outer edges so the edges stay finite numbers in the workflow's state.
 */
function predictionHistograms(task: ModelTask, champion: readonly number[], challenger: readonly number[]): { champion: ScoreHistogram; challenger: ScoreHistogram } {
  if (task !== 'regression') {
    const fill = (predictions: readonly number[]): ScoreHistogram => predictions.reduce(addScore, emptyScoreHistogram());
    return { champion: fill(champion), challenger: fill(challenger) };
  }
  const cuts = referenceCuts(champion);
  let lowest = cuts[0] ?? Infinity;
  let highest = cuts.at(-1) ?? -Infinity;
  for (const prediction of [...champion, ...challenger]) {
    lowest = Math.min(lowest, prediction);
    highest = Math.max(highest, prediction);
  }
  if (lowest > highest) return { champion: { edges: [0, 0], counts: [0] }, challenger: { edges: [0, 0], counts: [0] } };
  const edges = [lowest, ...cuts, highest];
  return { champion: histogramOf(champion, edges), challenger: histogramOf(challenger, edges) };
}

function finish(task: ModelTask, accumulator: VariantAccumulator, version: number, confidence: number, histogram: ScoreHistogram): VariantLiveMetrics {
  const sorted = [...accumulator.latencies].sort((a, b) => a - b);
  return {
    version,
    scored: accumulator.scored,
    labelled: accumulator.labelled,
    confusion: accumulator.confusion,
    rates: variantRates(accumulator.confusion, confidence),
    latencyMs: sorted.length === 0 ? null : { p50: nearestRank(sorted, 0.5), p99: nearestRank(sorted, 0.99), p99Interval: quantileInterval(sorted, 0.99, confidence) },
    scoreHistogram: histogram,
    ...(task === 'regression' ? { errors: variantErrors(accumulator.errors, confidence) } : {}),
  };
}

/** How the figures are read: the model's task and what else went in over the same period. */
export interface LiveMetricsContext {
  /** @default 'binary-classification' */
  readonly task?: ModelTask;
  /** Records of the model's input the scorer sent to the DLQ. */
  readonly dlqRecords: number;
  /** Records the reader could not decode. */
  readonly undecodable: number;
}

/**
 * Aggregates `scores` joined with `labels` (event id → label value) for the scope; `dlqRecords`
 * is how many of the model's input records went to the DLQ over the same period, `undecodable`
 * how many records the reader could not decode.
 */
export function computeLiveMetrics(scope: LiveMetricsScope, scores: readonly ScoreObservation[], labels: LabelValues, { task = 'binary-classification', dlqRecords, undecodable }: LiveMetricsContext): LiveMetrics {
  const champion = newAccumulator();
  const challenger = newAccumulator();
  let challengerDecided = 0;
  // Shadow mode: the challenger's prediction rides on the champion's record, so both erred on the same event.
  const pairs: PairedErrors[] = [];
  let modelScores = 0;
  for (const record of scores) {
    if (record.model !== scope.model) continue;
    modelScores += 1;
    if (record.deployment_revision < scope.fromRevision) continue;
    const label = labels.get(record.event_id);
    const championDecided = record.variant === 'CHAMPION' && record.model_version === scope.championVersion;
    if (championDecided) observe(task, champion, record.prediction, record.decision, label, record.scoring_ms);
    if (record.variant === 'CHALLENGER' && record.model_version === scope.challengerVersion) {
      challengerDecided += 1;
      observe(task, challenger, record.prediction, record.decision, label, record.scoring_ms);
    }
    if (record.shadow !== null && record.shadow.model_version === scope.challengerVersion) {
      observe(task, challenger, record.shadow.prediction, record.shadow.decision, label, undefined);
      if (championDecided && label !== undefined) pairs.push({ challenger: record.shadow.prediction - label, champion: record.prediction - label });
    }
  }
  const intake = modelScores + dlqRecords;
  const histograms = predictionHistograms(task, champion.predictions, challenger.predictions);
  // Paired only when every labelled prediction of the challenger is a shadow beside the champion's
  // (shadow mode); on split traffic the variants predict different events, so the samples are
  // independent and the unpaired test applies, as the classifier rates' two-proportion test does.
  const paired = challengerDecided === 0 && pairs.length > 0 && pairs.length === challenger.labelled;
  return {
    task,
    champion: finish(task, champion, scope.championVersion, scope.confidence, histograms.champion),
    challenger: finish(task, challenger, scope.challengerVersion, scope.confidence, histograms.challenger),
    scorePsi: populationStabilityIndex(histograms.champion, histograms.challenger) ?? null,
    ...(task === 'regression' ? { errorComparison: paired ? pairedComparison(pairs) : unpairedComparison(challenger.errors, champion.errors) } : {}),
    dlq: { records: dlqRecords, intake, rate: intake === 0 ? null : dlqRecords / intake },
    scoresRead: scores.length,
    labelsRead: labels.size,
    undecodable,
  };
}
