/**
 * A real Prometheus scrapes a real scorer (`tributary serve` as a process on the real stack) and
 * the Grafana dashboard's latency-by-stage queries answer from what it scraped: each returns a
 * p50/p99 for the model, and the stage histograms count every record scored; `tributary
 * status`'s reader finds every score on the scores topic. Prometheus is
 * Debian's build, unpacked without root by test/helpers/prometheus.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { pipelineLatencies } from '../../src/status/stage-latency.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { featureRecords, openScoringStack, registerModelVersions, scoringRunConfig, waitForGroupCaughtUp, type ScoringStack } from '../helpers/scoring.js';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('prometheus-scrape');
const MODEL = 'fraud';
const STAGES = ['tributary_scorer_features_latency_seconds', 'tributary_scorer_scoring_latency_seconds', 'tributary_scorer_end_to_end_latency_seconds'];

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}
const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../deploy/grafana/dashboards/tributary.json', import.meta.url)), 'utf8')) as { panels: Panel[] };
/** The dashboard's queries over the stage histograms, as Grafana sends them. */
const stageQueries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).filter((target) => STAGES.some((stage) => target.expr.includes(`${stage}_bucket`))).map((target) => ({ panel: panel.title, expr: target.expr })));

describe('Prometheus scrapes the scorer (real Prometheus, real scorer, real stack)', () => {
  let stack: ScoringStack | undefined;
  let serve: ServeProcess | undefined;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    stack = await openScoringStack(config, 'prometheus-scrape-test');
  });

  afterAll(async () => {
    serve?.child.kill('SIGKILL');
    await prometheus?.stop();
    await stack?.close();
  });

  it('answers the dashboard latency panels from the scraped stage histograms, and counts every score', async () => {
    const { admin, registry, deployments, producer } = stack!;
    expect(stageQueries.map((query) => query.panel)).toEqual(expect.arrayContaining(['Source → features (feature job)', 'Features → score (scorer)', 'Source → score (end to end)']));
    const [champion] = await registerModelVersions(registry, MODEL, 1);
    await deployments.publish(MODEL, { champion: champion!, updatedBy: 'prometheus-scrape-test', reason: 'champion to scrape' });
    serve = await startServeProcess(config, MODEL);
    const started = serve;
    onTestFailed(() => console.error(`serve process output:\n${started.output.join('')}`));
    prometheus = await startPrometheus([`127.0.0.1:${serve.port}`]);
    const scraper = prometheus;
    onTestFailed(() => console.error(`prometheus output:\n${scraper.output.join('')}`));

    // A rate needs scores observed between two scrapes: produce until every stage query answers.
    let sent = 0;
    const answers = await waitFor(
      'every latency panel query to return a p50/p99 for the model',
      async () => {
        const records = featureRecords('scrape', sent, 20);
        await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
        sent += records.length;
        const results = await Promise.all(stageQueries.map(async (query) => ({ ...query, result: await scraper.query(query.expr) })));
        return results.every(({ result }) => result.some((sample) => sample.metric.model === MODEL && Number.isFinite(sample.value))) ? results : undefined;
      },
      180_000,
      500,
    );
    console.info(JSON.stringify(answers.map(({ expr, result }) => ({ expr, seconds: result.find((sample) => sample.metric.model === MODEL)!.value }))));
    for (const { result } of answers) {
      const value = result.find((sample) => sample.metric.model === MODEL)!.value;
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(30);
    }

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), fraudTopic(config, 'features'));
    for (const stage of STAGES) {
      const counted = await waitFor(`Prometheus to have scraped ${sent} observations of ${stage}`, async () => {
        const [sample] = await scraper.query(`sum(${stage}_count{model="${MODEL}"})`);
        return sample?.value === sent ? sample.value : undefined;
      }, 60_000, 500);
      expect(counted).toBe(sent);
    }

    // tributary status reads the same stages from the scores topic: every score, in order.
    const [row] = await pipelineLatencies(config, [MODEL], 1_000_000);
    expect(row).toMatchObject({ pipeline: MODEL, scoresTopic: topicName(config, 'scores') });
    expect(row!.latency!.scores).toBe(sent);
    for (const stage of Object.values(row!.latency!.stages)) {
      expect(stage.p50).toBeGreaterThanOrEqual(0);
      expect(stage.p99).toBeGreaterThanOrEqual(stage.p50);
    }
    console.info(JSON.stringify({ statusLatencyMs: row!.latency!.stages }));
  }, 300_000);
});
