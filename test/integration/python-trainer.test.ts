/**
 * The Python trainer on the real stack (Kafka, Schema Registry, Temporal, the registry): the fraud
 * example applied from examples/fraud/pipeline-python.yaml (model.trainer: python) under a fresh
 * topic prefix, synthetic training examples on its training-examples topic, Tributary's worker in
 * this process and the real Python worker (python/trainer, from the virtual environment the project
 * makes) as a child process on the pipeline's trainer queue. A training run gets a scikit-learn
 * model back as ONNX, which Tributary measures on the held-out split: it passes the example's
 * gates, is registered with runtime onnx and becomes champion, and the scorer serves it, every
 * score stamped with its version and runtime onnx. First, the Python vectoriser makes the very
 * columns Tributary's does from the same records and spec, bit for bit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createPipelineStore } from '../../src/pipeline-store/kafka-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { revisionDigest } from '../../src/pipelines/pipeline-revision.js';
import { readOnnxArtifact } from '../../src/registry/model-artifact.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { topicName } from '../../src/streaming/topic-catalogue.js';
import { ensurePythonVenv, PYTHON_TRAINER_DIRECTORY, type PythonVenv } from '../../src/toolchain/python-venv.js';
import { compileVectoriser } from '../../src/vectoriser/compile-vectoriser.js';
import { closeClient, connectClient } from '../../src/worker/temporal-connection.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { revisionDraftAs } from '../../examples/fraud/demo/demo-pipeline.js';
import { fraudSpec } from '../helpers/fraud-pipeline.js';
import { featureRecords, metricValue, readScores, scoreAccounting, startInProcessScorer, waitForGroupCaughtUp, type InProcessScorer } from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { generateSyntheticExamples } from '../helpers/synthetic-examples.js';
import { produceSyntheticExamples } from '../helpers/training-examples.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const PIPELINE_FILE = fileURLToPath(new URL('../../examples/fraud/pipeline-python.yaml', import.meta.url));
const EXAMPLES = 6_000;
const SCORED = 200;

/** Runs the environment's interpreter on `code` in the trainer's folder, with `input` on stdin; resolves with stdout. */
function runPython(venv: PythonVenv, code: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(venv.python, ['-c', code], { cwd: PYTHON_TRAINER_DIRECTORY });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited with ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}

