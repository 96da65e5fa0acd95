/**
 * The pipeline's workflows in plan and apply, against a fake WorkflowControl: a declared trigger,
 * drift monitor and schedule are started; applying again changes nothing; a changed threshold is
 * an update by signal, a changed cooldown a restart that carries the trigger's progress; a removed
 * section stops its workflow; a workflow started by hand is left; a stop that does not end in time
 * stops apply before the revision, and the next apply completes it. The ids are the CLI commands'.
 */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PipelineApplyError } from '../../src/pipeline-apply/errors.js';
import { applyPipeline, type ApplyDependencies } from '../../src/pipeline-apply/pipeline-apply.js';
import { planPipeline, planChanges, renderPlan } from '../../src/pipeline-apply/pipeline-plan.js';
import { applyWorkflow, driftSettingsOf, formatDuration, planWorkflows, planWorkflowsOfDeleted, triggerSettingsOf, workflowIdOf } from '../../src/pipeline-apply/workflow-plan.js';
import { InMemoryPipelineStore } from '../../src/pipelines/in-memory-pipeline-store.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { revisionDigest } from '../../src/pipelines/pipeline-revision.js';
import type { RevisionDraft } from '../../src/pipelines/pipeline-store.js';
import { retrainingScheduleId } from '../../src/temporal/retraining-schedule-id.js';
import { driftMonitorWorkflowId } from '../../src/workflows/drift-monitor.js';
import { thresholdTriggerWorkflowId } from '../../src/workflows/threshold-trigger.js';
import { FakeWorkflowControl } from '../helpers/fake-workflow-control.js';

const BASE = {
  name: 'eta',
  owner: 'logistics',
  sources: [{ topic: 'orders', schema: 'orders.avsc', entityKey: 'courier_id', eventTime: 'event_time' }],
  features: { topic: 'eta.features', schema: 'features.avsc', entityKey: 'courier_id', eventId: 'order_id', eventTime: 'event_time', job: { kind: 'sql', file: 'features.sql' } },
  labels: { topic: 'deliveries', schema: 'deliveries.avsc', joinKey: 'order_id', field: 'minutes', eventTime: 'label_time' },
  model: { task: 'regression', inputs: [{ field: 'distance_km', encoding: 'raw' }] },
} as const satisfies PipelineDefinition;
const FILES = { 'orders.avsc': '{}', 'features.avsc': '{}', 'deliveries.avsc': '{}', 'features.sql': 'SELECT 1' };
const WITH_WORKFLOWS: PipelineDefinition = { ...BASE, trigger: { threshold: 1000, cooldown: '10m' }, drift: { interval: '1m' }, schedule: { cron: '0 3 * * *' } };

const draftOf = (definition: PipelineDefinition): RevisionDraft => ({
  name: definition.name,
  definition,
  files: FILES,
  digest: revisionDigest(definition, FILES),
  appliedBy: 'alice',
  appliedAt: '2026-12-06T12:00:00.000Z',
});

/** A cluster and registry that keep what apply creates; no feature job is planned. */
function liveSystem(workflows: FakeWorkflowControl, store = new InMemoryPipelineStore()): ApplyDependencies {
  const topics = new Map<string, Record<string, string>>();
  const subjects = new Map<string, string>();
  const admin = {
    listTopics: () => Promise.resolve([...topics.keys()]),
    fetchTopicMetadata: ({ topics: names }: { topics: string[] }) => Promise.resolve({ topics: names.map((name) => ({ name, partitions: [0, 1, 2].map(() => ({ replicas: [1] })) })) }),
    describeConfigs: ({ resources }: { resources: { name: string }[] }) =>
      Promise.resolve({ resources: resources.map(({ name }) => ({ resourceName: name, configEntries: Object.entries(topics.get(name) ?? {}).map(([configName, configValue]) => ({ configName, configValue })) })) }),
    createTopics: ({ topics: specs }: { topics: { topic: string; configEntries: { name: string; value: string }[] }[] }) => {
      for (const { topic, configEntries } of specs) topics.set(topic, Object.fromEntries(configEntries.map(({ name, value }) => [name, value])));
      return Promise.resolve(true);
    },
  };
  return {
    admin: admin as unknown as Admin,
    schemaRegistry: {
      latestSchema: (subject) => {
        const schema = subjects.get(subject);
        return Promise.resolve(schema === undefined ? undefined : { subject, version: 1, id: 1, schema });
      },
      compatibilityLevel: () => Promise.resolve('BACKWARD'),
      checkCompatibility: () => Promise.resolve({ compatible: true, reasons: [] }),
      setCompatibilityLevel: () => Promise.resolve(),
      register: (subject, schema) => {
        subjects.set(subject, schema);
        return Promise.resolve(1);
      },
    },
    store,
    featureJob: () => Promise.resolve([]),
    deployFeatureJob: () => Promise.reject(new Error('no feature job to start')),
    workflows,
    prefix: 'p.',
  };
}

