/**
 * The report as ONE self-contained HTML page: inline CSS, charts as inline SVG, no script and a
 * Content-Security-Policy that forbids every network fetch, so the file opens the same offline,
 * attached to an email or archived next to a model version.
 */
import type { ErrorEstimate } from '../rollout/error-metrics.js';
import type { LiveMetrics } from '../rollout/live-metrics.js';
import type { Section } from '../sections/section.js';
import type { ConfusionMatrix } from '../training/metrics.js';
import type { RolloutOutcome, RolloutStatus } from '../workflows/ab-rollout.js';
import type { DriftMonitorState } from '../workflows/drift-monitor.js';
import type { CurvePoint } from './curves.js';
import type { ModelReport, WorkflowView } from './model-report.js';
import { barChart, escapeHtml, evenTicks, lineChart, type Axis, type BarSeries, type LineSeries } from './svg-charts.js';
import type { TrafficTimeline, VersionEvaluation } from './version-evaluation.js';

const CHAMPION_COLOUR = '#1f63b4';
const CHALLENGER_COLOUR = '#d9480f';
const OTHER_COLOURS = ['#2f9e44', '#7048e8', '#868e96', '#e8590c', '#0c8599'];

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:0;color:#1d2125;background:#f6f7f9}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d0d4d9;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.muted{color:#5c6670}.note{background:#fff8e1;border-left:3px solid #f0b400;padding:6px 10px}
table{border-collapse:collapse;background:#fff;margin:6px 0}th,td{border:1px solid #d0d4d9;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef0f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #d0d4d9;max-width:100%;height:auto}
.chart text{font-size:11px;fill:#333}.chart .chart-title{font-size:13px;font-weight:600}.chart .axis-label{font-size:12px}.chart .grid{stroke:#e6e8eb}.chart .axis{stroke:#888}
.confusion td{width:110px;text-align:center}.confusion .hit{background:#e3f6e8}.confusion .miss{background:#fde8e4}
.tiles{display:flex;flex-wrap:wrap;gap:16px}.tile{background:#fff;border:1px solid #d0d4d9;padding:8px 14px}
`;

const fixed = (value: number | null | undefined, digits = 3): string => (value === null || value === undefined ? '–' : value.toFixed(digits));
const percent = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)} %`);
const isoTime = (epochMs: number): string => new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
const clockTime = (epochMs: number): string => new Date(epochMs).toISOString().slice(11, 19);

const UNIT_AXIS = (label: string): Axis => ({ label, min: 0, max: 1, ticks: evenTicks(0, 1, 5), format: (value) => value.toFixed(1) });
const SHARE_AXIS = (label: string, max: number): Axis => ({ label, min: 0, max, ticks: evenTicks(0, max, 4), format: (value) => `${Number((value * 100).toFixed(1))} %` });

/** Blue for the champion, orange for the challenger, other versions in their own colours. */
function colourOf(version: number, report: ModelReport): string {
  if (version === report.championVersion) return CHAMPION_COLOUR;
  if (version === report.challengerVersion) return CHALLENGER_COLOUR;
  return OTHER_COLOURS[version % OTHER_COLOURS.length]!;
}

const versionName = (evaluation: VersionEvaluation): string => `v${evaluation.version} (${evaluation.role})`;

function table(headers: readonly string[], rows: readonly (readonly string[])[], numericColumns: ReadonlySet<number> = new Set()): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell, index) => `<td${numericColumns.has(index) ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

const paragraph = (text: string, className = 'muted'): string => `<p class="${className}">${escapeHtml(text)}</p>`;

/** The test-split metrics a version table shows, of either task. */
const VERSION_METRICS = ['rocAuc', 'prAuc', 'precision', 'recall', 'fprAtTargetRecall', 'mae', 'rmse', 'r2'];

function versionsSection(report: ModelReport): string {
  if (report.versions.length === 0) return paragraph('No version is registered yet.');
  const metricNames = [...new Set(report.versions.flatMap((version) => Object.keys(version.metrics)))].filter((name) => VERSION_METRICS.includes(name));
  // A regression model decides nothing: it has no threshold to show.
  const thresholds = report.task !== 'regression';
  const rows = report.versions.map((version) => [
    `v${version.version}`,
    version.stage,
    version.createdAt,
    ...(thresholds ? [fixed(version.threshold)] : []),
    ...metricNames.map((name) => fixed(version.metrics[name])),
    version.trainedBy,
  ]);
  const first = thresholds ? 4 : 3;
  const numeric = new Set([...(thresholds ? [3] : []), ...metricNames.map((_, index) => first + index)]);
  return table(['version', 'stage', 'registered', ...(thresholds ? ['threshold'] : []), ...metricNames.map((name) => `${name} (test split)`), 'trained by'], rows, numeric);
}

function confusionTable(confusion: ConfusionMatrix): string {
  const { truePositives, falsePositives, trueNegatives, falseNegatives } = confusion;
  return `<table class="confusion"><tr><th></th><th>flagged (POSITIVE)</th><th>passed (NEGATIVE)</th></tr><tr><th>positive</th><td class="hit">${truePositives}<br><span class="muted">true positive</span></td><td class="miss">${falseNegatives}<br><span class="muted">false negative</span></td></tr><tr><th>negative</th><td class="miss">${falsePositives}<br><span class="muted">false positive</span></td><td class="hit">${trueNegatives}<br><span class="muted">true negative</span></td></tr></table>`;
}

function evaluationTile(evaluation: VersionEvaluation): string {
  const heading = `<h3>${escapeHtml(versionName(evaluation))}</h3>`;
  if (evaluation.task === 'regression') {
    const { regression } = evaluation;
    const figures = table(
      ['scored', 'labelled', 'MAE', 'RMSE', 'R²'],
      [[String(evaluation.scored), String(evaluation.labelled), fixed(regression?.mae), fixed(regression?.rmse), fixed(regression?.r2)]],
      new Set([0, 1, 2, 3, 4]),
    );
    const none = regression === null ? paragraph('None of its predictions has a label yet.') : '';
    return `<div class="tile" data-version="${evaluation.version}">${heading}${figures}${none}</div>`;
  }
  const figures = table(
    ['scored', 'labelled', 'positive', 'ROC-AUC', 'average precision'],
    [[String(evaluation.scored), String(evaluation.labelled), String(evaluation.positives), fixed(evaluation.rocAuc), fixed(evaluation.averagePrecision)]],
    new Set([0, 1, 2, 3, 4]),
  );
  const confusion = evaluation.confusion === null ? paragraph('None of its scores has a label yet.') : `<h3>Confusion matrix at threshold ${fixed(evaluation.threshold)}</h3>${confusionTable(evaluation.confusion)}`;
  return `<div class="tile" data-version="${evaluation.version}">${heading}${figures}${confusion}</div>`;
}

function curveSeries(report: ModelReport, pick: (evaluation: VersionEvaluation) => readonly CurvePoint[] | null): LineSeries[] {
  return report.evaluations.flatMap((evaluation) => {
    const points = pick(evaluation);
    return points === null ? [] : [{ name: versionName(evaluation), colour: colourOf(evaluation.version, report), points }];
  });
}

/** Each series' counts as shares of its own total. */
const sharesOf = (counts: readonly number[]): number[] => {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
};

function shareChart(id: string, title: string, categories: readonly string[], series: BarSeries[]): string {
  const highest = Math.max(0.05, ...series.flatMap((bar) => bar.values));
  const max = Math.min(1, Math.ceil(highest * 10) / 10);
  return barChart({ id, title, categories: [...categories], y: SHARE_AXIS('share of the group', max), series });
}

function histogramChart(evaluation: VersionEvaluation): string {
  if (evaluation.regression !== null) {
    const { edges, labelled, unlabelled } = evaluation.regression.histogram;
    const digits = edges.at(-1)! - edges[0]! >= 20 ? 0 : 2;
    return shareChart(
      `histogram-v${evaluation.version}`,
      `Predictions of ${versionName(evaluation)}, share of each group per bin`,
      edges.slice(0, -1).map((edge) => edge.toFixed(digits)),
      [
        { name: 'labelled', colour: '#1f63b4', values: sharesOf(labelled) },
        { name: 'unlabelled', colour: '#adb5bd', values: sharesOf(unlabelled) },
      ],
    );
  }
  if (evaluation.histogram === null) return '';
  const { edges, positive, negative, unlabelled } = evaluation.histogram;
  return shareChart(`histogram-v${evaluation.version}`, `Score distribution of ${versionName(evaluation)}, share of each class per bin`, edges.slice(0, -1).map((edge) => edge.toFixed(2)), [
    { name: 'negative', colour: '#2f9e44', values: sharesOf(negative) },
    { name: 'positive', colour: '#c92a2a', values: sharesOf(positive) },
    { name: 'unlabelled', colour: '#adb5bd', values: sharesOf(unlabelled) },
  ]);
}

function qualitySection(report: ModelReport): string {
  if (report.evaluations.length === 0) return paragraph('The model has no champion or challenger to evaluate.');
  const tiles = `<div class="tiles">${report.evaluations.map(evaluationTile).join('')}</div>`;
  const histograms = `<div class="charts">${report.evaluations.filter((evaluation) => evaluation.scored > 0).map(histogramChart).join('')}</div>`;
  if (report.task === 'regression') return `${tiles}<h3>Prediction distributions</h3>${histograms}`;
  const rocSeries = curveSeries(report, (evaluation) => evaluation.roc);
  const prSeries = curveSeries(report, (evaluation) => evaluation.precisionRecall);
  const curves =
    rocSeries.length === 0
      ? paragraph('No ROC or precision-recall curve: the labelled scores read hold no positive or no negative label yet.', 'note')
      : `<div class="charts">${lineChart({
          id: 'roc',
          title: 'ROC curve on labelled traffic',
          x: UNIT_AXIS('false-positive rate'),
          y: UNIT_AXIS('true-positive rate (recall)'),
          series: rocSeries,
          reference: { name: 'chance', colour: '#999', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        })}${lineChart({ id: 'precision-recall', title: 'Precision-recall curve on labelled traffic', x: UNIT_AXIS('recall'), y: UNIT_AXIS('precision'), series: prSeries })}</div>`;
  return `${tiles}${curves}<h3>Score distributions</h3>${histograms}`;
}

function timelineSection(report: ModelReport, timeline: TrafficTimeline | null): string {
  if (timeline === null) return paragraph('No score of this model was read.');
  const { buckets, versions, bucketMs } = timeline;
  const first = buckets[0]!.start;
  const last = buckets[buckets.length - 1]!.start;
  const x: Axis = { label: `time (UTC), buckets of ${(bucketMs / 1000).toFixed(1)} s`, min: first, max: Math.max(last, first + 1), ticks: evenTicks(first, Math.max(last, first + 1), 4), format: clockTime };
  const series: LineSeries[] = versions.map((version, index) => ({
    name: `v${version}`,
    colour: colourOf(version, report),
    points: buckets.map((bucket) => {
      const total = bucket.counts.reduce((sum, count) => sum + count, 0);
      return { x: bucket.start, y: total === 0 ? 0 : bucket.counts[index]! / total };
    }),
  }));
  return `<div class="charts">${lineChart({ id: 'traffic', title: 'Share of decided records per version over time', x, y: SHARE_AXIS('share of decided records', 1), series })}</div>`;
}

function workflowHeader<State, Result>(view: WorkflowView<State, Result>): string {
  const problem = view.problem === null ? '' : `; status unavailable: ${view.problem}`;
  return paragraph(`Workflow ${view.workflowId}: ${view.state}${problem}`);
}

function rolloutBody(report: ModelReport, status: RolloutStatus): string {
  const summary = table(
    ['phase', 'champion', 'challenger', 'challenger traffic', 'step', 'last evaluation'],
    [[
      status.phase,
      status.champion === null ? '–' : `v${status.champion.version}`,
      status.challenger === null ? '–' : `v${status.challenger.version}`,
      `${status.traffic.mode} ${status.traffic.percent} %`,
      `${Math.min(status.stepIndex + 1, status.steps.length)} of ${status.steps.length}`,
      status.lastEvaluation ?? '–',
    ]],
  );
  const metrics = status.metrics;
  let comparison = paragraph('No live figures measured yet.');
  if (metrics !== null && metrics.task === 'regression') comparison = regressionComparison(status, metrics);
  else if (metrics !== null) {
    const rates = ['precision', 'recall', 'falsePositiveRate'] as const;
    const series: BarSeries[] = [metrics.champion, metrics.challenger].map((variant, index) => ({
      name: `v${variant.version} (${index === 0 ? 'champion' : 'challenger'})`,
      colour: colourOf(variant.version, report),
      values: rates.map((rate) => variant.rates[rate].rate ?? 0),
      intervals: rates.map((rate) => {
        const { lower, upper } = variant.rates[rate];
        return lower === null || upper === null ? null : { lower, upper };
      }),
    }));
    const chart = barChart({ id: 'rollout-comparison', title: 'Current step: champion vs challenger (whiskers: confidence interval)', categories: ['precision', 'recall', 'false-positive rate'], y: UNIT_AXIS('rate'), series });
    const figures = table(
      ['variant', 'scored', 'labelled', 'precision', 'recall', 'false-positive rate', 'latency p50 / p99 (ms)'],
      [metrics.champion, metrics.challenger].map((variant) => [
        `v${variant.version}`,
        String(variant.scored),
        String(variant.rates.labelled),
        percent(variant.rates.precision.rate),
        percent(variant.rates.recall.rate),
        percent(variant.rates.falsePositiveRate.rate),
        variant.latencyMs === null ? '–' : `${fixed(variant.latencyMs.p50, 1)} / ${fixed(variant.latencyMs.p99, 1)}`,
      ]),
      new Set([1, 2, 3, 4, 5]),
    );
    const measuredAt = status.metricsAt === null ? '' : ` measured ${isoTime(status.metricsAt)}`;
    comparison = `<div class="charts">${chart}</div>${paragraph(`Score PSI challenger vs champion ${fixed(metrics.scorePsi)}; DLQ rate ${percent(metrics.dlq.rate)};${measuredAt}`)}${figures}`;
  }
  const decisions =
    status.decisions.length === 0
      ? paragraph('No decision recorded yet.')
      : table(['when', 'action', 'by', 'reason', 'figures'], status.decisions.map((decision) => [isoTime(decision.at), decision.action, decision.by, decision.reason, decision.figures]));
  return `${summary}${comparison}<h3>Decision log</h3>${decisions}`;
}

/** A regression rollout's figures: MAE and RMSE per variant with their intervals, and the challenger's difference as tested. */
function regressionComparison(status: RolloutStatus, metrics: LiveMetrics): string {
  const estimate = (value: ErrorEstimate | null | undefined): string => (value === null || value === undefined ? '–' : `${fixed(value.value)} [${fixed(value.lower)}, ${fixed(value.upper)}]`);
  const figures = table(
    ['variant', 'scored', 'labelled', 'MAE', 'RMSE', 'latency p50 / p99 (ms)'],
    [metrics.champion, metrics.challenger].map((variant) => [
      `v${variant.version}`,
      String(variant.scored),
      String(variant.labelled ?? 0),
      estimate(variant.errors?.mae),
      estimate(variant.errors?.rmse),
      variant.latencyMs === null ? '–' : `${fixed(variant.latencyMs.p50, 1)} / ${fixed(variant.latencyMs.p99, 1)}`,
    ]),
    new Set([1, 2]),
  );
  const comparison = metrics.errorComparison;
  const difference = (metric: 'mae' | 'rmse'): string => {
    const value = comparison?.[metric];
    return value === null || value === undefined ? '–' : `${value.difference >= 0 ? '+' : ''}${fixed(value.difference)} ± ${fixed(value.standardError)}`;
  };
  const pairing = comparison === undefined ? '' : comparison.pairing === 'paired' ? `paired on ${comparison.samples} events both predicted` : `unpaired, split traffic`;
  const measuredAt = status.metricsAt === null ? '' : ` Measured ${isoTime(status.metricsAt)}.`;
  return `${figures}${paragraph(`Challenger minus champion: MAE ${difference('mae')}, RMSE ${difference('rmse')} (${pairing}); prediction PSI ${fixed(metrics.scorePsi)}; DLQ rate ${percent(metrics.dlq.rate)}.${measuredAt}`)}`;
}

function driftBody(status: DriftMonitorState): string {
  const check = status.lastCheck;
  const settings = paragraph(
    `${status.paused ? 'Paused' : 'Checking'} every ${(status.intervalMs / 1000).toFixed(0)} s; ${status.checks} checks; retrainings started: ${status.retrainingsStarted}${status.lastRetraining === undefined ? '' : ` (last ${isoTime(status.lastRetraining.startedAt)}: ${status.lastRetraining.reason})`}${status.lastError === undefined ? '' : `; last error: ${status.lastError}`}`,
  );
  if (check === undefined) return `${settings}${paragraph('No check has run yet.')}`;
  const verdict = paragraph(`Last check ${isoTime(check.at)}: ${check.drifted ? 'DRIFTED' : 'stable'} — ${check.outcome}`, check.drifted ? 'note' : 'muted');
  const figures = check.figures;
  if (figures === null) return `${settings}${verdict}`;
  const highest = Math.max(status.featurePsiThreshold * 1.2, ...figures.features.map((feature) => feature.psi));
  // A multiple of 0.2, so the four ticks fall on multiples of 0.05.
  const max = Math.ceil(highest * 5) / 5;
  const chart = barChart({
    id: 'drift-psi',
    title: `Feature PSI, live vs the training reference of v${figures.championVersion}`,
    categories: figures.features.map((feature) => feature.column),
    y: { label: 'PSI', min: 0, max, ticks: evenTicks(0, max, 4), format: (value) => value.toFixed(2) },
    series: [{ name: 'PSI', colour: '#7048e8', values: figures.features.map((feature) => feature.psi) }],
    references: [{ label: `threshold ${status.featurePsiThreshold}`, value: status.featurePsiThreshold }],
    slantedLabels: true,
  });
  const score =
    figures.score === null
      ? paragraph('No live score of the champion to compare.')
      : table(
          ['live scores', 'score PSI', `score PSI threshold`, 'KS statistic', 'KS p-value'],
          [[String(figures.score.liveScores), fixed(figures.score.psi), fixed(status.scorePsiThreshold, 2), fixed(figures.score.ksStatistic), figures.score.ksPValue.toExponential(2)]],
          new Set([0, 1, 2, 3, 4]),
        );
  return `${settings}${verdict}${paragraph(`${figures.liveRecords} live records against ${figures.referenceRecords} reference records; highest PSI ${fixed(figures.maxFeature.psi)} on ${figures.maxFeature.column}.`)}<div class="charts">${chart}</div>${score}`;
}

function outcomeLine(outcome: RolloutOutcome): string {
  const { decision } = outcome;
  return paragraph(`Ended ${isoTime(decision.at)}: ${outcome.action === 'promote' ? `v${outcome.challengerVersion} promoted` : `v${outcome.challengerVersion} rolled back`}, champion v${outcome.championVersion}; by ${decision.by}: ${decision.reason}${decision.figures === '' ? '' : ` (${decision.figures})`}`, 'note');
}

function workflowSection<State, Result>(section: Section<WorkflowView<State, Result>>, absent: string, body: (status: State) => string, ended: (result: Result) => string = () => ''): string {
  if (!section.available) return paragraph(`Unavailable: ${section.reason}`, 'note');
  const view = section.value;
  if (view.state === 'not found') return paragraph(absent);
  return `${workflowHeader(view)}${view.result === null ? '' : ended(view.result)}${view.status === null ? '' : body(view.status)}`;
}

/** The whole page. */
export function renderReportHtml(report: ModelReport): string {
  const { data } = report;
  const period = data.firstScoredAt === null || data.lastScoredAt === null ? 'no score of this model' : `scores from ${isoTime(data.firstScoredAt)} to ${isoTime(data.lastScoredAt)}`;
  const window = `Read the newest ${data.scoresRead} records of ${data.scoresTopic} and ${data.labelsRead} of ${data.labelsTopic} (${period}${data.undecodable === 0 ? '' : `; ${data.undecodable} records did not decode`}).`;
  const title = `Tributary report: ${report.model}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${paragraph(`Generated ${isoTime(report.generatedAt)}. ${window}`)}
<section id="versions"><h2>Versions</h2>${versionsSection(report)}</section>
<section id="quality"><h2>Champion and challenger on labelled traffic</h2>${qualitySection(report)}</section>
<section id="traffic"><h2>Traffic over the rollout</h2>${timelineSection(report, report.timeline)}</section>
<section id="rollout"><h2>Rollout</h2>${workflowSection(report.rollout, 'No rollout of this model has run (or its history is gone).', (status) => rolloutBody(report, status), outcomeLine)}</section>
<section id="drift"><h2>Drift</h2>${workflowSection(report.drift, 'No drift monitor runs for this model (tributary drift start <model>).', driftBody)}</section>
</main></body></html>
`;
}
