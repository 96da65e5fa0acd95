/**
 * The deployment follower alone: a fake deployments topic hands it deployments, fake served
 * models answer with scripted swap outcomes, and a fake back-off records the waits.
 */
import { describe, expect, it } from 'vitest';
import { DeploymentFollower } from '../../src/serving/deployment-follower.js';
import type { DeploymentListener } from '../../src/serving/deployment-log.js';
import { ModelLoadError } from '../../src/serving/errors.js';
import type { ModelDeployment } from '../../src/serving/model-deployment.js';
import { createScorerMetrics, type ScorerMetrics } from '../../src/serving/scorer-metrics.js';
import type { ScoringModel } from '../../src/serving/scoring-model.js';
import type { ServingSnapshot, SwapOutcome } from '../../src/serving/served-models.js';
import { FRAUD_IDENTITY } from '../helpers/fraud-pipeline.js';
import { deploymentOf, MODEL, testVectoriser } from '../helpers/scoring-models.js';
import { recordingBackoff } from '../fakes/recording-backoff.js';

const SHA = 'b'.repeat(64);
const v1 = { version: 1, sha256: SHA };
const v2 = { version: 2, sha256: SHA };

function loadedModel(version: number): ScoringModel {
  return { model: MODEL, version, sha256: SHA, task: 'binary-classification', runtime: 'tfjs', threshold: 0.5, identity: FRAUD_IDENTITY, vectoriser: testVectoriser, score: () => Promise.resolve(new Float32Array(0)), dispose: () => undefined };
}

const timedOut = (version: number): ModelLoadError => new ModelLoadError(MODEL, version, 'the registry did not answer within 5000 ms', { retriable: true });
const corrupt = (version: number): ModelLoadError => new ModelLoadError(MODEL, version, 'the artifact sha256 differs from the deployment\'s', { retriable: false });

interface Harness {
  readonly follower: DeploymentFollower;
  readonly log: string[];
  readonly waits: number[];
  readonly served: ModelDeployment[];
  readonly metrics: ScorerMetrics;
  /** Hands a deployment to the follower as the deployments topic would. */
  deliver(deployment: ModelDeployment): Promise<void>;
}

/**
 * `outcomes`: what each apply() answers, in order; a swap makes the deployment current.
 * `latest`: what the deployments topic holds as the latest record (a function to throw).
 */
function harness(options: { outcomes: ('swapped' | 'unchanged' | ModelLoadError)[]; latest: () => ModelDeployment | undefined; current?: ServingSnapshot; consuming?: boolean; stopped?: boolean }): Harness {
  const log: string[] = [];
  const waits: number[] = [];
  const served: ModelDeployment[] = [];
  const metrics = createScorerMetrics();
  const outcomes = [...options.outcomes];
  let current = options.current;
  let listener: DeploymentListener | undefined;
  const backoff = recordingBackoff(waits, options.stopped ?? false);
  const follower = new DeploymentFollower(
    {
      deployments: {
        follow: (_model, onChange) => {
          listener = onChange;
          return Promise.resolve({ stop: () => Promise.resolve() });
        },
        latest: () => Promise.resolve().then(options.latest),
      },
      servedModels: {
        apply: (deployment): Promise<SwapOutcome> => {
          const next = outcomes.shift();
          if (next === undefined) throw new Error(`no outcome scripted for revision ${deployment.revision}`);
          if (next === 'unchanged') return Promise.resolve({ kind: 'unchanged', revision: deployment.revision });
          if (next instanceof ModelLoadError) return Promise.resolve({ kind: 'failed', revision: deployment.revision, error: next });
          current = { deployment, champion: deployment.champion ? loadedModel(deployment.champion.version) : undefined, challenger: undefined };
          return Promise.resolve({ kind: 'swapped', revision: deployment.revision, durationMs: 12.4, loaded: deployment.champion ? [deployment.champion.version] : [] });
        },
        current: () => current,
      },
      metrics,
      log: (line) => log.push(line),
      backoff,
      consuming: () => options.consuming ?? false,
      serve: (deployment) => {
        served.push(deployment);
        return Promise.resolve();
      },
    },
    MODEL,
  );
  return {
    follower,
    log,
    waits,
    served,
    metrics,
    async deliver(deployment) {
      if (listener === undefined) throw new Error('start() the follower first');
      await listener(deployment);
    },
  };
}

async function values(metrics: ScorerMetrics, name: 'swaps' | 'swapFailures'): Promise<Record<string, number>> {
  return Object.fromEntries((await metrics[name].get()).values.map(({ labels, value }) => [Object.values(labels).join('/'), value]));
}

const WAITING = `waiting: ${MODEL} has no deployment with a champion yet (publish one, e.g. through a rollout)`;