const workflowLines = (lines: string[]): string[] => lines.filter((line) => /^(threshold trigger|drift monitor|retraining schedule) /.test(line));

describe('pipeline workflows', () => {
  it('uses the workflow and schedule ids of tributary trigger, drift and schedule', () => {
    expect(workflowIdOf('trigger', 'eta')).toBe(thresholdTriggerWorkflowId('eta'));
    expect(workflowIdOf('drift', 'eta')).toBe(driftMonitorWorkflowId('eta'));
    expect(workflowIdOf('schedule', 'eta')).toBe(retrainingScheduleId('eta'));
  });

  it('fills in the defaults the CLI commands have', () => {
    expect(triggerSettingsOf({ threshold: 500 })).toEqual({ threshold: 500, minPositives: 0, cooldownMs: 600_000, pollIntervalMs: 30_000 });
    expect(driftSettingsOf({})).toEqual({ intervalMs: 300_000, featurePsiThreshold: 0.25, scorePsiThreshold: 0.25, cooldownMs: 3_600_000, liveRecords: 2000, referenceRecords: 5000, minLiveRecords: 500 });
    expect([formatDuration(600_000), formatDuration(90_000), formatDuration(1_500), formatDuration(86_400_000)]).toEqual(['10m', '90s', '1500ms', '1d']);
  });

  it('starts each declared workflow (the drift monitor waiting for a champion); applied again, nothing changes', async () => {
    const control = new FakeWorkflowControl();
    const live = liveSystem(control);
    const plan = await planPipeline(draftOf(WITH_WORKFLOWS), live);
    expect(workflowLines(renderPlan(plan))).toEqual([
      'threshold trigger threshold-trigger:eta: start',
      'drift monitor drift-monitor:eta: start; until eta has a champion each check finds nothing to compare and the monitor waits',
      'retraining schedule retrain:eta: start',
    ]);
    await applyPipeline(draftOf(WITH_WORKFLOWS), live);
    expect(control.calls).toEqual(['start trigger eta carrying 0', 'start drift eta carrying 0', 'start schedule eta carrying 0']);
    expect(control.trigger.running).toEqual({ threshold: 1000, minPositives: 0, cooldownMs: 600_000, pollIntervalMs: 30_000 });

    const again = await applyPipeline(draftOf(WITH_WORKFLOWS), live);
    expect(again.done).toEqual([]);
    expect(planChanges(again.plan)).toBe(false);
    expect(workflowLines(renderPlan(again.plan))).toEqual([
      'threshold trigger threshold-trigger:eta: unchanged (runs as defined)',
      'drift monitor drift-monitor:eta: unchanged (runs as defined)',
      'retraining schedule retrain:eta: unchanged (runs as defined)',
    ]);
    expect(control.calls).toHaveLength(3);
  });

  it('updates a changed threshold by signal and a changed cooldown by a restart carrying the progress', async () => {
    const control = new FakeWorkflowControl();
    const live = liveSystem(control);
    await applyPipeline(draftOf(WITH_WORKFLOWS), live);
    control.trigger.progress = 4;

    const lower: PipelineDefinition = { ...WITH_WORKFLOWS, trigger: { threshold: 400, cooldown: '10m' } };
    const plan = await planPipeline(draftOf(lower), live);
    expect(workflowLines(renderPlan(plan))[0]).toBe('threshold trigger threshold-trigger:eta: update threshold 1000 → 400 by its setThreshold signal, at once');
    await applyPipeline(draftOf(lower), live);
    expect(control.calls.at(-1)).toBe('signal setThreshold eta 400');

    const slower: PipelineDefinition = { ...WITH_WORKFLOWS, trigger: { threshold: 400, cooldown: '2m' } };
    expect(workflowLines(renderPlan(await planPipeline(draftOf(slower), live)))[0]).toBe(
      'threshold trigger threshold-trigger:eta: update cooldown 10m → 2m by stopping it after the poll in progress and starting it again carrying its state (trainings started, offsets used, paused or not)',
    );
    await applyPipeline(draftOf(slower), live);
    expect(control.calls.at(-1)).toBe('restart trigger eta carrying 4');
    expect(control.trigger.running).toEqual({ threshold: 400, minPositives: 0, cooldownMs: 120_000, pollIntervalMs: 30_000 });
  });

  it('stops a workflow whose section was removed, and leaves one started by hand', async () => {
    const control = new FakeWorkflowControl();
    const store = new InMemoryPipelineStore();
    const live = liveSystem(control, store);
    await applyPipeline(draftOf(WITH_WORKFLOWS), live);
    const withoutSchedule: PipelineDefinition = { ...WITH_WORKFLOWS, schedule: undefined };
    const plan = await planPipeline(draftOf(withoutSchedule), live);
    expect(workflowLines(renderPlan(plan))[2]).toBe('retraining schedule retrain:eta: stop (the schedule section was removed); runs it started keep going');
    await applyPipeline(draftOf(withoutSchedule), live);
    expect(control.schedule.running).toBeUndefined();

    // Started by hand: no revision declares a drift monitor for this pipeline.
    const byHand = new FakeWorkflowControl();
    byHand.drift.running = driftSettingsOf({});
    const items = await planWorkflows(BASE, undefined, byHand);
    expect(items.map((item) => [item.workflow, item.action, item.detail])).toEqual([['drift', 'left', 'runs, but no revision of the pipeline declares it (started by hand); apply leaves it']]);
  });

  it('deleting the pipeline stops the workflows its revision declares that run, and leaves one started by hand', async () => {
    const control = new FakeWorkflowControl();
    await applyPipeline(draftOf({ ...WITH_WORKFLOWS, drift: undefined }), liveSystem(control));
    control.drift.running = driftSettingsOf({});
    const items = await planWorkflowsOfDeleted({ ...WITH_WORKFLOWS, drift: undefined }, control);
    expect(items.map((item) => [item.workflow, item.action])).toEqual([['trigger', 'stop'], ['schedule', 'stop']]);
    for (const item of items) await applyWorkflow(item, control);
    expect([control.trigger.running, control.schedule.running]).toEqual([undefined, undefined]);
    expect(control.drift.running).toEqual(driftSettingsOf({}));
  });

  it('a stop that does not end in time stops apply before the revision; once it has ended, the next apply starts it carrying its state', async () => {
    const control = new FakeWorkflowControl();
    const store = new InMemoryPipelineStore();
    const live = liveSystem(control, store);
    await applyPipeline(draftOf(WITH_WORKFLOWS), live);
    control.drift.progress = 2;
    control.stopHangs = true;
    const changed: PipelineDefinition = { ...WITH_WORKFLOWS, drift: { interval: '5m' } };
    const failed = await applyPipeline(draftOf(changed), live).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PipelineApplyError);
    expect((failed as PipelineApplyError).step).toBe('updating drift-monitor:eta');
    expect((await store.current('eta'))?.revision).toBe(1);

    // The monitor has ended meanwhile: the plan starts it, saying what it carries.
    control.stopHangs = false;
    control.drift.running = undefined;
    control.drift.stoppedOnce = true;
    const plan = await planPipeline(draftOf(changed), live);
    expect(workflowLines(renderPlan(plan))[1]).toBe('drift monitor drift-monitor:eta: start, carrying 2 trainings started; until eta has a champion each check finds nothing to compare and the monitor waits');
    await applyPipeline(draftOf(changed), live);
    expect(control.calls.at(-1)).toBe('start drift eta carrying 2');
    expect((await store.current('eta'))?.revision).toBe(2);
  });
});
