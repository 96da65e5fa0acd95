/**
 * abRollout on a real worker and the real Temporal server, with fake activities and short
 * intervals: automatic promotion, automatic rollback on a guardrail, a person's promotion through
 * an update, refused updates with their reasons, the default action at the decision timeout,
 * pause and resume, manual traffic, signals, a refused second start, and continue-as-new.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutPlan } from '../../src/workflows/ab-rollout-plan.js';
import {
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackSignal,
  rollbackUpdate,
  rolloutStatusQuery,
  rolloutWorkflowId,
  setTrafficUpdate,
  type abRollout,
  type RolloutStatus,
} from '../../src/workflows/ab-rollout.js';
import { TributaryChallengerVersion, TributaryChampionVersion, TributaryModelName, TributaryModelVersion, TributaryStage } from '../../src/temporal/search-attributes.js';
import { waitFor } from '../helpers/wait-for.js';
import { computeLiveMetrics } from '../../src/rollout/live-metrics.js';
import { BASELINE, BETTER, CHALLENGER_VERSION, CHAMPION_VERSION, createFakeRolloutActivities, FAKE_SOURCE, liveMetrics, WORSE_FPR } from './fake-rollout-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from './workflow-harness.js';

const fakes = createFakeRolloutActivities();
let harness: WorkflowHarness;
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  harness = await startWorkflowHarness(fakes.activities);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((handle) => handle.terminate('test finished').catch(() => undefined)));
});
afterAll(async () => harness?.close());

/** Two steps, no minimum duration, 1000 labelled scores per variant, polled every 100 ms. */
const TWO_STEPS: RolloutPlan = {
  steps: [
    { mode: 'SHADOW', percent: 0, minSamples: 1000, minDurationMs: 0 },
    { mode: 'SPLIT', percent: 50, minSamples: 1000, minDurationMs: 0 },
  ],
  pollIntervalMs: 100,
};

async function startRollout(model: string, plan: RolloutPlan = TWO_STEPS): Promise<WorkflowHandle<typeof abRollout>> {
  const handle = await harness.client.workflow.start<typeof abRollout>('abRollout', {
    taskQueue: harness.taskQueue,
    workflowId: rolloutWorkflowId(model),
    args: [{ model, challengerVersion: CHALLENGER_VERSION, plan, requestedBy: 'test' }],
    typedSearchAttributes: [{ key: TributaryModelName, value: model }],
  });
  started.push(handle);
  return handle;
}

const status = (handle: WorkflowHandle): Promise<RolloutStatus> => handle.query(rolloutStatusQuery);
const phaseReached = (handle: WorkflowHandle, phase: RolloutStatus['phase']): Promise<RolloutStatus> =>
  waitFor(`phase ${phase}`, async () => {
    const now = await status(handle);
    return now.phase === phase ? now : undefined;
  });
