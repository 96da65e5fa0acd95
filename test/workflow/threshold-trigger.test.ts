/**
 * thresholdTrigger on a real worker and the real Temporal server, with fake activities and
 * millisecond intervals: it fires at the threshold and not before, honours cooldown, pause and
 * resume, applies a new threshold at once, keeps its state across continue-as-new, starts
 * the training run as an abandoned child with the expected id, and holds a training back until
 * everything it would train on holds the fraud its test split needs.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  pauseSignal,
  resumeSignal,
  setThresholdSignal,
  statusQuery,
  stopSignal,
  thresholdTriggerWorkflowId,
  type thresholdTrigger,
  type ThresholdTriggerOptions,
  type ThresholdTriggerState,
} from '../../src/workflows/threshold-trigger.js';
import { TributaryModelName } from '../../src/temporal/search-attributes.js';
import { waitFor } from '../helpers/wait-for.js';
import { createFakeActivities, TOPIC } from './fake-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from './workflow-harness.js';

const fakes = createFakeActivities();
let harness: WorkflowHarness;
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  harness = await startWorkflowHarness(fakes.activities);
});
afterEach(async () => {
  fakes.topic.startOffsets = undefined;
  fakes.topic.positiveShare = 0.1;
  fakes.topic.testPositives = undefined;
  fakes.topic.definitionSplit = undefined;
  await Promise.all(started.splice(0).map((handle) => handle.terminate('test finished').catch(() => undefined)));
});
afterAll(async () => harness?.close());

/**
 * Pipeline settings under which the training window needs only 2 fraud examples (1 in a 90 %
 * test split, see windowPositivesForTestSplit): the tests that use them are about offsets and
 * signals; those about the fraud the test split needs pass the pipeline settings they test.
 */
const FEW_TEST_POSITIVES: ThresholdTriggerOptions['pipeline'] = { gates: { minTestPositives: 1 }, splitFractions: { train: 0.05, validation: 0.05, test: 0.9 } };

async function startTrigger(model: string, options: Partial<ThresholdTriggerOptions> = {}): Promise<WorkflowHandle<typeof thresholdTrigger>> {
  const handle = await harness.client.workflow.start<typeof thresholdTrigger>('thresholdTrigger', {
    taskQueue: harness.taskQueue,
    workflowId: thresholdTriggerWorkflowId(model),
    args: [model, { threshold: 100, cooldownMs: 0, pollIntervalMs: 50, pipeline: FEW_TEST_POSITIVES, ...options }],
    typedSearchAttributes: [{ key: TributaryModelName, value: model }],
  });
  started.push(handle);
  return handle;
}

const status = (handle: WorkflowHandle): Promise<ThresholdTriggerState> => handle.query(statusQuery);
/** Waits until the trigger has polled `count` more times than now. */
async function morePolls(handle: WorkflowHandle, count: number): Promise<ThresholdTriggerState> {
  const before = (await status(handle)).polls;
  return waitFor(`${count} more polls`, async () => {
    const now = await status(handle);
    return now.polls >= before + count ? now : undefined;
  });
}
const startedRun = (handle: WorkflowHandle, n: number): Promise<ThresholdTriggerState> =>
  waitFor(`training run ${n}`, async () => {
    const now = await status(handle);
    return now.trainingsStarted >= n ? now : undefined;
  });

