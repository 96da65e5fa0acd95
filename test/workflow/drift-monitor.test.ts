/**
 * driftMonitor on a real worker and the real Temporal server. The drift check is a fake whose
 * figures each test sets; the running-training lookup is the real one (describe + visibility
 * query on this server), and the retraining it starts is the real trainingPipeline on the fake
 * training activities, held open by a gate where a test needs a training "still running".
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DriftMeasurement } from '../../src/drift/drift-measurement.js';
import { findRunningTraining } from '../../src/drift/running-trainings.js';
import {
  driftMonitorWorkflowId,
  driftPauseSignal,
  driftResumeSignal,
  driftStopSignal,
  driftStatusQuery,
  driftTrainingWorkflowId,
  type driftMonitor,
  type DriftMonitorOptions,
  type DriftMonitorState,
} from '../../src/workflows/drift-monitor.js';
import { TributaryModelName, TributaryModelVersion, TributaryStage } from '../../src/temporal/search-attributes.js';
import type { trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { waitFor } from '../helpers/wait-for.js';
import { createFakeActivities } from './fake-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from './workflow-harness.js';

/** Figures of champion v2 whose log1p_amount column has PSI `amountPsi`. */
const measured = (amountPsi: number, liveRecords = 1000): DriftMeasurement => ({
  kind: 'measured',
  figures: {
    championVersion: 2,
    referenceRecords: 5000,
    liveRecords,
    features: [
      { column: 'log1p_amount', psi: amountPsi },
      { column: 'txn_count_10m', psi: 0.01 },
    ],
    maxFeature: { column: 'log1p_amount', psi: amountPsi },
    score: { liveScores: 800, psi: 0.02, ksStatistic: 0.04, ksPValue: 0.3 },
  },
});

const training = createFakeActivities();
// The retrainings train on everything retained up to now: the fake topic must hold examples.
training.topic.endOffsets = [3000, 3000];
/** What the fake drift check answers, per model. */
const measurements = new Map<string, DriftMeasurement>();
/** Per model, a gate that training runs wait at before they finish (any run id: `training:<model>:<anything>`). */
const trainingGates = new Map<string, Promise<void>>();
const activities = {
  ...training.activities,
  trainCandidate: async (...args: Parameters<typeof training.activities.trainCandidate>) => {
    const runId = Context.current().info.workflowExecution?.workflowId ?? '';
    await trainingGates.get(runId.replace(/^training:/, '').replace(/:[^:]+$/, ''));
    return training.activities.trainCandidate(...args);
  },
  measureDrift: async (model: string): Promise<DriftMeasurement> => measurements.get(model) ?? { kind: 'skipped', reason: 'no figures set' },
  findRunningTraining: async (model: string, knownIds: readonly string[]): Promise<string | null> => (await findRunningTraining(Context.current().client, model, knownIds)) ?? null,
};

let harness: WorkflowHarness;
const started: WorkflowHandle[] = [];
beforeAll(async () => {
  harness = await startWorkflowHarness(activities);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((handle) => handle.terminate('test finished').catch(() => undefined)));
});
afterAll(async () => harness?.close());

