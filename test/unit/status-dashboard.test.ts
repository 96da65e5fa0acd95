/**
 * The Grafana dashboard asks only for series that exist: every metric name in a panel's query is
 * one the scorer's registry defines (histograms with their _bucket/_sum/_count series), a drift
 * gauge the drift activity records, or a Temporal SDK worker metric seen on a worker's /metrics.
 * And every scorer series of Tributary's own has a panel.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DRIFT_GAUGES } from '../../src/drift/drift-metrics.js';
import { createScorerMetrics } from '../../src/serving/scorer-metrics.js';

/**
 * Names the Temporal TypeScript SDK 1.24 serves with its Prometheus exporter (milliseconds, no
 * `_total` suffix), as read from a worker's /metrics after it ran workflow and activity tasks.
 */
const TEMPORAL_SDK_METRICS = [
  'temporal_activity_execution_failed',
  'temporal_activity_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_num_pollers',
  'temporal_request',
  'temporal_sticky_cache_size',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_workflow_task_execution_latency',
];

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../deploy/grafana/dashboards/tributary.json', import.meta.url)), 'utf8')) as { uid: string; panels: Panel[] };
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');
const metricNamesOf = (expr: string): string[] => [...expr.matchAll(/\b(?:tributary|temporal)_[a-z0-9_]+/g)].map((match) => match[0]);

/** Every series name a registry exposes: histograms as their three series. */
async function scorerSeries(): Promise<Set<string>> {
  const metrics = await createScorerMetrics().registry.getMetricsAsJSON();
  return new Set(metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
}

describe('Grafana dashboard', () => {
  it('queries only series that exist', async () => {
    const scorer = await scorerSeries();
    const temporal = new Set(TEMPORAL_SDK_METRICS.flatMap((name) => [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]));
    const drift = new Set<string>(Object.values(DRIFT_GAUGES));
    const unknown = queryPanels.flatMap((panel) =>
      (panel.targets ?? []).flatMap(({ expr }) => metricNamesOf(expr).filter((name) => !scorer.has(name) && !temporal.has(name) && !drift.has(name)).map((name) => `${panel.title}: ${name}`)),
    );
    expect(unknown).toEqual([]);
  });

  it('gives every panel at least one query that names a metric', () => {
    expect(queryPanels.length).toBeGreaterThanOrEqual(12);
    for (const panel of queryPanels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) expect(metricNamesOf(expr).length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
    }
  });

  it("shows every one of the scorer's own series and every drift gauge", async () => {
    const queried = new Set(queryPanels.flatMap((panel) => (panel.targets ?? []).flatMap(({ expr }) => metricNamesOf(expr))));
    const own = [...(await scorerSeries())].filter((name) => name.startsWith('tributary_scorer_') && !name.endsWith('_sum') && !name.endsWith('_count'));
    const missing = [...own, ...Object.values(DRIFT_GAUGES)].filter((name) => !queried.has(name));
    expect(missing).toEqual([]);
  });
});
