/**
 * The report's pure parts: each version's evaluation on labelled traffic (a classifier's curves and
 * confusion, a regression model's errors), the newest-records ranges, and the page drawn from them.
 */
import { describe, expect, it } from 'vitest';
import type { ModelReport } from '../../src/report/model-report.js';
import { computeLiveMetrics } from '../../src/rollout/live-metrics.js';
import { newestRanges } from '../../src/report/newest-records.js';
import { renderReportHtml } from '../../src/report/render-report.js';
import { evaluateVersion, trafficTimeline, type TimedScore } from '../../src/report/version-evaluation.js';
import type { RolloutStatus } from '../../src/workflows/ab-rollout.js';

function score(id: string, version: number, value: number, at: number, fields: Partial<TimedScore> = {}): TimedScore {
  return {
    event_id: id,
    prediction: value,
    decision: value >= 0.5 ? 'POSITIVE' : 'NEGATIVE',
    model: 'fraud',
    model_version: version,
    variant: 'CHAMPION',
    shadow: null,
    deployment_revision: 1,
    scoring_ms: 3,
    scored_at: at,
    ...fields,
  };
}

// v1 decides a..e; v2 shadows c; f is another model's.
const scores: TimedScore[] = [
  score('a', 1, 0.9, 1_000),
  score('b', 1, 0.7, 2_000),
  score('c', 1, 0.6, 3_000, { shadow: { model_version: 2, prediction: 0.95, decision: 'POSITIVE' } }),
  score('d', 1, 0.2, 4_000),
  score('e', 1, 0.05, 5_000),
  score('f', 1, 0.99, 5_000, { model: 'other' }),
  score('g', 2, 0.8, 5_000, { variant: 'CHALLENGER' }),
];
const labels = new Map([
  ['a', 1],
  ['b', 0],
  ['c', 1],
  ['d', 0],
  ['f', 1],
  ['g', 0],
]);

describe('version evaluation on labelled traffic', () => {
  it('joins a version’s decided scores with their labels: curves, areas, confusion at the threshold, histogram by class', () => {
    const v1 = evaluateVersion({ model: 'fraud', version: 1, role: 'champion', threshold: 0.65 }, scores, labels);
    // Labelled: a 0.9 fraud, b 0.7 legit, c 0.6 fraud, d 0.2 legit; e unlabelled; f another model.
    expect(v1).toMatchObject({ version: 1, role: 'champion', scored: 5, labelled: 4, positives: 2, rocAuc: 0.75 });
    expect(v1.averagePrecision).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3), 10);
    expect(v1.roc).toEqual([{ x: 0, y: 0 }, { x: 0, y: 0.5 }, { x: 0.5, y: 0.5 }, { x: 0.5, y: 1 }, { x: 1, y: 1 }]);
    // Threshold 0.65 flags a (fraud) and b (legit).
    expect(v1.confusion).toEqual({ truePositives: 1, falsePositives: 1, trueNegatives: 1, falseNegatives: 1 });
    // 20 bins of 0.05: 0.9 → bin 18, 0.6 → 12; 0.7 → 14, 0.2 → 4; 0.05 → 1.
    expect(v1.histogram!.positive[18]).toBe(1);
    expect(v1.histogram!.positive[12]).toBe(1);
    expect(v1.histogram!.negative[14]).toBe(1);
    expect(v1.histogram!.negative[4]).toBe(1);
    expect(v1.histogram!.unlabelled[1]).toBe(1);
  });

  it('counts a challenger’s shadow scores with its decided ones, and has no curve with one class', () => {
    const v2 = evaluateVersion({ model: 'fraud', version: 2, role: 'challenger', threshold: 0.5 }, scores, labels);
    // Shadow of c (0.95, fraud) and g decided (0.8, legit).
    expect(v2).toMatchObject({ scored: 2, labelled: 2, positives: 1, rocAuc: 1 });
    const onlyLegit = evaluateVersion({ model: 'fraud', version: 2, role: 'challenger', threshold: 0.5 }, [scores[6]!], labels);
    expect(onlyLegit).toMatchObject({ labelled: 1, rocAuc: null, averagePrecision: null, roc: null, precisionRecall: null });
    expect(onlyLegit.confusion).toEqual({ truePositives: 0, falsePositives: 1, trueNegatives: 0, falseNegatives: 0 });
  });

  it('measures a regression version by its errors: MAE, RMSE and R² of its labelled predictions, and where its predictions lie', () => {
    // Predicted 30, 40, 50 (and an unlabelled 60) against 33, 39, 53: errors −3, +1, −3.
    const delivery = [score('o1', 1, 30, 1_000), score('o2', 1, 40, 2_000), score('o3', 1, 50, 3_000), score('o4', 1, 60, 4_000)].map((record) => ({ ...record, decision: null }));
    const minutes = new Map([
      ['o1', 33],
      ['o2', 39],
      ['o3', 53],
    ]);
    const evaluation = evaluateVersion({ model: 'fraud', version: 1, role: 'champion', threshold: null, task: 'regression' }, delivery, minutes);
    expect(evaluation).toMatchObject({ task: 'regression', scored: 4, labelled: 3, threshold: null, rocAuc: null, confusion: null, histogram: null });
    // MAE 7/3; RMSE √(19/3); R² = 1 − 19 / Σ(label − 41.667)² = 1 − 19 / 210.667.
    expect(evaluation.regression!.mae).toBeCloseTo(7 / 3, 10);
    expect(evaluation.regression!.rmse).toBeCloseTo(Math.sqrt(19 / 3), 10);
    expect(evaluation.regression!.r2).toBeCloseTo(1 - 19 / (632 / 3), 10);
    // 20 bins of 1.5 minutes from 30 to 60: 30 → 0, 40 → 6, 50 → 13 labelled; 60 → the last bin, unlabelled.
    expect(evaluation.regression!.histogram.edges[0]).toBe(30);
    expect(evaluation.regression!.histogram.labelled.reduce((sum, count, bin) => (count > 0 ? [...sum, bin] : sum), [] as number[])).toEqual([0, 6, 13]);
    expect(evaluation.regression!.histogram.unlabelled[19]).toBe(1);
  });

  it('shares decided records between versions over time buckets', () => {
    const timeline = trafficTimeline(scores, 'fraud', 2)!;
    // 1000..5000 in two buckets of 2001 ms: [1000, 3001) and [3001, 5002).
    expect(timeline.bucketMs).toBe(2001);
    expect(timeline.versions).toEqual([1, 2]);
    expect(timeline.buckets).toEqual([
      { start: 1_000, counts: [3, 0] },
      { start: 3_001, counts: [2, 1] },
    ]);
    expect(trafficTimeline(scores, 'nothing')).toBeUndefined();
  });
});