async function startMonitor(model: string, options: DriftMonitorOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof driftMonitor>> {
  const handle = await harness.client.workflow.start<typeof driftMonitor>('driftMonitor', {
    taskQueue: harness.taskQueue,
    workflowId: driftMonitorWorkflowId(model),
    args: [model, { intervalMs: 50, cooldownMs: 0, minLiveRecords: 100, ...options }],
    typedSearchAttributes: [{ key: TributaryModelName, value: model }],
  });
  started.push(handle);
  return handle;
}

const status = (handle: WorkflowHandle): Promise<DriftMonitorState> => handle.query(driftStatusQuery);
async function moreChecks(handle: WorkflowHandle, count: number): Promise<DriftMonitorState> {
  const before = (await status(handle)).checks;
  return waitFor(`${count} more checks`, async () => {
    const now = await status(handle);
    return now.checks >= before + count ? now : undefined;
  });
}
/** A gate that keeps the model's training runs open until released. */
function holdTraining(model: string): () => void {
  let release: () => void = () => undefined;
  trainingGates.set(model, new Promise<void>((resolve) => (release = resolve)));
  return () => release();
}

describe('driftMonitor', () => {
  it('starts no retraining below the thresholds and records the figures in memo and search attributes', async () => {
    const model = uniqueModel('drift-stable');
    measurements.set(model, measured(0.1));
    const handle = await startMonitor(model, { featurePsiThreshold: 0.25 });
    const state = await moreChecks(handle, 3);
    expect(state.retrainingsStarted).toBe(0);
    expect(state.lastCheck?.drifted).toBe(false);
    expect(state.lastCheck?.outcome).toBe('no drift: max feature PSI 0.100 (log1p_amount), score PSI 0.020 (KS D 0.040): below the thresholds');

    const description = await waitFor('the figures in the memo', async () => {
      const described = await handle.describe();
      return described.memo?.maxFeaturePsi === 0.1 ? described : undefined;
    });
    expect(description.memo).toMatchObject({ drifted: false, championVersion: 2, maxFeature: 'log1p_amount', scorePsi: 0.02, scoreKsStatistic: 0.04 });
    // A null memo field is removed.
    expect(description.memo).not.toHaveProperty('lastRetraining');
    expect(description.typedSearchAttributes.get(TributaryStage)).toBe('stable');
    expect(description.typedSearchAttributes.get(TributaryModelVersion)).toBe('2');
    await harness.recordHistory('drift-monitor-stable', handle);
  });

  it('starts exactly one retraining while it runs, and the next one only after it finished', async () => {
    const model = uniqueModel('drift-retrain');
    const release = holdTraining(model);
    measurements.set(model, measured(0.4));
    const handle = await startMonitor(model);

    const first = await waitFor('the first retraining', async () => {
      const now = await status(handle);
      return now.retrainingsStarted >= 1 ? now : undefined;
    });
    const childId = driftTrainingWorkflowId(model, 1);
    expect(first.lastRetraining).toMatchObject({ workflowId: childId, reason: 'drift: feature log1p_amount PSI 0.400 >= 0.25' });
    const child = harness.client.workflow.getHandle<typeof trainingPipeline>(childId);
    const childDescription = await child.describe();
    expect(childDescription.status.name).toBe('RUNNING');
    expect(childDescription.memo).toMatchObject({ reason: 'drift', triggeredBy: `workflow:${driftMonitorWorkflowId(model)}` });

    // Still drifting while the training runs: checks go on, nothing else starts.
    const during = await moreChecks(handle, 4);
    expect(during.retrainingsStarted).toBe(1);
    expect(during.lastCheck?.outcome).toBe(`drift: feature log1p_amount PSI 0.400 >= 0.25; training ${childId} is already running, not starting another`);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(TributaryStage)).toBe('drifted');
    await harness.recordHistory('drift-monitor-deduplicated', handle);

    release();
    await child.result();
    const after = await waitFor('the second retraining', async () => {
      const now = await status(handle);
      return now.retrainingsStarted >= 2 ? now : undefined;
    });
    expect(after.lastRetraining?.workflowId).toBe(driftTrainingWorkflowId(model, 2));
    started.push(harness.client.workflow.getHandle(driftTrainingWorkflowId(model, 2)));
  });

  it("does not duplicate a training started by someone else (the threshold trigger's)", async () => {
    const model = uniqueModel('drift-other');
    const release = holdTraining(model);
    const triggered = await harness.client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
      taskQueue: harness.taskQueue,
      workflowId: `training:${model}:1`,
      args: [{ model, data: { kind: 'up-to-now' }, triggeredBy: 'workflow:threshold-trigger:test' }],
      typedSearchAttributes: [{ key: TributaryModelName, value: model }],
    });
    started.push(triggered);
    measurements.set(model, measured(0.9));
    const handle = await startMonitor(model);

    const state = await waitFor('a check that saw the running training', async () => {
      const now = await status(handle);
      return now.lastCheck?.drifted === true ? now : undefined;
    });
    expect(state.lastCheck?.outcome).toBe(`drift: feature log1p_amount PSI 0.900 >= 0.25; training training:${model}:1 is already running, not starting another`);
    expect((await moreChecks(handle, 3)).retrainingsStarted).toBe(0);
    release();
  });

  it('decides nothing on too few live records or when there is nothing to compare', async () => {
    const model = uniqueModel('drift-few');
    measurements.set(model, measured(3, 40));
    const handle = await startMonitor(model);
    const few = await moreChecks(handle, 2);
    expect(few.lastCheck?.outcome).toBe('only 40 live feature records, fewer than the 100 a verdict needs');
    expect(few.retrainingsStarted).toBe(0);

    measurements.set(model, { kind: 'skipped', reason: `model ${model} has no champion yet` });
    const skipped = await moreChecks(handle, 2);
    expect(skipped.lastCheck).toMatchObject({ figures: null, drifted: false, outcome: `nothing to compare: model ${model} has no champion yet` });
  });

  it('checks nothing while paused and resumes at once', async () => {
    const model = uniqueModel('drift-pause');
    measurements.set(model, measured(0.05));
    const handle = await startMonitor(model, { intervalMs: 60_000 });
    await waitFor('the first check', async () => ((await status(handle)).checks >= 1 ? true : undefined));
    await handle.signal(driftPauseSignal);
    const paused = await waitFor('paused', async () => {
      const now = await status(handle);
      return now.paused ? now : undefined;
    });
    // Drift appears while paused: no check runs, so nothing starts.
    measurements.set(model, measured(0.8));
    expect((await status(handle)).checks).toBe(paused.checks);

    const release = holdTraining(model);
    await handle.signal(driftResumeSignal);
    // The interval is a minute: only the resume's wake-up can make this check happen in time.
    const resumed = await waitFor('a check after resume', async () => {
      const now = await status(handle);
      return now.checks > paused.checks ? now : undefined;
    });
    expect(resumed.paused).toBe(false);
    expect(resumed.retrainingsStarted).toBe(1);
    started.push(harness.client.workflow.getHandle(driftTrainingWorkflowId(model, 1)));
    await harness.recordHistory('drift-monitor-pause-resume', handle);
    release();
  });

  it('ends cleanly on stop between two checks and returns who stopped it with its last state', async () => {
    const model = uniqueModel('drift-stop');
    measurements.set(model, measured(0.05));
    const handle = await startMonitor(model, { intervalMs: 60_000 });
    await waitFor('the first check', async () => ((await status(handle)).checks >= 1 ? true : undefined));
    await handle.signal(driftStopSignal, { by: 'ops' });
    // Without the stop the monitor would go on checking: result() returns only because it ended the run.
    expect(await handle.result()).toMatchObject({ stoppedBy: 'ops', state: { checks: 1, retrainingsStarted: 0, paused: false } });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await harness.recordHistory('drift-monitor-stopped', handle);
  });

  it('carries its state across continue-as-new', async () => {
    const model = uniqueModel('drift-can');
    const release = holdTraining(model);
    measurements.set(model, measured(0.5));
    const handle = await startMonitor(model, { checksPerRun: 2 });
    const state = await waitFor('five checks over several runs', async () => {
      const now = await status(harness.client.workflow.getHandle(driftMonitorWorkflowId(model)));
      return now.checks >= 5 ? now : undefined;
    });
    expect(state.retrainingsStarted).toBe(1);
    expect(state.lastRetraining?.workflowId).toBe(driftTrainingWorkflowId(model, 1));
    const latestRun = await harness.client.workflow.getHandle(driftMonitorWorkflowId(model)).describe();
    expect(latestRun.runId).not.toBe(handle.firstExecutionRunId);
    started.push(harness.client.workflow.getHandle(driftTrainingWorkflowId(model, 1)), harness.client.workflow.getHandle(driftMonitorWorkflowId(model)));
    await harness.recordHistory('drift-monitor-continued-as-new', harness.client.workflow.getHandle(driftMonitorWorkflowId(model), handle.firstExecutionRunId));
    release();
  });

  it('refuses invalid options at once, naming each', async () => {
    const model = uniqueModel('drift-invalid');
    const handle = await startMonitor(model, { intervalMs: 0, featurePsiThreshold: -1 });
    await expect(handle.result()).rejects.toMatchObject({
      cause: { message: 'invalid drift monitor options: intervalMs=0: expected a whole number >= 1; featurePsiThreshold=-1: expected a number > 0' },
    });
  });
});