describe('the Python trainer through Temporal (real Kafka, Schema Registry, Temporal and registry)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.python-trainer-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-python-trainer-${runId}` } };
  const model = `fraud-python-${runId}`;
  const trainerQueue = `test-python-trainer-${runId}-python`;
  const clients = useScoringClients(config, `python-trainer-${runId}`);
  const stopping = new AbortController();
  const trainerLog: string[] = [];

  let venv: PythonVenv;
  let trainer: ChildProcess | undefined;
  let worker: Promise<void> | undefined;
  let client: Client;
  let artifactDirectory: string;
  let scorer: InProcessScorer | undefined;

  // Made once per requirements file under the cache directory, later runs find it: the first pip
  // install of scikit-learn, SciPy, ONNX and Temporal's SDK on a loaded 2-core machine takes minutes.
  const FIRST_INSTALL_MS = 20 * 60_000;
  beforeAll(async () => {
    venv = await ensurePythonVenv({ cacheDir: config.paths.cacheDir, progress: (line) => process.stderr.write(`[python venv] ${line}\n`) });
    artifactDirectory = await mkdtemp(join(tmpdir(), 'tributary-python-trainer-'));
  }, FIRST_INSTALL_MS);

  afterAll(async () => {
    await scorer?.stop();
    stopping.abort();
    await worker;
    if (trainer !== undefined && trainer.exitCode === null) {
      const exited = new Promise((resolve) => trainer!.once('exit', resolve));
      trainer.kill('SIGTERM');
      await exited;
    }
    if (client) await closeClient(client);
    await clients.admin?.deleteTopics({ topics: [fraudTopic(config, 'training-examples'), fraudTopic(config, 'features'), topicName(config, 'scores'), topicName(config, 'dlq')] }).catch(() => undefined);
    if (artifactDirectory) await rm(artifactDirectory, { recursive: true, force: true });
  });

  it("makes the columns Tributary's vectoriser makes, bit for bit", async () => {
    const spec = fraudSpec();
    const records = generateSyntheticExamples({ count: 300, seed: 29 }).map((record) => ({ ...record }));
    const expected = Array.from(compileVectoriser(spec).vectoriseBatch(records).values);
    const code = [
      'import json, sys',
      'from tributary_trainer.vectoriser import Vectoriser',
      'given = json.load(sys.stdin)',
      'print(json.dumps(Vectoriser(given["spec"]).vectorise(given["records"]).ravel().tolist()))',
    ].join('\n');
    const made = JSON.parse(await runPython(venv, code, JSON.stringify({ spec, records }))) as number[];
    expect(made).toHaveLength(expected.length);
    // Both compute in float64 and round once to float32: the same numbers, not merely close ones.
    expect(made).toEqual(expected);
  });

  it('trains the example with scikit-learn, registers an onnx version that passes the gates, and the scorer serves it', async () => {
    onTestFailed(() => console.error(`python trainer log:\n${trainerLog.join('')}${scorer === undefined ? '' : `\nscorer log:\n${scorer.logs.join('\n')}`}`));
    const { kafka, registry, deployments } = clients;
    // The example's definition under this run's name, its trainer on this run's queue, applied as `pipeline apply` records it.
    const draft = revisionDraftAs(PIPELINE_FILE, model);
    const trainerDefinition = draft.definition.model.trainer;
    expect(trainerDefinition?.kind).toBe('python');
    const definition: PipelineDefinition = { ...draft.definition, model: { ...draft.definition.model, trainer: { ...trainerDefinition!, kind: 'python', taskQueue: trainerQueue } as PipelineDefinition['model']['trainer'] } };
    const store = await createPipelineStore(config);
    try {
      await store.record({ ...draft, definition, digest: revisionDigest(definition, draft.files) });
    } finally {
      await store.close();
    }
    await produceSyntheticExamples(kafka, config, EXAMPLES, 13);

    trainer = spawn(
      venv.python,
      ['-m', 'tributary_trainer', '--task-queue', trainerQueue, '--temporal-address', config.temporal.address, '--temporal-namespace', config.temporal.namespace, '--kafka-brokers', config.kafka.brokers.join(','), '--schema-registry-url', config.schemaRegistry.url],
      { cwd: PYTHON_TRAINER_DIRECTORY, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trainer.stdout!.on('data', (chunk: Buffer) => trainerLog.push(chunk.toString()));
    trainer.stderr!.on('data', (chunk: Buffer) => trainerLog.push(chunk.toString()));
    await waitFor('the Python trainer to poll its queue', async () => (trainerLog.join('').includes(`polling ${trainerQueue}`) ? true : undefined), 120_000, 100);

    let running: () => void = () => undefined;
    const polling = new Promise<void>((resolve) => (running = resolve));
    worker = runTributaryWorker(config, { registry, roles: ['orchestration', 'training'], artifactDirectory, signal: stopping.signal, shutdownGraceTime: '2s', onRunning: () => running() });
    await Promise.race([polling, worker]);
    client = await connectClient(config);

    const handle = await client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `training:${model}:python`,
      args: [{ model, data: { kind: 'up-to-now' }, triggeredBy: 'test:python-trainer' }],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ model, version: 1, stage: 'champion', reason: 'first model passed gates' });
    // The example's gate: ROC-AUC of at least 0.7 on the held-out split, measured by Tributary.
    expect(result.metrics.rocAuc).toBeGreaterThan(0.7);

    const version = await registry.getVersion(model, 1);
    expect(version).toMatchObject({ stage: 'champion', artifact: { runtime: 'onnx' } });
    expect(version.lineage.backend).toMatch(/^python: GradientBoostingClassifier \(scikit-learn [\d.]+, skl2onnx [\d.]+\)$/);
    expect(version.lineage.hyperParameters).toMatchObject({ trainer: 'python', taskQueue: trainerQueue, estimator: 'GradientBoostingClassifier', n_estimators: 150, max_depth: 3 });
    const artifact = readOnnxArtifact(await registry.loadArtifact(model, 1), { sha256: version.artifact.sha256 });
    expect(artifact.output.kind).toBe('pair');
    const memo = (await handle.describe()).memo as { training: { trainer: string; figures: Record<string, number> } };
    expect(memo.training.trainer).toBe('python');
    expect(memo.training.figures.trainExamples).toBeGreaterThan(EXAMPLES * 0.6);
    expect(memo.training.figures.undecodable).toBe(0);

    // The run promoted it: the deployment names it, and a scorer serves it.
    scorer = await startInProcessScorer(config, { registry, deployments }, { model, name: `python-${runId}` });
    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const records = featureRecords(`python-${runId}`, 0, SCORED);
    try {
      await producer.send('features', records.map((value) => ({ key: value.card_hash, value })));
    } finally {
      await producer.disconnect();
    }
    await waitFor('the records to be scored', async () => ((await metricValue(scorer!.metrics, 'tributary_scorer_records_total', { outcome: 'scored' })) >= SCORED ? true : undefined), 120_000, 100);
    await waitForGroupCaughtUp(clients.admin, defaultScorerGroupId(config, model), fraudTopic(config, 'features'));
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    for (const score of scores) expect(score).toMatchObject({ model_version: 1, model_runtime: 'onnx' });
    expect(new Set(scores.map((score) => score.prediction)).size).toBeGreaterThan(1);
  });
});