describe('newest records', () => {
  it('reads the newest share of each partition, from its log start when it holds fewer', () => {
    const ends = [
      { partition: 0, startOffset: '0', endOffset: '100' },
      { partition: 1, startOffset: '95', endOffset: '100' },
      { partition: 2, startOffset: '7', endOffset: '7' },
    ];
    expect(newestRanges('t', ends, 30)).toEqual([
      { topic: 't', partition: 0, fromOffset: '90', toOffset: '100' },
      { topic: 't', partition: 1, fromOffset: '95', toOffset: '100' },
    ]);
    expect(() => newestRanges('t', ends, 0)).toThrow(/whole number >= 1/);
  });
});

const rolloutStatus: RolloutStatus = {
  model: 'fraud',
  phase: 'running',
  pausedFrom: null,
  champion: { version: 1, sha256: 'a' },
  challenger: { version: 2, sha256: 'b' },
  stepIndex: 1,
  steps: [
    { mode: 'SHADOW', percent: 0, minDurationMs: 1, minLabelled: 1 },
    { mode: 'SPLIT', percent: 10, minDurationMs: 1, minLabelled: 1 },
  ] as unknown as RolloutStatus['steps'],
  traffic: { mode: 'SPLIT', percent: 10 },
  measurement: null,
  decisionDeadline: null,
  metrics: null,
  metricsAt: null,
  lastEvaluation: 'waiting for 30 labelled',
  lastError: null,
  polls: 3,
  decisions: [{ at: 0, action: 'start', by: '<alice>', reason: 'try v2 & see', figures: '' }],
};

function report(model: string, overrides: Partial<ModelReport> = {}): ModelReport {
  const evaluation = evaluateVersion({ model: 'fraud', version: 1, role: 'champion', threshold: 0.65 }, scores, labels);
  return {
    model,
    task: 'binary-classification',
    generatedAt: 0,
    versions: [{ version: 1, stage: 'champion', createdAt: '2026-01-01T00:00:00Z', threshold: 0.65, metrics: { rocAuc: 0.9 }, trainedBy: 'test' }],
    championVersion: 1,
    challengerVersion: null,
    data: { scoresTopic: 'tributary.scores', labelsTopic: 'tributary.labels', scoresRead: 7, labelsRead: 6, undecodable: 0, firstScoredAt: 1_000, lastScoredAt: 5_000 },
    evaluations: [evaluation],
    timeline: trafficTimeline(scores, 'fraud') ?? null,
    rollout: { available: true, value: { workflowId: 'rollout:fraud', state: 'RUNNING', status: rolloutStatus, result: null, problem: null } },
    drift: { available: false, reason: 'no answer within 10 s' },
    ...overrides,
  };
}

