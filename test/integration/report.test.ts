/**
 * `tributary report <model>` on the real Kafka, Schema Registry, registry and Temporal, opened in
 * headless Chromium (Debian's package, installed by scripts/install-chromium.sh when missing):
 * - two small real models registered (v1 champion, v2 challenger) of a pipeline applied from the
 *   fraud example's definition (whose topics and label fields the report reads); generic score
 *   records written through the registered Avro schema (v1 deciding, v2 in shadow then on a split
 *   share) and labels for all fraud and half the legitimate transactions, under this run's own
 *   topic prefix;
 * - the CLI writes one HTML page whose ROC, precision-recall, histogram and traffic charts carry
 *   both versions; the areas it prints are those of the written scores;
 * - Chromium lays the page out: every chart has a size, every curve a length and every bar a box
 *   (measured by the browser through a probe page that frames the report), and a screenshot is
 *   not blank;
 * - no rollout or drift monitor exists for the model: those sections say so; with Temporal
 *   unreachable the page is still written and they say why; an unknown model lists the known ones.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { createAvroProducer, type AvroProducer } from '../../src/streaming/avro-producer.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { averagePrecision, rocAuc } from '../../src/training/metrics.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { useCpuBackend } from '../helpers/scoring-models.js';
import { prepareScoringTopics, registerModelVersions, scoringRunConfig } from '../helpers/scoring.js';

const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const INSTALL_CHROMIUM = fileURLToPath(new URL('../../scripts/install-chromium.sh', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> =>
  new Promise((resolve) => {
    execFile(file, args, { env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });

/** A deterministic number in [0, 1) per index. */
const noise = (index: number, salt: number): number => {
  const value = Math.sin(index * 12.9898 + salt * 78.233) * 43_758.5453;
  return value - Math.floor(value);
};

/**
 * Frames the report and, once it has loaded, writes what the browser laid out into #probe: per
 * chart its rendered size, and per curve (path.series) its length, per bar its box.
 */
const PROBE_PAGE = `<!doctype html><html><body><pre id="probe">pending</pre><iframe id="report" src="report.html" width="1280" height="4000"></iframe>
<script>
document.getElementById('report').addEventListener('load', () => {
  const doc = document.getElementById('report').contentDocument;
  const charts = [...doc.querySelectorAll('svg.chart')].map((svg) => {
    const box = svg.getBoundingClientRect();
    return {
      chart: svg.dataset.chart,
      width: box.width,
      height: box.height,
      curves: [...svg.querySelectorAll('path.series')].map((path) => ({ series: path.dataset.series, length: path.getTotalLength(), box: path.getBBox().width * path.getBBox().height })),
      bars: [...svg.querySelectorAll('rect.bar')].map((rect) => ({ series: rect.dataset.series, height: rect.getBBox().height })),
    };
  });
  document.getElementById('probe').textContent = JSON.stringify({ title: doc.title, charts });
});
</script></body></html>`;

interface ProbedChart {
  readonly chart: string;
  readonly width: number;
  readonly height: number;
  readonly curves: readonly { readonly series: string; readonly length: number; readonly box: number }[];
  readonly bars: readonly { readonly series: string; readonly height: number }[];
}

const unescapeHtml = (text: string): string => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