describe('DeploymentFollower', () => {
  it('says once that it waits while the model has no champion, and serves nothing', async () => {
    const noChampion = deploymentOf({ revision: 1, champion: null });
    const { follower, log, served, deliver } = harness({ outcomes: ['swapped'], latest: () => noChampion });
    await follower.start();
    expect(log).toEqual([WAITING]);
    await deliver(noChampion);
    expect(log).toEqual([WAITING, `deployment ${MODEL} r1: no champion (features tributary.features) by test: revision 1`, 'serving revision 1 after 12 ms']);
    expect(served).toEqual([]);
  });

  it('keeps a consuming worker consuming when a deployment takes the champion away (its records are dead-lettered NO_CHAMPION)', async () => {
    const noChampion = deploymentOf({ revision: 3, champion: null });
    const { follower, log, served, deliver } = harness({ outcomes: ['swapped'], latest: () => noChampion, consuming: true });
    await follower.start();
    await deliver(noChampion);
    expect(served).toEqual([noChampion]);
    expect(log.filter((line) => line === WAITING)).toHaveLength(1);
  });

  it('tries a load that timed out again after 200 then 400 ms while its revision is the latest, then serves it and shows its models', async () => {
    const deployment = deploymentOf({ revision: 2, champion: v2 });
    const { follower, log, waits, served, metrics, deliver } = harness({ outcomes: [timedOut(2), timedOut(2), 'swapped'], latest: () => deployment });
    await follower.start();
    await deliver(deployment);
    expect(waits).toEqual([200, 400]);
    expect(log).toEqual([
      `deployment ${MODEL} r2: champion v2 (features tributary.features) by test: revision 2`,
      `cannot serve ${MODEL} version 2: the registry did not answer within 5000 ms; nothing is served yet; trying again in 200 ms`,
      `cannot serve ${MODEL} version 2: the registry did not answer within 5000 ms; nothing is served yet; trying again in 400 ms`,
      'serving revision 2 (loaded v2) after 12 ms',
    ]);
    expect(served).toEqual([deployment]);
    expect(await values(metrics, 'swaps')).toEqual({ failed: 2, swapped: 1 });
    expect(await values(metrics, 'swapFailures')).toEqual({ champion: 2 });
    expect((await metrics.modelInfo.get()).values).toEqual([{ labels: { model: MODEL, role: 'champion', version: '2', revision: '2' }, value: 1 }]);
  });

  it('does not try a corrupt artifact again: keeps serving the previous revision, which the worker keeps consuming for', async () => {
    const previous = deploymentOf({ revision: 1, champion: v1 });
    const next = deploymentOf({ revision: 2, champion: v2 });
    const { follower, log, waits, served, metrics, deliver } = harness({
      outcomes: [corrupt(2)],
      latest: () => next,
      current: { deployment: previous, champion: loadedModel(1), challenger: undefined },
    });
    await follower.start();
    await deliver(next);
    expect(waits).toEqual([]);
    expect(log.at(-1)).toBe(`cannot serve ${MODEL} version 2: the artifact sha256 differs from the deployment's; still serving revision 1`);
    expect(served).toEqual([previous]);
    expect((await metrics.modelInfo.get()).values).toEqual([{ labels: { model: MODEL, role: 'champion', version: '1', revision: '1' }, value: 1 }]);
  });

  it('stops trying a revision once a later one is the latest, and keeps trying while the deployments topic cannot be read', async () => {
    const stale = deploymentOf({ revision: 2, champion: v2 });
    const superseded = harness({ outcomes: [timedOut(2)], latest: () => deploymentOf({ revision: 3, champion: v2 }) });
    await superseded.follower.start();
    await superseded.deliver(stale);
    expect(superseded.waits).toEqual([]);
    // Nothing loaded and nothing consumed: the worker goes on waiting.
    expect(superseded.log.slice(-2)).toEqual([`cannot serve ${MODEL} version 2: the registry did not answer within 5000 ms; nothing is served yet`, WAITING]);

    let reads = 0;
    const unreadable = harness({
      outcomes: [timedOut(2), 'swapped'],
      latest: () => {
        reads += 1;
        // The first read is start()'s; the next ones ask whether revision 2 is still the latest.
        if (reads > 1) throw new Error('the deployments topic is not readable');
        return stale;
      },
    });
    await unreadable.follower.start();
    await unreadable.deliver(stale);
    expect(unreadable.waits).toEqual([200]);
    expect(unreadable.served).toEqual([stale]);
  });

  it('applies nothing once the worker stops', async () => {
    const deployment = deploymentOf({ revision: 2, champion: v2 });
    const { follower, log, served, deliver } = harness({ outcomes: [], latest: () => deployment, stopped: true });
    await follower.start();
    await deliver(deployment);
    expect(log).toEqual([]);
    expect(served).toEqual([]);
  });
});
