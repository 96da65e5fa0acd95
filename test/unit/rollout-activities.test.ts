/**
 * prepareRollout reads what the rollout measures from the model's applied pipeline (topics with
 * the prefix, label join key and field, task, the definition's rollout section), and refuses a
 * model whose pipeline is not applied in one line, before it changes anything in the registry.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createRolloutActivities, type PreparedRollout } from '../../src/activities/rollout-activities.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { InMemoryModelRegistry } from '../../src/registry/in-memory-model-registry.js';
import type { LiveMetricsReader } from '../../src/rollout/live-metrics-reader.js';
import type { DeploymentLog } from '../../src/serving/deployment-log.js';

const lineage = { offsetRanges: [], featureSchemaId: 1, featureJobVersions: [], codeVersion: 'test', featureVectorVersion: 1, hyperParameters: {}, backend: 'cpu', splitBoundaries: {}, trainedBy: 'test' };
const author = { by: 'alice', reason: 'try v2' };
/** Nothing here reads Kafka or the deployments: prepareRollout uses the registry and the pipeline store only. */
const unused = <T>(): T => new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) }) as T;

async function registryWithChallenger(model: string): Promise<InMemoryModelRegistry> {
  const registry = new InMemoryModelRegistry();
  for (let version = 1; version <= 2; version += 1) await registry.registerVersion({ model, metrics: {}, threshold: 0.5, lineage, artifact: Uint8Array.of(version) }, author);
  await registry.setStage(model, 1, 'champion', author);
  return registry;
}

const delivery = {
  name: 'delivery-time',
  labels: { topic: 'deliveries', schema: 'delivery.avsc', joinKey: 'order_id', field: 'delivery_minutes', eventTime: 'delivered_at' },
  model: { task: 'regression', inputs: [] },
  rollout: { plan: { guardrails: { maxWorse: { mae: 1 } } } },
} as unknown as PipelineDefinition;

function activities(registry: InMemoryModelRegistry, pipelines: InMemoryPipelineStore) {
  return createRolloutActivities({ registry, deployments: unused<DeploymentLog>(), liveMetrics: unused<LiveMetricsReader>(), features: unused(), pipelines, topicPrefix: 'dev.' });
}

describe('prepareRollout', () => {
  it('returns the pipeline\'s topics, label fields, task and rollout section with the two versions', async () => {
    const registry = await registryWithChallenger('delivery-time');
    const pipelines = new InMemoryPipelineStore();
    await pipelines.record({ name: 'delivery-time', definition: delivery, files: {}, digest: 'd1', appliedBy: 'alice', appliedAt: '2026-01-01T00:00:00Z' });
    const prepared: PreparedRollout = await new MockActivityEnvironment().run(activities(registry, pipelines).prepareRollout, { model: 'delivery-time', challengerVersion: 2, author });
    expect(prepared.source).toEqual({
      task: 'regression',
      topics: { scores: 'dev.delivery-time.scores', labels: 'dev.deliveries', dlq: 'dev.delivery-time.dlq' },
      labelKey: 'order_id',
      labelField: 'delivery_minutes',
      pipelineRevision: 1,
    });
    expect(prepared.rollout).toEqual({ plan: { guardrails: { maxWorse: { mae: 1 } } } });
    expect((await registry.getVersion('delivery-time', 2)).stage).toBe('challenger');
  });

  it('refuses a model whose pipeline is not applied, in one line, leaving the candidate as it was', async () => {
    const registry = await registryWithChallenger('delivery-time');
    const refused = new MockActivityEnvironment().run(activities(registry, new InMemoryPipelineStore()).prepareRollout, { model: 'delivery-time', challengerVersion: 2, author });
    await expect(refused).rejects.toThrow(
      'rollout of delivery-time: no pipeline named delivery-time is applied, so its scores and labels topics are unknown; apply its definition first: `tributary pipeline apply <file>`',
    );
    expect((await registry.getVersion('delivery-time', 2)).stage).toBe('candidate');
  });
});
