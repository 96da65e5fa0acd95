/**
 * trainingPipeline on a real worker and the real Temporal server, with fake activities: the
 * decisions after evaluation, refusal of too little data, resumption of training from the
 * last heartbeat after a crashed attempt, and the definition's settings left to the activities
 * with the revision the dataset step read pinned for the later steps.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { trainingPipeline, TrainingPipelineInput } from '../../src/workflows/training-pipeline.js';
import { TributaryModelName, TributaryModelVersion, TributaryStage } from '../../src/temporal/search-attributes.js';
import { trainingTaskQueue } from '../../src/workflows/task-queues.js';
import { rolloutStatusQuery, rolloutWorkflowId } from '../../src/workflows/ab-rollout.js';
import { temporal } from '@temporalio/proto';
import { waitFor } from '../helpers/wait-for.js';
import { createFakeActivities, FAKE_PIPELINE_REVISION, TOPIC } from './fake-activities.js';
import { createFakeRolloutActivities } from './fake-rollout-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from './workflow-harness.js';

const fakes = createFakeActivities();
const rolloutFakes = createFakeRolloutActivities();
let harness: WorkflowHarness;

beforeAll(async () => {
  harness = await startWorkflowHarness({ ...fakes.activities, ...rolloutFakes.activities });
});
afterAll(async () => harness?.close());

const RANGES = [0, 1].map((partition) => ({ topic: TOPIC, partition, fromOffset: '0', toOffset: '2500' }));

async function startPipeline(model: string, run: number, input: Partial<TrainingPipelineInput> = {}) {
  return harness.client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
    taskQueue: harness.taskQueue,
    workflowId: `training:${model}:${run}`,
    args: [{ model, data: { kind: 'ranges', ranges: RANGES }, triggeredBy: 'alice', gates: { minRocAuc: 0.7 }, ...input }],
  });
}

describe('trainingPipeline', () => {
  it('promotes the first model, makes a better one challenger and rejects a worse one with the reason', async () => {
    const model = uniqueModel('pipeline');
    fakes.switchesOf(model).candidatePrAucs = [0.6, 0.7, 0.55];

    const first = await startPipeline(model, 1);
    expect(await first.result()).toMatchObject({
      version: 1,
      stage: 'champion',
      reason: 'first model passed gates',
      nextStep: 'none',
      offsetRanges: RANGES,
      championVersion: null,
    });
    await harness.recordHistory('training-pipeline-first-champion', first);
    const description = await first.describe();
    expect(description.typedSearchAttributes.get(TributaryModelName)).toBe(model);
    expect(description.typedSearchAttributes.get(TributaryModelVersion)).toBe('1');
    expect(description.typedSearchAttributes.get(TributaryStage)).toBe('champion');
    expect(description.memo).toMatchObject({ version: 1, metrics: { prAuc: 0.6, recall: 0.8, testPositives: 30, testNegatives: 270 }, verdict: 'v1 champion: first model passed gates' });
    // A first model has no champion to compare with; its own rates still carry their Wilson intervals (24/30: [0.627, 0.905]).
    expect((description.memo?.metrics as Record<string, number>).recallLower).toBeCloseTo(0.627, 3);
    expect((description.memo?.metrics as Record<string, number>).championVersion).toBeUndefined();

    const better = await startPipeline(model, 2);
    const betterResult = await better.result();
    expect(betterResult).toMatchObject({ version: 2, stage: 'challenger', nextStep: 'rollout', championVersion: 1 });
    expect(betterResult.reason).toBe(
      'passed gates and beats champion v1 on prAuc by 0.1000; at the operating point: FPR at its threshold for recall 0.80 (0.500) is 0.037 [0.020, 0.067] ' +
        "vs champion v1's 0.037 [0.020, 0.067] at its serving threshold 0.500; recall 0.800 [0.627, 0.905] vs 0.800 [0.627, 0.905]; on the same 300 examples (30 positive)",
    );
    await harness.recordHistory('training-pipeline-challenger', better);
    // The challenger's rollout runs on as an abandoned child, v2 against v1.
    expect(betterResult.rollout).toEqual({ workflowId: rolloutWorkflowId(model), started: true, note: `started ${rolloutWorkflowId(model)}` });
    const rollout = harness.client.workflow.getHandle(rolloutWorkflowId(model));
    const rolloutStatus = await waitFor('the rollout to take its first step', async () => {
      const now = await rollout.query(rolloutStatusQuery);
      return now.measurement === null ? undefined : now;
    });
    expect(rolloutStatus).toMatchObject({ phase: 'running', champion: { version: 1 }, challenger: { version: 2 } });
    expect(rolloutStatus.decisions[0]).toMatchObject({ action: 'start', by: `workflow:training:${model}:2` });
    const initiated = (await better.fetchHistory()).events?.find((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes;
    expect(initiated?.parentClosePolicy).toBe(temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON);
    await rollout.terminate('test finished');

    const worse = await startPipeline(model, 3);
    const worseResult = await worse.result();
    expect(worseResult).toMatchObject({ version: 3, stage: 'rejected', nextStep: 'none' });
    expect(worseResult.reason).toBe('quality gates failed: prAuc 0.5500 does not beat champion v1 (0.6000) by the minimum improvement 0.005 (gain -0.0500)');
    await harness.recordHistory('training-pipeline-rejected', worse);

    expect(fakes.recordOf(model).versions).toEqual([
      { version: 1, stage: 'champion', prAuc: 0.6, reason: 'first model passed gates' },
      { version: 2, stage: 'challenger', prAuc: 0.7, reason: betterResult.reason },
      { version: 3, stage: 'rejected', prAuc: 0.55, reason: worseResult.reason },
    ]);
    expect(fakes.recordOf(model).champion).toBe(1);
  });

  it('rejects a candidate that beats the champion on PR-AUC but flags more legitimate transactions at its threshold, and records both operating points', async () => {
    const model = uniqueModel('operating');
    // v2: PR-AUC 0.7 against 0.6, but 60 of 270 legitimate flagged at its threshold against the champion's 10.
    Object.assign(fakes.switchesOf(model), { candidatePrAucs: [0.6, 0.7], candidateFalsePositives: [10, 60] });
    expect(await (await startPipeline(model, 1)).result()).toMatchObject({ stage: 'champion' });

    const handle = await startPipeline(model, 2);
    const result = await handle.result();
    // z = (60/270 − 10/270 − 0.01) / √(0.2222·0.7778/270 + 0.0370·0.9630/270) = 6.30, with the standard plan's margin 0.01.
    const reason =
      "quality gates failed: FPR at its threshold for recall 0.80 (0.500) is 0.222 [0.177, 0.276] vs champion v1's 0.037 [0.020, 0.067] at its serving threshold 0.500; " +
      'recall 0.800 [0.627, 0.905] vs 0.800 [0.627, 0.905]; on the same 300 examples (30 positive): worse by more than 0.01 (z=6.30, p=1.4e-10 < α 0.05)';
    expect(result).toMatchObject({ version: 2, stage: 'rejected', nextStep: 'none', championVersion: 1, reason });
    expect(result.rollout).toBeUndefined();
    expect(result.metrics).toMatchObject({ falsePositiveRate: 60 / 270, testNegatives: 270, championVersion: 1, championThreshold: 0.5, championFalsePositiveRate: 10 / 270, championRecall: 0.8 });
    expect(result.metrics.falsePositiveRateLower).toBeCloseTo(0.177, 3);
    expect(result.metrics.championFalsePositiveRateUpper).toBeCloseTo(0.067, 3);
    expect((await handle.describe()).memo).toMatchObject({ verdict: `v2 refused: ${reason}` });
    expect(fakes.recordOf(model).versions[1]).toMatchObject({ stage: 'rejected', prAuc: 0.7, reason });
    expect(fakes.recordOf(model).champion).toBe(1);
    await harness.recordHistory('training-pipeline-operating-point-refused', handle);
  });

  it('refuses to compare operating points on a test split with fewer positive examples than gates.minTestPositives', async () => {
    const model = uniqueModel('positives');
    fakes.switchesOf(model).candidatePrAucs = [0.6, 0.7];
    // The default minimum (30) lets the first model's 30 positives count; the second run asks for 40.
    expect(await (await startPipeline(model, 1)).result()).toMatchObject({ stage: 'champion' });
    const result = await (await startPipeline(model, 2, { gates: { minTestPositives: 40 } })).result();
    expect(result).toMatchObject({ stage: 'rejected' });
    expect(result.reason).toBe(
      'quality gates failed: the test split holds 30 positive examples, too few for a threshold to count: at least 40 are needed to compare operating points with champion v1; ' +
        'train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)',
    );
  });

  it('refuses a first model whose test split holds fewer positive examples than gates.minTestPositives, in one line', async () => {
    const model = uniqueModel('first-positives');
    fakes.switchesOf(model).candidatePrAucs = [0.6];
    const handle = await startPipeline(model, 1, { gates: { minTestPositives: 40 } });
    const result = await handle.result();
    const reason =
      'quality gates failed: the test split holds 30 positive examples, too few for its threshold to count: gates.minTestPositives asks for at least 40; ' +
      'train again once more positive labels have arrived (a wider range, or a trigger with a higher minPositives)';
    expect(result).toMatchObject({ stage: 'rejected', championVersion: null, reason });
    expect(reason).not.toContain('\n');
    expect((await handle.describe()).memo).toMatchObject({ verdict: `v1 refused: ${reason}` });
    expect(fakes.recordOf(model).champion).toBeUndefined();
    await harness.recordHistory('training-pipeline-first-model-few-positives', handle);
  });

  it('rejects a first model below the ROC-AUC gate instead of promoting it', async () => {
    const model = uniqueModel('gate');
    fakes.switchesOf(model).candidatePrAucs = [0.3];
    const handle = await startPipeline(model, 1);
    expect(await handle.result()).toMatchObject({ stage: 'rejected', reason: 'quality gates failed: ROC-AUC 0.5000 is below the minimum 0.7' });
    expect(fakes.recordOf(model).champion).toBeUndefined();
  });

  it("judges a regression by the definition's gates: MAE, R² and the minimum improvement over the champion's MAE, with no threshold", async () => {
    const model = uniqueModel('regression');
    // examples/delivery/pipeline.yaml's gates.
    fakes.switchesOf(model).regression = {
      definitionGates: { maxMae: 8, minR2: 0.3, primaryMetric: 'mae', minImprovement: 0.05 },
      candidates: [
        { mae: 6, rmse: 7.5, r2: 0.62 },
        { mae: 5.5, rmse: 7, r2: 0.66 },
        { mae: 5.48, rmse: 6.9, r2: 0.66 },
        { mae: 8.4, rmse: 10, r2: 0.2 },
      ],
    };
    const regressionRun = (run: number, input: Partial<TrainingPipelineInput> = {}) => startPipeline(model, run, { gates: undefined, ...input });

    const first = await regressionRun(1);
    expect(await first.result()).toMatchObject({ version: 1, stage: 'champion', reason: 'first model passed gates', metrics: { mae: 6, rmse: 7.5, r2: 0.62, testExamples: 200 } });

    const better = await regressionRun(2);
    const betterResult = await better.result();
    expect(betterResult).toMatchObject({ version: 2, stage: 'challenger', reason: 'passed gates and beats champion v1 on mae by 0.5000', championVersion: 1 });
    expect(betterResult.metrics).toEqual({ mae: 5.5, rmse: 7, r2: 0.66, testExamples: 200, championVersion: 1, championMae: 6, championRmse: 7.5, championR2: 0.5 });
    expect((await better.describe()).memo).toMatchObject({ champion: { version: 1, mae: 6, rmse: 7.5, r2: 0.5 } });
    await harness.recordHistory('training-pipeline-regression-challenger', better);
    await harness.client.workflow.getHandle(rolloutWorkflowId(model)).terminate('test finished');

    // 6 − 5.48 = 0.52 would pass the definition's 0.05; the run's input asks 1 for itself.
    const strict = await (await regressionRun(3, { gates: { minImprovement: 1 } })).result();
    expect(strict).toMatchObject({ stage: 'rejected', reason: 'quality gates failed: mae 5.4800 does not beat champion v1 (6.0000) by the minimum improvement 1 (gain 0.5200)' });

    const worse = await (await regressionRun(4)).result();
    expect(worse.reason).toBe(
      'quality gates failed: MAE 8.4000 is above the maximum 8; R² 0.2000 is below the minimum 0.3; mae 8.4000 does not beat champion v1 (6.0000) by the minimum improvement 0.05 (gain -2.4000)',
    );
    // No registration of a regression carries a decision threshold; no evaluation asked for an operating point.
    expect(fakes.recordOf(model).registeredThresholds).toEqual([undefined, undefined, undefined, undefined]);
    expect(fakes.recordOf(model).champion).toBe(1);

    // A classifier gate in the input of a regression run refuses it before training, in one line.
    const refused = await regressionRun(5, { gates: { minRocAuc: 0.7 } });
    const error = await refused.result().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect([cause.type, cause.nonRetryable]).toEqual(['InvalidTrainingPipelineInput', true]);
    expect(cause.message).toBe(
      `invalid training pipeline input: gates.minRocAuc is not a gate of pipeline ${model}, whose model.task is regression (its gates: maxMae, maxRmse, minR2, primaryMetric, minImprovement)`,
    );
    expect((await refused.describe()).typedSearchAttributes.get(TributaryStage)).toBe('refused');
    await harness.recordHistory('training-pipeline-regression-refused-input-gate', refused);
    expect(fakes.recordOf(model).trainAttempts).toHaveLength(4);
  });

  it("snapshots the pipeline's own training-examples topic when it trains on everything retained", async () => {
    const model = uniqueModel('retained');
    fakes.topic.endOffsets = [1200, 1300];
    try {
      const handle = await startPipeline(model, 1, { data: { kind: 'up-to-now' } });
      expect(await handle.result()).toMatchObject({
        stage: 'champion',
        offsetRanges: [
          { topic: TOPIC, partition: 0, fromOffset: '0', toOffset: '1200' },
          { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '1300' },
        ],
      });
      expect(fakes.recordOf(model).snapshotModels).toEqual([model]);
      await harness.recordHistory('training-pipeline-pipeline-examples-topic', handle);
    } finally {
      fakes.topic.endOffsets = [0, 0];
    }
  });

  it('refuses too few examples with a non-retryable typed failure, without retrying', async () => {
    const model = uniqueModel('few');
    fakes.switchesOf(model).datasetExamples = 40;
    const handle = await startPipeline(model, 1, { minExamples: 1000 });

    const error = await handle.result().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (error as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const cause = (activityFailure as ActivityFailure).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect([cause.type, cause.nonRetryable]).toEqual(['InsufficientExamplesError', true]);
    expect(cause.message).toMatch(/hold 40 training examples .* fewer than the 1000 required/);
    expect(fakes.recordOf(model).buildDatasetCalls).toBe(1);
    expect(fakes.recordOf(model).trainAttempts).toEqual([]);
    expect((await handle.describe()).typedSearchAttributes.get(TributaryStage)).toBe('refused');
    await harness.recordHistory('training-pipeline-too-few-examples', handle);
  });

  it("leaves the minimum to the definition when the input has none, and pins the revision the dataset step read for training and evaluation", async () => {
    const model = uniqueModel('settings');
    const handle = await startPipeline(model, 1);
    expect(await handle.result()).toMatchObject({ stage: 'champion' });
    expect(fakes.recordOf(model).trainingRequests).toEqual([
      { step: 'buildDataset', minExamples: undefined, pipelineRevision: undefined },
      { step: 'trainCandidate', minExamples: undefined, pipelineRevision: FAKE_PIPELINE_REVISION },
      { step: 'evaluateCandidate', minExamples: undefined, pipelineRevision: FAKE_PIPELINE_REVISION },
    ]);
    expect((await handle.describe()).memo).toMatchObject({ dataset: { pipelineRevision: FAKE_PIPELINE_REVISION } });
    await harness.recordHistory('training-pipeline-definition-settings', handle);

    // A minimum the input gives is passed on: it overrides the definition's for this run.
    const overridden = uniqueModel('settings');
    await (await startPipeline(overridden, 1, { minExamples: 200 })).result();
    expect(fakes.recordOf(overridden).trainingRequests.map((request) => request.minExamples)).toEqual([200, 200, 200]);
  });

  it('resumes training from the heartbeat checkpoint after an attempt crashes', async () => {
    const model = uniqueModel('resume');
    Object.assign(fakes.switchesOf(model), { epochs: 6, crashAfterEpoch: 3 });
    const handle = await startPipeline(model, 1);

    expect(await handle.result()).toMatchObject({ stage: 'champion' });
    expect(fakes.recordOf(model).trainAttempts).toEqual([
      { attempt: 1, firstEpoch: 1 },
      { attempt: 2, firstEpoch: 4 },
    ]);
    expect((await handle.describe()).memo).toMatchObject({ training: { epochs: 6, resumedFromEpoch: 3 } });
    await harness.recordHistory('training-pipeline-resumed-training', handle);
  });

  it('schedules dataset, training and evaluation on the training queue and the registry steps on its own queue', async () => {
    const model = uniqueModel('queues');
    fakes.switchesOf(model).candidatePrAucs = [0.6];
    const handle = await startPipeline(model, 1);
    await handle.result();

    const scheduled = (await handle.fetchHistory()).events?.flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      return attributes ? [[attributes.activityType?.name, attributes.taskQueue?.name]] : [];
    });
    expect(Object.fromEntries(scheduled ?? [])).toEqual({
      buildDataset: trainingTaskQueue(harness.taskQueue),
      // Which trainer the pinned revision names: the built-in one here.
      trainerOf: trainingTaskQueue(harness.taskQueue),
      trainCandidate: trainingTaskQueue(harness.taskQueue),
      evaluateCandidate: trainingTaskQueue(harness.taskQueue),
      registerCandidate: harness.taskQueue,
      promoteToChampion: harness.taskQueue,
    });
  });

  it('fails a mistyped input at once, non-retryably, naming every problem, before any activity runs', async () => {
    const model = uniqueModel('typo');
    const handle = await harness.client.workflow.start('trainingPipeline', {
      taskQueue: harness.taskQueue,
      workflowId: `training:${model}:1`,
      args: [{ model: 'Fraud Model', data: { kind: 'range', ranges: RANGES }, trigeredBy: 'alice', training: { maxEpoch: 3 }, gates: { minRocAuc: 70, minTestPositives: 0.5 } }],
    });

    const error = await handle.result().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect([cause.type, cause.nonRetryable]).toEqual(['InvalidTrainingPipelineInput', true]);
    expect(cause.message.split('; ')).toEqual([
      'invalid training pipeline input: trigeredBy: unknown field (expected one of model, data, training, splitFractions, minExamples, gates, rollout, triggeredBy)',
      `model="Fraud Model": expected lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)`,
      'data.kind="range": expected "up-to-now" or "ranges"',
      'triggeredBy=undefined: expected who starts the run, e.g. "person:alice"',
      expect.stringMatching(/^training\.maxEpoch=3: expected a known option \(hiddenUnits, .*\)$/),
      'gates.minRocAuc=70: expected a number from 0 to 1',
      'gates.minTestPositives=0.5: expected a whole number >= 1',
    ]);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((event) => event.activityTaskScheduledEventAttributes)).toBe(false);
  });
});
