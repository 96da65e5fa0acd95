/**
 * The drift figures as gauges on the Temporal runtime's metric meter: a worker started with
 * `TRIBUTARY_TEMPORAL_WORKER_METRICS_ADDRESS` serves them on its Prometheus /metrics, next to the
 * SDK's own `temporal_*` worker metrics, for the Grafana dashboard.
 */
import type { MetricMeter } from '@temporalio/common';
import type { DriftFigures } from './drift-figures.js';

/** Names on /metrics (the runtime's `temporal_` prefix is for the SDK's own metrics only). */
export const DRIFT_GAUGES = {
  featurePsi: 'tributary_drift_feature_psi',
  maxFeaturePsi: 'tributary_drift_max_feature_psi',
  scorePsi: 'tributary_drift_score_psi',
  scoreKsStatistic: 'tributary_drift_score_ks_statistic',
} as const;

export function recordDriftGauges(meter: MetricMeter, model: string, figures: DriftFigures): void {
  const featurePsi = meter.createGauge(DRIFT_GAUGES.featurePsi, 'float', '', "PSI of one column of the champion's vectoriser, live against its training reference");
  for (const feature of figures.features) featurePsi.set(feature.psi, { model, column: feature.column });
  meter.createGauge(DRIFT_GAUGES.maxFeaturePsi, 'float', '', 'Highest feature PSI of the last drift check').set(figures.maxFeature.psi, { model });
  if (figures.score === null) return;
  meter.createGauge(DRIFT_GAUGES.scorePsi, 'float', '', "PSI of the champion's live scores against its scores of the reference").set(figures.score.psi, { model });
  meter.createGauge(DRIFT_GAUGES.scoreKsStatistic, 'float', '', "Kolmogorov-Smirnov D of the champion's live scores against its scores of the reference").set(figures.score.ksStatistic, { model });
}