describe('the report page', () => {
  it('is one page that fetches nothing: inline style, no script, a policy forbidding network loads', () => {
    const html = renderReportHtml(report('fraud'));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(html.match(/https?:\/\/[^"]*/g)).toEqual(expect.arrayContaining(['http://www.w3.org/2000/svg']));
    expect(new Set(html.match(/https?:\/\/[^"]*/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('draws the ROC and precision-recall curves, the histogram, the traffic and the confusion matrix', () => {
    const html = renderReportHtml(report('fraud'));
    for (const chart of ['roc', 'precision-recall', 'histogram-v1', 'traffic']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).toMatch(/data-chart="roc".*<path class="series" data-series="v1 \(champion\)" d="M60 284 L60 168 L292 168 L292 52 L524 52"/s);
    expect(html).toContain('<td class="hit">1<br><span class="muted">true positive</span>');
    expect(html).toContain('ROC-AUC');
  });

  it('escapes the model name and everything a person typed into the decision log', () => {
    const html = renderReportHtml(report('<img onerror=x>'));
    expect(html).not.toContain('<img');
    expect(html).toContain('Tributary report: &lt;img onerror=x&gt;');
    expect(html).toContain('&lt;alice&gt;');
    expect(html).toContain('try v2 &amp; see');
  });

  it('says why a section is missing instead of failing: Temporal unavailable, no rollout, no labels', () => {
    const html = renderReportHtml(report('fraud', { rollout: { available: true, value: { workflowId: 'rollout:fraud', state: 'not found', status: null, result: null, problem: null } } }));
    expect(html).toContain('Unavailable: no answer within 10 s');
    expect(html).toContain('No rollout of this model has run');
    const unlabelled = evaluateVersion({ model: 'fraud', version: 1, role: 'champion', threshold: 0.5 }, scores, new Map());
    const noLabels = renderReportHtml(report('fraud', { evaluations: [unlabelled] }));
    expect(noLabels).toContain('None of its scores has a label yet.');
    expect(noLabels).toContain('No ROC or precision-recall curve');
    expect(noLabels).not.toContain('data-chart="roc"');
  });

  it('shows how an ended rollout ended, from its result, when no worker answers its status query', () => {
    const ended = renderReportHtml(
      report('fraud', {
        rollout: {
          available: true,
          value: {
            workflowId: 'rollout:fraud',
            state: 'COMPLETED',
            status: null,
            result: { model: 'fraud', action: 'promote', championVersion: 2, challengerVersion: 2, decision: { at: 0, action: 'promote', by: 'workflow:rollout:fraud', reason: 'challenger better on recall', figures: 'recall 0.9 vs 0.7' } },
            problem: 'no worker answered the status query within 5 s (is `tributary worker` running?)',
          },
        },
      }),
    );
    expect(ended).toContain('Workflow rollout:fraud: COMPLETED; status unavailable: no worker answered the status query within 5 s');
    expect(ended).toContain('Ended 1970-01-01 00:00:00 UTC: v2 promoted, champion v2; by workflow:rollout:fraud: challenger better on recall (recall 0.9 vs 0.7)');
  });

  it('shows the rollout’s phase, traffic and decision log', () => {
    const html = renderReportHtml(report('fraud'));
    expect(html).toContain('<td>running</td><td>v1</td><td>v2</td><td>SPLIT 10 %</td><td>2 of 2</td>');
    expect(html).toContain('No live figures measured yet.');
    expect(html).toMatch(/Decision log.*<td>start<\/td>/s);
  });

  it('shows a regression model by its errors: no threshold, no curves, its predictions and the rollout\'s MAE and RMSE', () => {
    const delivery = [score('o1', 1, 30, 1_000), score('o2', 1, 40, 2_000, { shadow: { model_version: 2, prediction: 45, decision: null } })].map((record) => ({ ...record, model: 'delivery', decision: null }));
    const minutes = new Map([
      ['o1', 33],
      ['o2', 39],
    ]);
    const evaluation = evaluateVersion({ model: 'delivery', version: 1, role: 'champion', threshold: null, task: 'regression' }, delivery, minutes);
    const metrics = computeLiveMetrics({ model: 'delivery', championVersion: 1, challengerVersion: 2, fromRevision: 1, confidence: 0.95 }, delivery, minutes, { task: 'regression', dlqRecords: 0, undecodable: 0 });
    const html = renderReportHtml(
      report('delivery', {
        task: 'regression',
        versions: [{ version: 1, stage: 'champion', createdAt: '2026-01-01T00:00:00Z', threshold: null, metrics: { mae: 4.2, rmse: 5.1, r2: 0.61 }, trainedBy: 'test' }],
        evaluations: [evaluation],
        rollout: { available: true, value: { workflowId: 'rollout:delivery', state: 'RUNNING', status: { ...rolloutStatus, metrics, metricsAt: 0 }, result: null, problem: null } },
      }),
    );
    expect(html).toContain('<th>mae (test split)</th><th>rmse (test split)</th><th>r2 (test split)</th>');
    expect(html).not.toContain('<th>threshold</th>');
    // MAE (3 + 1) / 2 = 2, RMSE √5 = 2.236; two labels vary: R² = 1 − 10 / 18 = 0.444.
    expect(html).toContain('<td class="num">2</td><td class="num">2</td><td class="num">2.000</td><td class="num">2.236</td><td class="num">0.444</td>');
    expect(html).toContain('data-chart="histogram-v1"');
    expect(html).not.toContain('data-chart="roc"');
    // The rollout: the champion's errors 3 and 1, the challenger's shadow 6 on o2.
    expect(html).toContain('<th>MAE</th><th>RMSE</th>');
    expect(html).toContain('<td>v2</td><td class="num">1</td><td class="num">1</td><td>6.000 [6.000, 6.000]</td>');
    expect(html).toContain('Challenger minus champion: MAE');
  });
});