describe('thresholdTrigger', () => {
  it('starts nothing below the threshold and training:<model>:1 on the pinned snapshot at it, as an abandoned child', async () => {
    const model = uniqueModel('threshold');
    fakes.topic.endOffsets = [40, 59];
    const handle = await startTrigger(model);
    const below = await morePolls(handle, 3);
    expect(below.trainingsStarted).toBe(0);
    expect(below.lastPoll?.outcome).toBe('99 new offsets, below the threshold 100');

    const reached = Date.now();
    fakes.topic.endOffsets = [40, 60];
    const after = await startedRun(handle, 1);
    const reactionMs = (after.lastStarted?.startedAt ?? 0) - reached;
    // The dev server fires short timers at about 1 s resolution; this is that plus snapshot, count and child start.
    console.info(`trigger reaction time: ${reactionMs} ms at a 50 ms poll interval`);
    expect(after.lastStarted).toMatchObject({
      workflowId: `training:${model}:1`,
      offsetRanges: [
        { topic: TOPIC, partition: 0, fromOffset: '0', toOffset: '40' },
        { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '60' },
      ],
    });
    // The count also reports the split the pipeline's definition asks for (the fakes' default).
    expect(after.lastPoll?.counted).toEqual({ examples: 100, positives: 10, undecodable: 0, definitionSplit: { train: 0.7, validation: 0.15, test: 0.15 }, task: 'binary-classification' });

    const child = harness.client.workflow.getHandle(`training:${model}:1`);
    expect(await child.result()).toMatchObject({ stage: 'champion', offsetRanges: after.lastStarted?.offsetRanges });
    expect((await child.describe()).typedSearchAttributes.get(TributaryModelName)).toBe(model);
    const history = await handle.fetchHistory();
    const initiated = history.events?.find((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes;
    expect(initiated?.workflowId).toBe(`training:${model}:1`);
    expect(initiated?.parentClosePolicy).toBe(temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON);
    await harness.recordHistory('threshold-trigger-fires-at-threshold', handle);
  });

  it('starts exactly one training for data that crosses the threshold twice over between two polls', async () => {
    const model = uniqueModel('double-crossing');
    fakes.topic.endOffsets = [0, 0];
    const handle = await startTrigger(model);
    await morePolls(handle, 1);
    // 250 new offsets arrive at once: two and a half thresholds, one run.
    fakes.topic.endOffsets = [150, 100];
    const first = await startedRun(handle, 1);
    expect(first.lastStarted?.offsetRanges).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: '0', toOffset: '150' },
      { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '100' },
    ]);
    const later = await morePolls(handle, 3);
    expect(later.trainingsStarted).toBe(1);
  });

  it('keeps a training run going when the trigger is terminated (parent-close ABANDON)', async () => {
    const model = uniqueModel('abandon');
    let release: () => void = () => undefined;
    fakes.switchesOf(model).trainingGate = new Promise<void>((resolve) => (release = resolve));
    fakes.topic.endOffsets = [100, 0];
    const handle = await startTrigger(model);
    await startedRun(handle, 1);
    await handle.terminate('testing parent-close policy');
    release();
    expect(await harness.client.workflow.getHandle(`training:${model}:1`).result()).toMatchObject({ stage: 'champion' });
  });

  it('waits out the cooldown before the next start, and counts only the offsets after the last training', async () => {
    const model = uniqueModel('cooldown');
    fakes.topic.endOffsets = [100, 0];
    const handle = await startTrigger(model, { cooldownMs: 4000 });
    const first = await startedRun(handle, 1);

    fakes.topic.endOffsets = [150, 50];
    const cooling = await morePolls(handle, 1);
    expect(cooling.trainingsStarted).toBe(1);
    expect(cooling.lastPoll?.outcome).toMatch(/^threshold reached, cooling down for another \d+ ms$/);

    const second = await startedRun(handle, 2);
    expect(second.lastStarted?.startedAt ?? 0).toBeGreaterThanOrEqual((first.lastStarted?.startedAt ?? 0) + 4000);
    expect(second.lastStarted?.workflowId).toBe(`training:${model}:2`);
    // The exact count covered only what arrived after the first run's offsets (the call before it read the first run's window for its test split).
    expect(fakes.recordOf(model).countCalls[2]).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: '100', toOffset: '150' },
      { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '50' },
    ]);
    await harness.recordHistory('threshold-trigger-cooldown', handle);
  });

  it('stops polling while paused and starts after resume', async () => {
    const model = uniqueModel('pause');
    fakes.topic.endOffsets = [10, 0];
    const handle = await startTrigger(model);
    await morePolls(handle, 1);
    await handle.signal(pauseSignal);
    const paused = await waitFor('the pause to show', async () => ((await status(handle)).paused ? status(handle) : undefined));
    fakes.topic.endOffsets = [500, 0];
    // Absence takes a bounded wait: the dev server fires short timers at about 1 s resolution, so an
    // unpaused trigger polls at least twice in 2.5 s.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const stillPaused = await status(handle);
    expect(stillPaused.polls - paused.polls).toBeLessThanOrEqual(1);
    expect(stillPaused.trainingsStarted).toBe(0);

    await handle.signal(resumeSignal);
    expect((await startedRun(handle, 1)).paused).toBe(false);
    await harness.recordHistory('threshold-trigger-pause-resume', handle);
  });

  it('ends cleanly on stop, also while paused, and returns who stopped it with its last state', async () => {
    const model = uniqueModel('stop');
    fakes.topic.endOffsets = [10, 0];
    const handle = await startTrigger(model, { pollIntervalMs: 60_000 });
    await morePolls(handle, 1);
    await handle.signal(pauseSignal);
    await waitFor('the pause to show', async () => ((await status(handle)).paused ? true : undefined));
    await handle.signal(stopSignal, { by: 'ops', reason: 'model retired' });
    // Paused, a trigger waits for ever: result() returns only because the stop ended the run.
    const result = await handle.result();
    expect(result).toMatchObject({ stoppedBy: 'ops', reason: 'model retired', state: { paused: true, polls: 1, trainingsStarted: 0 } });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await harness.recordHistory('threshold-trigger-stopped', handle);
  });

  it('keeps a pause and a new threshold signalled while a poll is in flight, and starts nothing while paused', async () => {
    const model = uniqueModel('mid-poll');
    let release: () => void = () => undefined;
    fakes.switchesOf(model).countGate = new Promise<void>((resolve) => (release = resolve));
    fakes.topic.endOffsets = [100, 0];
    fakes.topic.positiveShare = 0.1;
    const handle = await startTrigger(model);
    await waitFor('the count to start', () => (fakes.recordOf(model).countCalls.length > 0 ? true : undefined));

    await handle.signal(pauseSignal);
    await handle.signal(setThresholdSignal, { threshold: 50 });
    release();
    const after = await waitFor('the poll to finish', async () => {
      const now = await status(handle);
      return now.lastPoll?.counted !== undefined ? now : undefined;
    });
    expect(after).toMatchObject({ paused: true, threshold: 50, trainingsStarted: 0 });
    expect(after.lastPoll?.outcome).toBe('paused while counting; no training started');

    await handle.signal(resumeSignal);
    expect((await startedRun(handle, 1)).lastStarted?.workflowId).toBe(`training:${model}:1`);
    await harness.recordHistory('threshold-trigger-signals-during-poll', handle);
  });

  it('applies setThreshold at once, and holds a start back until the minimum positives arrive', async () => {
    const model = uniqueModel('set-threshold');
    fakes.topic.endOffsets = [30, 0];
    fakes.topic.positiveShare = 0;
    const handle = await startTrigger(model, { threshold: 1000, pollIntervalMs: 60_000 });
    await morePolls(handle, 1);

    // The poll interval is a minute: only the signal's wake-up can make the next poll this soon.
    await handle.signal(setThresholdSignal, { threshold: 20, minPositives: 2 });
    const held = await waitFor('a poll under the new threshold', async () => {
      const now = await status(handle);
      return now.threshold === 20 && now.lastPoll?.counted !== undefined ? now : undefined;
    });
    expect(held.trainingsStarted).toBe(0);
    expect(held.lastPoll?.outcome).toBe('0 new positive labels, below the minimum 2');

    fakes.topic.positiveShare = 0.1;
    await handle.signal(setThresholdSignal, { threshold: 25 });
    const fired = await startedRun(handle, 1);
    expect([fired.threshold, fired.minPositives]).toEqual([25, 2]);
    await harness.recordHistory('threshold-trigger-set-threshold', handle);
  });

  it('holds a training back until the whole window holds the 264 fraud examples a 15 % test split needs for 30, then adds only the new fraud to the last count', async () => {
    const model = uniqueModel('test-split');
    fakes.topic.positiveShare = 0.1;
    fakes.topic.endOffsets = [1000, 1000];
    // The pipeline's defaults: gates.minTestPositives 30, a 15 % test split.
    const handle = await startTrigger(model, { pipeline: {} });
    const held = await waitFor('a counted poll', async () => {
      const now = await status(handle);
      return now.lastPoll?.counted !== undefined ? now : undefined;
    });
    expect(held).toMatchObject({ windowPositivesNeeded: 264, trainingsStarted: 0 });
    expect(held.lastPoll).toMatchObject({
      counted: { examples: 2000, positives: 200 },
      windowPositives: 200,
      outcome: "200 positive examples in the training window, below the 264 it needs for its 15 % test split to hold the 30 of the pipeline's gates.minTestPositives",
    });

    fakes.topic.endOffsets = [1320, 1320];
    const first = await startedRun(handle, 1);
    expect(first.lastStarted).toMatchObject({ workflowId: `training:${model}:1`, positives: 264 });

    // 100 new examples with 10 fraud: 274 in the window, known without reading the first 2,640 again;
    // then the whole window once, for its test split.
    fakes.topic.endOffsets = [1420, 1320];
    const second = await startedRun(handle, 2);
    expect(second.lastStarted).toMatchObject({ workflowId: `training:${model}:2`, positives: 274 });
    expect(fakes.recordOf(model).countCalls.slice(-2)).toEqual([
      [
        { topic: TOPIC, partition: 0, fromOffset: '1320', toOffset: '1420' },
        { topic: TOPIC, partition: 1, fromOffset: '1320', toOffset: '1320' },
      ],
      [
        { topic: TOPIC, partition: 0, fromOffset: '0', toOffset: '1420' },
        { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '1320' },
      ],
    ]);
    await harness.recordHistory('threshold-trigger-test-split-positives', handle);
  });

  it('counts the whole window again once retention has removed part of what the last training counted', async () => {
    const model = uniqueModel('retention');
    fakes.topic.positiveShare = 0.1;
    fakes.topic.endOffsets = [1320, 1320];
    const handle = await startTrigger(model, { pipeline: {} });
    expect((await startedRun(handle, 1)).lastStarted?.positives).toBe(264);

    // 500 offsets of partition 0 deleted: the window is 920 + 1,320 examples, 224 fraud, not 264 + 10.
    fakes.topic.startOffsets = [500, 0];
    fakes.topic.endOffsets = [1420, 1320];
    const held = await waitFor('a poll of the shrunk window', async () => {
      const now = await status(handle);
      return now.lastPoll?.windowPositives === 224 ? now : undefined;
    });
    expect(held.trainingsStarted).toBe(1);
    expect(fakes.recordOf(model).countCalls.at(-1)).toEqual([
      { topic: TOPIC, partition: 0, fromOffset: '500', toOffset: '1420' },
      { topic: TOPIC, partition: 1, fromOffset: '0', toOffset: '1320' },
    ]);

    fakes.topic.endOffsets = [1900, 1320];
    expect((await startedRun(handle, 2)).lastStarted?.positives).toBe(272);
  });

  it('holds a training whose window holds enough fraud but whose test split, as the pipeline cuts it, holds too few', async () => {
    const model = uniqueModel('fraud-poor-test-split');
    fakes.topic.positiveShare = 0.1;
    fakes.topic.endOffsets = [1500, 1500];
    // After a drift the newest examples can hold almost no fraud: 300 in the window, 20 in its test split.
    fakes.topic.testPositives = 20;
    const handle = await startTrigger(model, { pipeline: {} });
    const held = await waitFor('a poll that counted the test split', async () => {
      const now = await status(handle);
      return now.lastPoll?.testSplitPositives === 20 ? now : undefined;
    });
    expect(held.trainingsStarted).toBe(0);
    expect(held.lastPoll?.windowPositives).toBe(300);
    expect(held.lastPoll?.outcome).toBe("the training window's 15 % test split would hold 20 positive examples (of 300 in the window), below the 30 of the pipeline's gates.minTestPositives");

    fakes.topic.testPositives = 30;
    expect((await startedRun(handle, 1)).lastStarted?.positives).toBe(300);
    await harness.recordHistory('threshold-trigger-fraud-poor-test-split', handle);
  });

  it('derives the fraud the window needs from the pipeline settings it passes on: 197 for 30 in a 20 % test split', async () => {
    const model = uniqueModel('test-split-settings');
    fakes.topic.endOffsets = [0, 0];
    const handle = await startTrigger(model, { pipeline: { gates: { minTestPositives: 30 }, splitFractions: { train: 0.6, validation: 0.2, test: 0.2 } } });
    expect((await morePolls(handle, 1)).windowPositivesNeeded).toBe(197);
  });

  it('judges the window by the pipeline definition\'s split when its settings name none: 197 fraud for 30 in a 20 % test split, not 264', async () => {
    const model = uniqueModel('definition-split');
    fakes.topic.positiveShare = 0.1;
    fakes.topic.endOffsets = [900, 900];
    fakes.topic.definitionSplit = { train: 0.6, validation: 0.2, test: 0.2 };
    const handle = await startTrigger(model, { pipeline: {} });
    const held = await waitFor('a counted poll', async () => {
      const now = await status(handle);
      return now.lastPoll?.counted !== undefined ? now : undefined;
    });
    expect(held).toMatchObject({ windowPositivesNeeded: 197, trainingsStarted: 0 });
    expect(held.lastPoll?.outcome).toBe("180 positive examples in the training window, below the 197 it needs for its 20 % test split to hold the 30 of the pipeline's gates.minTestPositives");

    // 200 fraud: enough for a 20 % split (and short of the 264 a 15 % one needs); its test split holds 40.
    fakes.topic.endOffsets = [1000, 1000];
    const first = await startedRun(handle, 1);
    expect(first.lastStarted).toMatchObject({ workflowId: `training:${model}:1`, positives: 200 });
    expect(first.lastPoll?.testSplitPositives).toBe(40);
    await harness.recordHistory('threshold-trigger-definition-split', handle);
  });

  it("starts a regression pipeline's training at the example threshold with no positives, polling the pipeline's own training-examples topic", async () => {
    const model = uniqueModel('regression');
    // examples/delivery/pipeline.yaml's gates; its labels are minutes, so the count reports no positives.
    fakes.switchesOf(model).regression = { definitionGates: { maxMae: 8, minR2: 0.3, primaryMetric: 'mae', minImprovement: 0.05 }, candidates: [{ mae: 6, rmse: 7.5, r2: 0.62 }] };
    fakes.topic.endOffsets = [40, 59];
    // The pipeline's defaults (30 test positives, a 15 % split: 264 in the window) and a minimum of new positives, neither of which a regression can meet.
    const handle = await startTrigger(model, { minPositives: 5, pipeline: {} });
    const below = await morePolls(handle, 2);
    expect(below.lastPoll?.outcome).toBe('99 new offsets, below the threshold 100');

    fakes.topic.endOffsets = [40, 60];
    const after = await startedRun(handle, 1);
    expect(after.lastStarted).toMatchObject({ workflowId: `training:${model}:1` });
    expect(after.lastStarted).not.toHaveProperty('positives');
    expect(after).toMatchObject({ windowPositivesNeeded: 0, lastPoll: { counted: { examples: 100, positives: 0, task: 'regression' }, outcome: `started training:${model}:1` } });
    // Every poll asked for the pipeline's own topic; the only count was the new range's (no window count for positives).
    expect(fakes.recordOf(model).snapshotModels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(fakes.recordOf(model).snapshotModels)).toEqual(new Set([model]));
    expect(fakes.recordOf(model).countCalls).toHaveLength(1);
    expect(await harness.client.workflow.getHandle(`training:${model}:1`).result()).toMatchObject({ stage: 'champion', metrics: { mae: 6 } });
    await harness.recordHistory('threshold-trigger-regression-pipeline-topic', handle);
  });

  it('continues as new after pollsPerRun polls and keeps its state', async () => {
    const model = uniqueModel('continue');
    fakes.topic.endOffsets = [100, 0];
    const handle = await startTrigger(model, { pollsPerRun: 3 });
    const first = await startedRun(handle, 1);
    const firstRunId = (await handle.describe()).runId;

    await handle.signal(setThresholdSignal, { threshold: 7 });
    const later = await waitFor('two continue-as-new', async () => {
      const description = await harness.client.workflow.getHandle(handle.workflowId).describe();
      return description.runId !== firstRunId && (await status(handle)).polls >= 8 ? status(handle) : undefined;
    });
    expect(later).toMatchObject({ threshold: 7, trainingsStarted: 1, lastStarted: first.lastStarted });
    const firstRun = harness.client.workflow.getHandle(handle.workflowId, firstRunId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    await harness.recordHistory('threshold-trigger-continued-as-new', firstRun);
  });

  it('fails a mistyped model name or options at once, naming every problem', async () => {
    const handle = await harness.client.workflow.start('thresholdTrigger', {
      taskQueue: harness.taskQueue,
      workflowId: thresholdTriggerWorkflowId(uniqueModel('typo')),
      args: ['Fraud', { threshold: 0, pollIntervalMs: '30s', pipeline: { training: { maxEpochs: 0 }, splitFractions: { train: 0.7, validation: 0.2, test: 0.2 } } }],
    });
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => (error as { cause?: { type?: string; nonRetryable?: boolean; message?: string } }).cause,
    );
    expect([failure?.type, failure?.nonRetryable]).toEqual(['InvalidTriggerOptions', true]);
    expect(failure?.message?.split('; ')).toEqual([
      `invalid threshold trigger options: model="Fraud": expected lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)`,
      'threshold=0: expected a whole number >= 1',
      'pollIntervalMs=30s: expected a whole number >= 1',
      'pipeline.training.maxEpochs=0: expected an integer >= 1',
      'pipeline.splitFractions={"train":0.7,"validation":0.2,"test":0.2}: expected {"train","validation","test"}, each above 0 and below 1, adding up to 1',
    ]);
  });
});