/** The message of a refused update, as the caller sees it. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((error as Error).cause as Error).message;
}

describe('abRollout', () => {
  it('ramps shadow → 50 % and promotes a significantly better challenger on the last step, recording the figures', async () => {
    const model = uniqueModel('rollout-promote');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, BETTER);
    const handle = await startRollout(model);
    const outcome = await handle.result();

    expect(outcome).toMatchObject({ model, action: 'promote', championVersion: CHALLENGER_VERSION, challengerVersion: CHALLENGER_VERSION });
    expect(outcome.decision.by).toBe(`workflow:${rolloutWorkflowId(model)}`);
    expect(outcome.decision.reason).toMatch(/^automatic promotion: challenger v2's recall 0\.9500 is significantly better than champion v1's 0\.7000 \(z=4\.\d\d, p=.+ < α 0\.05\)$/);
    const record = fakes.recordOf(model);
    expect(record.routings.map(({ mode, share }) => ({ mode, share }))).toEqual([
      { mode: 'SHADOW', share: 0 },
      { mode: 'SPLIT', share: 0.5 },
    ]);
    expect(record.decisions).toHaveLength(1);
    expect(record.decisions[0]).toMatchObject({ action: 'promote', champion: { version: CHAMPION_VERSION }, challenger: { version: CHALLENGER_VERSION } });
    // The registry's history gets the figures with the reason.
    expect(record.decisions[0]!.author.reason).toContain('| champion v1: 1000 labelled of 1000, precision 0.7955 [');
    expect(record.decisions[0]!.author.reason).toContain('challenger v2: 1000 labelled of 1000');

    const final = await status(handle);
    expect(final.phase).toBe('promoted');
    expect(final.decisions.map((entry) => entry.action)).toEqual(['start', 'step', 'step', 'promote']);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(TributaryStage)).toBe('promoted');
    expect(description.typedSearchAttributes.get(TributaryModelVersion)).toBe(String(CHALLENGER_VERSION));
    expect(description.typedSearchAttributes.get(TributaryChallengerVersion)).toBe(CHALLENGER_VERSION);
    // The champion after the promotion.
    expect(description.typedSearchAttributes.get(TributaryChampionVersion)).toBe(CHALLENGER_VERSION);
    expect(((await description.memo) as { phase?: string } | undefined)?.phase).toBe('promoted');
    await harness.recordHistory('ab-rollout-auto-promote', handle);
  });

  it('rolls back automatically when the challenger breaches the false-positive-rate guardrail', async () => {
    const model = uniqueModel('rollout-guardrail');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, WORSE_FPR);
    const handle = await startRollout(model);
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ action: 'rollback', championVersion: CHAMPION_VERSION });
    expect((await handle.describe()).typedSearchAttributes.get(TributaryChampionVersion)).toBe(CHAMPION_VERSION);
    expect(outcome.decision.reason).toMatch(/^guardrail: challenger v2's false-positive rate 0\.2000 is worse than champion v1's 0\.0200 by more than 0\.01 \(z=12\.\d\d/);
    expect(fakes.recordOf(model).decisions.map((entry) => entry.action)).toEqual(['rollback']);
    // Still in shadow: the guardrail acted before the ramp went on.
    expect(fakes.recordOf(model).routings).toHaveLength(1);
    await harness.recordHistory('ab-rollout-guardrail-rollback', handle);
  });

  it('without a plan of its own, follows the pipeline definition\'s: a regression challenger worse on MAE by more than its margin is rolled back in shadow', async () => {
    const model = uniqueModel('rollout-definition');
    fakes.switchesOf(model).definition = {
      plan: { steps: [{ mode: 'SHADOW', percent: 0, minSamples: 200, minDuration: '1m' }], guardrails: { maxWorse: { mae: 1 } }, promotion: { metric: 'mae' }, pollInterval: '1s' },
    };
    // 100 delivered orders in shadow: the champion misses by 1 minute on each, the challenger by 3 or 3.5.
    const scores = Array.from({ length: 100 }, (_, index) => ({
      event_id: `o${index}`,
      prediction: 31,
      decision: null,
      model,
      model_version: CHAMPION_VERSION,
      variant: 'CHAMPION' as const,
      shadow: { model_version: CHALLENGER_VERSION, prediction: index % 2 === 0 ? 33 : 26.5, decision: null },
      deployment_revision: 11,
      scoring_ms: 5,
    }));
    fakes.switchesOf(model).metrics = computeLiveMetrics(
      { model, championVersion: CHAMPION_VERSION, challengerVersion: CHALLENGER_VERSION, fromRevision: 11, confidence: 0.95 },
      scores,
      new Map(scores.map((score) => [score.event_id, 30])),
      { task: 'regression', dlqRecords: 0, undecodable: 0 },
    );
    const handle = await startRollout(model, {});
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ action: 'rollback', championVersion: CHAMPION_VERSION });
    expect(outcome.decision.reason).toMatch(/^guardrail: challenger v2's MAE 3\.250 is worse than champion v1's 1\.000 by more than 1 \(.*paired on 100 events\)$/);
    const final = await status(handle);
    // The definition's one step with its minimum duration in ms, and the pipeline's topics and label fields on every read.
    expect(final.steps).toEqual([{ mode: 'SHADOW', percent: 0, minSamples: 200, minDurationMs: 60_000 }]);
    expect(final.source).toEqual(FAKE_SOURCE);
    expect(fakes.recordOf(model).sources.length).toBeGreaterThanOrEqual(2);
    for (const source of fakes.recordOf(model).sources) expect(source).toEqual(FAKE_SOURCE);
    await harness.recordHistory('ab-rollout-definition-plan', handle);
  });

  it('with the default guardrails, ramps past a challenger as slow as the champion at the checkpoint delay and rolls back one slower than it', async () => {
    // Both variants wait for the feature job's 10 s checkpoints (the local stack's default) before they can score.
    const model = uniqueModel('rollout-latency');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, BASELINE, { championP99Ms: 10_150, challengerP99Ms: 10_150 });
    const handle = await startRollout(model);
    await phaseReached(handle, 'awaiting-decision');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, BASELINE, { championP99Ms: 10_150, challengerP99Ms: 11_000 });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ action: 'rollback', championVersion: CHAMPION_VERSION });
    expect(outcome.decision.reason).toBe("guardrail: challenger v2's p99 scoring latency 11000.0 ms is more than 500 ms above champion v1's 10150.0 ms on the same traffic (1000 vs 1000 scores)");
    await harness.recordHistory('ab-rollout-latency-rollback', handle);
  });

  it('waits for a person after the last step and promotes through the update, which returns the new status', async () => {
    const model = uniqueModel('rollout-human');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, BASELINE);
    const handle = await startRollout(model);
    const awaiting = await phaseReached(handle, 'awaiting-decision');
    expect(awaiting.lastEvaluation).toBe('the last step completed with 1000 labelled scores per variant and no significant difference on recall');
    expect(awaiting.decisionDeadline).toBeGreaterThan(Date.now());

    const after = await handle.executeUpdate(promoteUpdate, { args: [{ by: 'alice', reason: 'equal quality, cheaper model' }] });
    expect(after.phase).toBe('promoted');
    expect(after.decisions.at(-1)).toMatchObject({ action: 'promote', by: 'alice', reason: 'equal quality, cheaper model' });
    expect(await handle.result()).toMatchObject({ action: 'promote', decision: { by: 'alice' } });
    expect(fakes.recordOf(model).decisions[0]!.author).toMatchObject({ by: 'alice' });
    await harness.recordHistory('ab-rollout-human-promote', handle);
  });

  it('refuses a promotion before the minimum sample without force, bad traffic, and updates after the end, each with its reason', async () => {
    const model = uniqueModel('rollout-refused');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const handle = await startRollout(model);
    await waitFor('a first poll', async () => ((await status(handle)).metrics !== null ? true : undefined));

    expect(await refusal(handle.executeUpdate(promoteUpdate, { args: [{ by: 'bob' }] }))).toBe(`challenger v2 has 120 of 1000 labelled scores; to promote anyway, force it (\`tributary promote ${model} --force\`, or "force": true in the promote update's argument)`);
    expect(await refusal(handle.executeUpdate(setTrafficUpdate, { args: [{ by: 'bob', percent: 150 }] }))).toBe('traffic must be a percentage from 0 to 100, got 150');
    expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] }))).toBe(`the rollout of ${model} is running; only a paused rollout or one on manual traffic can resume`);
    expect((await status(handle)).phase).toBe('running');

    const forced = await handle.executeUpdate(promoteUpdate, { args: [{ by: 'bob', reason: 'incident fix', force: true }] });
    expect(forced.decisions.at(-1)).toMatchObject({ action: 'promote', by: 'bob', reason: 'incident fix (forced)' });
    await handle.result();
    // Once the run has completed the server refuses updates itself; the CLI says the rollout ended.
    await expect(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'bob' }] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('takes the default action when nobody decides before the timeout', async () => {
    const model = uniqueModel('rollout-timeout');
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, BASELINE);
    const handle = await startRollout(model, { ...TWO_STEPS, decisionTimeoutMs: 1500, defaultAction: 'rollback' });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ action: 'rollback', championVersion: CHAMPION_VERSION });
    expect(outcome.decision.reason).toBe('nobody decided within 1500 ms after the last step; the default action is rollback');
    const actions = (await status(handle)).decisions.map((entry) => entry.action);
    expect(actions).toEqual(['start', 'step', 'step', 'await-decision', 'rollback']);
    await harness.recordHistory('ab-rollout-timeout-default', handle);
  });

  it('takes no automatic action while paused, acts again on resume; set-traffic holds the plan until resume', async () => {
    const model = uniqueModel('rollout-pause');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const handle = await startRollout(model);
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'carol', reason: 'investigating an alert' }] });
    expect(paused).toMatchObject({ phase: 'paused', pausedFrom: 'running' });

    // A breach while paused does nothing: polls go on, the rollout stays.
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, WORSE_FPR);
    const callsBefore = fakes.recordOf(model).metricsCalls;
    await waitFor('three polls while paused', () => (fakes.recordOf(model).metricsCalls >= callsBefore + 3 ? true : undefined));
    expect((await status(handle)).phase).toBe('paused');
    expect(fakes.recordOf(model).decisions).toEqual([]);

    // Manual traffic while paused: the plan holds; guardrails stay on once resumed.
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const manual = await handle.executeUpdate(setTrafficUpdate, { args: [{ by: 'carol', percent: 30, reason: 'more signal' }] });
    expect(manual).toMatchObject({ phase: 'manual', traffic: { mode: 'SPLIT', percent: 30 } });
    expect(fakes.recordOf(model).routings.at(-1)).toMatchObject({ mode: 'SPLIT', share: 0.3, author: { by: 'carol', reason: 'more signal' } });

    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'carol' }] });
    expect(resumed).toMatchObject({ phase: 'running', stepIndex: 0, traffic: { mode: 'SHADOW', percent: 0 } });
    fakes.switchesOf(model).metrics = liveMetrics(BASELINE, WORSE_FPR);
    expect(await handle.result()).toMatchObject({ action: 'rollback' });
    expect((await status(handle)).decisions.map((entry) => entry.action)).toEqual(['start', 'step', 'pause', 'set-traffic', 'step', 'rollback']);
    await harness.recordHistory('ab-rollout-pause-resume', handle);
  });

  it('stays where it was when a routing change fails, and tells the person who asked for it', async () => {
    const model = uniqueModel('rollout-routing-failure');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const handle = await startRollout(model);
    await waitFor('a first poll', async () => ((await status(handle)).metrics !== null ? true : undefined));
    fakes.switchesOf(model).routingRefusal = 'deployment of m: the deployments topic is unreachable';
    expect(await refusal(handle.executeUpdate(setTrafficUpdate, { args: [{ by: 'frank', percent: 20 }] }))).toBe(
      'publishing the routing failed: deployment of m: the deployments topic is unreachable',
    );
    // (lastError says the same until the next good poll clears it.)
    expect(await status(handle)).toMatchObject({ phase: 'running', traffic: { mode: 'SHADOW', percent: 0 } });
    fakes.switchesOf(model).routingRefusal = undefined;
    expect(await handle.executeUpdate(setTrafficUpdate, { args: [{ by: 'frank', percent: 20 }] })).toMatchObject({ phase: 'manual', traffic: { mode: 'SPLIT', percent: 20 } });
    await handle.signal(rollbackSignal, { by: 'frank' });
    expect(await handle.result()).toMatchObject({ action: 'rollback' });
  });

  it('takes the same operations as signals', async () => {
    const model = uniqueModel('rollout-signal');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const handle = await startRollout(model);
    await handle.signal(rollbackSignal, { by: 'dave', reason: 'paged at night' });
    expect(await handle.result()).toMatchObject({ action: 'rollback', decision: { by: 'dave', reason: 'paged at night' } });
  });

  it('refuses a second rollout of the same model while one runs', async () => {
    const model = uniqueModel('rollout-twice');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    await startRollout(model);
    await expect(startRollout(model)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });

  it('keeps its status and decision log across continue-as-new', async () => {
    const model = uniqueModel('rollout-continue');
    fakes.switchesOf(model).metrics = liveMetrics(small(), small());
    const handle = await startRollout(model, { ...TWO_STEPS, pollsPerRun: 2 });
    const firstRun = (await handle.describe()).runId;
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'erin' }] });
    const continued = await waitFor('a new run', async () => ((await handle.describe()).runId !== firstRun ? true : undefined));
    expect(continued).toBe(true);
    const carried = await status(handle);
    expect(carried).toMatchObject({ phase: 'paused', challenger: { version: CHALLENGER_VERSION } });
    expect(carried.polls).toBeGreaterThanOrEqual(2);
    expect(carried.decisions.map((entry) => entry.action)).toEqual(['start', 'step', 'pause']);
    await handle.signal(rollbackSignal, { by: 'erin' });
    expect(await handle.result()).toMatchObject({ action: 'rollback' });
    await harness.recordHistory('ab-rollout-continued-as-new', harness.client.workflow.getHandle(rolloutWorkflowId(model), firstRun));
  });

  it('fails at once, non-retryably, on a bad plan', async () => {
    const model = uniqueModel('rollout-bad-plan');
    const handle = await startRollout(model, { steps: [{ mode: 'SPLIT', percent: 0, minSamples: 10, minDurationMs: 0 }], pollIntervalMs: 0 });
    await expect(handle.result()).rejects.toMatchObject({
      cause: { message: 'invalid rollout input: plan.steps[0].percent=0: a SPLIT step needs a share above 0 (or use mode SHADOW); plan.pollIntervalMs=0: expected a whole number >= 1' },
    });
  });
});

/** 120 labelled scores per variant: below every minimum sample of the test plan. */
function small(): typeof BASELINE {
  return { truePositives: 8, falseNegatives: 4, falsePositives: 2, trueNegatives: 106 };
}