describe('tributary report rendered in headless Chromium', () => {
  const runId = randomBytes(4).toString('hex');
  const config = scoringRunConfig('report');
  const model = `fraud-report-${runId}`;
  const env = { ...process.env, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix };
  const kafka = createKafka(config, { clientIdSuffix: `report-it-${runId}` });
  let admin: Admin;
  let registry: KafkaModelRegistry;
  let producer: AvroProducer;
  let directory: string;
  let chromium: string;
  const expected = { champion: { labels: [] as number[], scores: [] as number[] }, challenger: { labels: [] as number[], scores: [] as number[] } };

  beforeAll(async () => {
    const installed = await run('bash', [INSTALL_CHROMIUM], { timeoutMs: 900_000 });
    if (installed.code !== 0) throw new Error(`scripts/install-chromium.sh failed (exit ${installed.code}): ${installed.stderr.trim().split('\n').at(-1)}`);
    chromium = installed.stdout.trim().split('\n').at(-1)!;
    directory = await mkdtemp(join(tmpdir(), 'tributary-report-'));

    admin = kafka.admin();
    await admin.connect();
    await prepareScoringTopics(config, admin);
    registry = await createModelRegistry(config);
    await applyFraudPipeline(config, model);
    await useCpuBackend();
    const [v1, v2] = await registerModelVersions(registry, model, 2);
    await registry.setStage(model, v1!.version, 'champion', { by: 'test', reason: 'first champion' });
    await registry.setStage(model, v2!.version, 'challenger', { by: 'test', reason: 'trial' });

    producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const count = 600;
    const start = Date.now() - count * 100;
    const scores = [];
    const labels = [];
    for (let index = 0; index < count; index += 1) {
      const id = `${runId}-${index}`;
      const fraud = index % 10 === 0;
      // v1 separates the classes loosely, v2 better; both overlap, so neither curve is a corner.
      const championScore = fraud ? 0.35 + 0.6 * noise(index, 1) : 0.55 * noise(index, 2);
      const challengerScore = fraud ? 0.5 + 0.5 * noise(index, 3) : 0.6 * noise(index, 4);
      // First half: v1 decides, v2 in shadow; second half: every fifth record decided by v2.
      const challengerDecides = index >= count / 2 && index % 5 === 1;
      const decided = challengerDecides ? { version: v2!.version, score: challengerScore, variant: 'CHALLENGER' } : { version: v1!.version, score: championScore, variant: 'CHAMPION' };
      const shadow = index < count / 2 ? { model_version: v2!.version, model_runtime: 'tfjs', prediction: challengerScore, decision: challengerScore >= 0.5 ? 'POSITIVE' : 'NEGATIVE' } : null;
      scores.push({
        key: id,
        value: {
          pipeline: model,
          event_id: id,
          entity_key: `entity-${index % 50}`,
          prediction: decided.score,
          threshold: 0.5,
          decision: decided.score >= 0.5 ? 'POSITIVE' : 'NEGATIVE',
          model,
          model_version: decided.version,
          model_runtime: 'tfjs',
          variant: decided.variant,
          shadow,
          deployment_revision: index < count / 2 ? 1 : 2,
          feature_job_version: 'feature-job-test',
          event_time: start + index * 100,
          features_at: start + index * 100 + 2,
          scored_at: start + index * 100 + 5,
          end_to_end_ms: 5,
          scoring_ms: 3,
        },
      });
      const labelled = fraud || noise(index, 5) < 0.5;
      if (labelled) labels.push({ key: id, value: { transaction_id: id, is_fraud: fraud, source: fraud ? 'CHARGEBACK' : 'CONFIRMED_LEGITIMATE', label_time: start + index * 100 + 60_000 } });
      if (labelled) {
        const championSide = challengerDecides ? undefined : championScore;
        if (championSide !== undefined) {
          expected.champion.labels.push(fraud ? 1 : 0);
          expected.champion.scores.push(championSide);
        }
        if (challengerDecides || shadow !== null) {
          expected.challenger.labels.push(fraud ? 1 : 0);
          expected.challenger.scores.push(challengerScore);
        }
      }
    }
    await producer.send('scores', scores);
    await producer.send('labels', labels);
  }, 900_000);

  afterAll(async () => {
    await producer?.disconnect();
    await registry?.close();
    await admin?.disconnect();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('writes one page with both versions’ curves, histograms and traffic, and the figures of the written scores', async () => {
    const out = join(directory, 'report.html');
    const result = await run(TSX, [CLI_ENTRY, 'report', model, '--out', out], { env, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote the report of ${model} to ${out} (2 versions; v1 ${expected.champion.labels.length} labelled of 540, v2 ${expected.challenger.labels.length} labelled of 360)`);

    const html = await readFile(out, 'utf8');
    for (const chart of ['roc', 'precision-recall', 'histogram-v1', 'histogram-v2', 'traffic']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).toContain(`<td class="num">${rocAuc(expected.champion.labels, expected.champion.scores).toFixed(3)}</td><td class="num">${averagePrecision(expected.champion.labels, expected.champion.scores).toFixed(3)}</td>`);
    expect(html).toContain(`<td class="num">${rocAuc(expected.challenger.labels, expected.challenger.scores).toFixed(3)}</td>`);
    expect(html).toContain('No rollout of this model has run');
    expect(html).toContain('No drift monitor runs for this model');
  });

  it('renders in headless Chromium: every chart laid out, every curve and bar drawn, the page not blank', async () => {
    const out = join(directory, 'report.html');
    await stat(out);
    await writeFile(join(directory, 'probe.html'), PROBE_PAGE);
    const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--virtual-time-budget=10000'];
    const dumped = await run(chromium, [...flags, '--dump-dom', pathToFileURL(join(directory, 'probe.html')).href], { timeoutMs: 120_000 });
    expect(dumped.code).toBe(0);
    const probe = /<pre id="probe">([^<]*)<\/pre>/.exec(dumped.stdout)?.[1];
    expect(probe, dumped.stdout.slice(0, 500)).toBeDefined();
    const { title, charts } = JSON.parse(unescapeHtml(probe!)) as { title: string; charts: ProbedChart[] };
    expect(title).toBe(`Tributary report: ${model}`);
    expect(charts.map((chart) => chart.chart)).toEqual(['roc', 'precision-recall', 'histogram-v1', 'histogram-v2', 'traffic']);
    for (const chart of charts) {
      expect(chart.width, chart.chart).toBeGreaterThan(300);
      expect(chart.height, chart.chart).toBeGreaterThan(200);
      for (const curve of chart.curves) expect(curve.length, `${chart.chart} ${curve.series}`).toBeGreaterThan(100);
    }
    const byId = new Map(charts.map((chart) => [chart.chart, chart]));
    expect(byId.get('roc')!.curves.map((curve) => curve.series)).toEqual(['v1 (champion)', 'v2 (challenger)']);
    expect(byId.get('precision-recall')!.curves).toHaveLength(2);
    expect(byId.get('traffic')!.curves.map((curve) => curve.series)).toEqual(['v1', 'v2']);
    // 20 bins × (negative, positive, unlabelled); the bins holding scores have height.
    const histogram = byId.get('histogram-v1')!;
    expect(histogram.bars).toHaveLength(60);
    expect(histogram.bars.filter((bar) => bar.series === 'positive' && bar.height > 1).length).toBeGreaterThan(3);
    expect(histogram.bars.filter((bar) => bar.series === 'negative' && bar.height > 1).length).toBeGreaterThan(5);

    const screenshot = join(directory, 'report.png');
    const shot = await run(chromium, [...flags, '--hide-scrollbars', '--window-size=1280,2400', `--screenshot=${screenshot}`, pathToFileURL(out).href], { timeoutMs: 120_000 });
    expect(shot.code).toBe(0);
    // A blank 1280×2400 page compresses to a few kB; curves, bars and text do not.
    expect((await stat(screenshot)).size).toBeGreaterThan(60_000);
  });

  it('still writes the page when Temporal does not answer: the rollout and drift sections say why', async () => {
    const out = join(directory, 'no-temporal.html');
    // Nothing listens on port 1: the connection is refused at once.
    const result = await run(TSX, [CLI_ENTRY, 'report', model, '--out', out], { env: { ...env, TRIBUTARY_TEMPORAL_ADDRESS: '127.0.0.1:1' }, timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html.match(/<p class="note">Unavailable: [^<]+<\/p>/g)).toHaveLength(2);
    expect(html).toContain('data-chart="roc"');
  });

  it('refuses an unknown model in one line that lists the known ones', async () => {
    const result = await run(TSX, [CLI_ENTRY, 'report', `no-such-${runId}`, '--out', join(directory, 'never.html')], { env, timeoutMs: 120_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: no model 'no-such-${runId}' in the registry; known models: ${model}\n`);
    await expect(stat(join(directory, 'never.html'))).rejects.toThrow(/ENOENT/);
  });
});
