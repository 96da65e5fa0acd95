/**
 * The real scorer across runtimes (real Kafka, Schema Registry and registry): a TensorFlow.js
 * champion with an ONNX challenger in shadow (the same weights, exported), then the ONNX version
 * promoted. Read back read_committed: every input scored exactly once; in shadow every score is
 * the champion's, stamped tfjs, with the challenger's shadow stamped onnx and within 1e-5 of it;
 * after the promotion every later score is the ONNX version's, stamped onnx.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { serialiseModelArtifact, serialiseOnnxArtifact } from '../../src/registry/model-artifact.js';
import type { KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import type { ServedModel } from '../../src/serving/model-deployment.js';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { createClassifierNetwork } from '../../src/training/model.js';
import { fitVectoriser } from '../../src/vectoriser/fit-vectoriser.js';
import { VECTORISER_LAYOUT_VERSION } from '../../src/vectoriser/vectoriser-spec.js';
import { FRAUD_FEATURE_FIELDS, FRAUD_IDENTITY, fraudDefinition } from '../helpers/fraud-pipeline.js';
import { denseOnnxModel, type DenseLayer } from '../helpers/onnx-graph.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { featureRecords, metricValue, readScores, scoreAccounting, scoringRunConfig, startInProcessScorer, waitForGroupCaughtUp, type InProcessScorer } from '../helpers/scoring.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-onnx');
const MODEL = 'fraud';
const RECORDS = 400;

/** Registers one network as a tfjs version and the same weights as an onnx version. */
async function registerTwins(registry: KafkaModelRegistry): Promise<{ tfjs: ServedModel; onnx: ServedModel }> {
  const spec = fitVectoriser(fraudDefinition.model.inputs, featureRecords('vectoriser', 0, 200), FRAUD_FEATURE_FIELDS);
  const network = createClassifierNetwork({ inputWidth: spec.columns.length, hiddenUnits: [8], seed: 4 });
  const metadata = { model: MODEL, trainedAt: new Date().toISOString(), backend: 'test', codeVersion: 'test' };
  const lineage = { offsetRanges: [], featureSchemaId: 1, featureJobVersions: [], codeVersion: 'test', featureVectorVersion: VECTORISER_LAYOUT_VERSION, hyperParameters: {}, backend: 'test', splitBoundaries: {}, trainedBy: 'scoring-test' };
  try {
    const tfjsBytes = (await serialiseModelArtifact({ model: network, vectoriser: spec, task: 'binary-classification', identity: FRAUD_IDENTITY, threshold: 0.5, metadata })).bytes;
    const layers: DenseLayer[] = network.layers.map((dense, index) => {
      const [kernel, bias] = dense.getWeights();
      return { kernel: kernel!.dataSync() as Float32Array, bias: bias!.dataSync() as Float32Array, activation: index === network.layers.length - 1 ? 'sigmoid' : 'relu' };
    });
    const onnxBytes = serialiseOnnxArtifact({
      onnx: denseOnnxModel({ inputWidth: spec.columns.length, layers }),
      inputSignature: { name: 'features', type: 'float32', shape: ['rows', spec.columns.length] },
      output: { name: 'score', kind: 'score' },
      vectoriser: spec,
      task: 'binary-classification',
      identity: FRAUD_IDENTITY,
      threshold: 0.5,
      metadata,
    }).bytes;
    const author = { by: 'scoring-test', reason: 'runtime twins' };
    const tfjs = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, artifact: tfjsBytes, lineage }, author);
    const onnx = await registry.registerVersion({ model: MODEL, metrics: {}, threshold: 0.5, artifact: onnxBytes, runtime: 'onnx', lineage }, author);
    return { tfjs: { version: tfjs.version, sha256: tfjs.artifact.sha256 }, onnx: { version: onnx.version, sha256: onnx.artifact.sha256 } };
  } finally {
    network.dispose();
  }
}

describe('an ONNX challenger beside a TensorFlow.js champion in the real scorer', () => {
  const clients = useScoringClients(config, 'scoring-onnx');
  let scorer: InProcessScorer | undefined;

  afterAll(async () => {
    await scorer?.stop();
  });

  it('shadows, then promotes, the ONNX version; every score once, stamped with the runtime that made it', async () => {
    const { kafka, admin, registry, deployments } = clients;
    const { tfjs, onnx } = await registerTwins(registry);
    const shadowing = await deployments.publish(MODEL, { champion: tfjs, challenger: onnx, challengerMode: 'SHADOW', updatedBy: 'scoring-test', reason: 'onnx in shadow' });
    scorer = await startInProcessScorer(config, { registry, deployments }, { model: MODEL });
    const { logs, metrics } = scorer;
    onTestFailed(() => console.error(`scorer log:\n${logs.join('\n')}`));

    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const scored = (): Promise<number> => metricValue(metrics, 'tributary_scorer_records_total', { outcome: 'scored' });
    const send = async (from: number): Promise<string[]> => {
      const records = featureRecords('onnx', from, RECORDS);
      await producer.send('features', records.map((value) => ({ key: value.card_hash, value })));
      return records.map((record) => record.transaction_id);
    };
    let inputIds: string[];
    try {
      inputIds = await send(0);
      await waitFor('the shadow batch to be scored', async () => ((await scored()) >= RECORDS ? true : undefined), 120_000, 100);
      const promoted = await deployments.publish(MODEL, { champion: onnx, challenger: null, challengerMode: 'NONE', updatedBy: 'scoring-test', reason: 'onnx promoted' });
      await waitFor('the promotion to be swapped in', async () => ((await metricValue(metrics, 'tributary_scorer_model_swaps_total', { outcome: 'swapped' })) >= 2 ? true : undefined), 60_000, 50);
      inputIds = [...inputIds, ...(await send(RECORDS))];
      expect(promoted.revision).toBeGreaterThan(shadowing.revision);
    } finally {
      await producer.disconnect();
    }

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), fraudTopic(config, 'features'));
    const scores = await readScores(kafka, config);
    expect(scoreAccounting(scores, inputIds)).toEqual({ duplicates: [], missing: [], unexpected: [] });
    const inShadow = scores.filter((score) => Number(score.deployment_revision) === shadowing.revision);
    const afterPromotion = scores.filter((score) => Number(score.deployment_revision) !== shadowing.revision);
    expect(inShadow).toHaveLength(RECORDS);
    for (const score of inShadow) {
      expect(score).toMatchObject({ model_version: tfjs.version, model_runtime: 'tfjs', variant: 'CHAMPION', shadow: { model_version: onnx.version, model_runtime: 'onnx' } });
      expect(Math.abs(score.shadow!.prediction - score.prediction)).toBeLessThan(1e-5);
    }
    expect(afterPromotion).toHaveLength(RECORDS);
    for (const score of afterPromotion) expect(score).toMatchObject({ model_version: onnx.version, model_runtime: 'onnx', shadow: null });
  });
});
