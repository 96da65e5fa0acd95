/**
 * The {@link WorkflowControl} of a live Temporal: reads a model's trigger and drift monitor by
 * their `status` queries (and the monitor's run input for the settings only its options hold),
 * its schedule by its description, and changes them through the clients `tributary trigger`,
 * `drift` and `schedule` use (src/worker/*-client.ts), so ids, search attributes and memos are
 * theirs. A workflow stopped to change its settings starts again carrying its state, as
 * continue-as-new does, so the trigger keeps the offsets it used and the trainings it started.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { PipelineError } from '../pipelines/errors.js';
import { reasonOf } from '../errors/tributary-error.js';
import { changeRetrainingSchedule, createRetrainingSchedule, deleteRetrainingSchedule, describeRetrainingSchedule, type RetrainingSchedule } from '../worker/retraining-schedule-client.js';
import { startDriftMonitor, stopDriftMonitor } from '../worker/drift-monitor-client.js';
import { startThresholdTrigger, stopThresholdTrigger } from '../worker/threshold-trigger-client.js';
import { driftMonitorWorkflowId, driftStatusQuery, type DriftMonitorOptions, type DriftMonitorState, type DriftMonitorStopped } from '../workflows/drift-monitor.js';
import { setThresholdSignal, statusQuery, thresholdTriggerWorkflowId, type ThresholdTriggerState, type ThresholdTriggerStopped } from '../workflows/threshold-trigger.js';
import type { DriftSettings, ScheduleSettings, TriggerSettings, WorkflowControl, WorkflowObservation } from './workflow-plan.js';

export interface TemporalWorkflowControlOptions {
  readonly client: Client;
  readonly taskQueue: string;
  /** Who applies: recorded as who stopped a workflow apply stops. */
  readonly by: string;
  /** How long a stop waits for the workflow to end after the work in progress. @default 30_000 */
  readonly stopWaitMs?: number;
}

/** The run of a long-running workflow, and how its last run ended when none runs. */
type Run<Stopped> = { readonly state: 'running'; readonly handle: WorkflowHandle } | { readonly state: 'stopped'; readonly stopped: Stopped } | { readonly state: 'none' };

const toSdkOverlap = (overlap: ScheduleSettings['overlap']): RetrainingSchedule['overlap'] => overlap.toUpperCase().replace(/-/g, '_') as RetrainingSchedule['overlap'];
const fromSdkOverlap = (overlap: string): ScheduleSettings['overlap'] => overlap.toLowerCase().replace(/_/g, '-') as ScheduleSettings['overlap'];

export class TemporalWorkflowControl implements WorkflowControl {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly by: string;
  private readonly stopWaitMs: number;

  constructor(options: TemporalWorkflowControlOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.by = options.by;
    this.stopWaitMs = options.stopWaitMs ?? 30_000;
  }

  async observeTrigger(model: string): Promise<WorkflowObservation<TriggerSettings>> {
    const run = await this.run<ThresholdTriggerStopped>(thresholdTriggerWorkflowId(model));
    if (run.state === 'running') {
      const state = await this.query(run.handle, () => run.handle.query(statusQuery));
      return { running: { threshold: state.threshold, minPositives: state.minPositives, cooldownMs: state.cooldownMs, pollIntervalMs: state.pollIntervalMs } };
    }
    if (run.state === 'none') return { running: undefined };
    const { state, stoppedBy, stoppedAt } = run.stopped;
    return { running: undefined, carries: `the state of its run stopped by ${stoppedBy} at ${new Date(stoppedAt).toISOString()} (${state.trainingsStarted} trainings started${state.lastStarted ? `, offsets used up to ${state.lastStarted.workflowId}'s` : ''})` };
  }

  async observeDrift(model: string): Promise<WorkflowObservation<DriftSettings>> {
    const run = await this.run<DriftMonitorStopped>(driftMonitorWorkflowId(model));
    if (run.state === 'running') {
      const state = await this.query(run.handle, () => run.handle.query(driftStatusQuery));
      const options = await this.inputOptions<DriftMonitorOptions>(run.handle);
      return {
        running: {
          intervalMs: state.intervalMs,
          featurePsiThreshold: state.featurePsiThreshold,
          scorePsiThreshold: state.scorePsiThreshold,
          cooldownMs: state.cooldownMs,
          // These live in the run's options alone; the drift monitor's defaults hold where they are left out.
          liveRecords: options.liveRecords ?? 2000,
          referenceRecords: options.referenceRecords ?? 5000,
          minLiveRecords: options.minLiveRecords ?? 500,
        },
      };
    }
    if (run.state === 'none') return { running: undefined };
    const { state, stoppedBy, stoppedAt } = run.stopped;
    return { running: undefined, carries: `the state of its run stopped by ${stoppedBy} at ${new Date(stoppedAt).toISOString()} (${state.retrainingsStarted} retrainings started)` };
  }

  async observeSchedule(model: string): Promise<WorkflowObservation<ScheduleSettings>> {
    const found = await describeRetrainingSchedule(this.client, model);
    // A schedule created without tributary's memo has no cron to compare; '(unknown)' differs from any, so apply makes it the defined one.
    return { running: found && { cron: found.cron ?? '(unknown)', overlap: fromSdkOverlap(found.overlap ?? 'SKIP') } };
  }

  async startTrigger(model: string, settings: TriggerSettings): Promise<string> {
    const run = await this.run<ThresholdTriggerStopped>(thresholdTriggerWorkflowId(model));
    const carried = run.state === 'stopped' ? run.stopped.state : undefined;
    await startThresholdTrigger(this.client, this.taskQueue, model, settings, carried && withTriggerSettings(carried, settings));
    return `threshold trigger ${thresholdTriggerWorkflowId(model)}: started${carried ? `, carrying its last run's state (${carried.trainingsStarted} trainings started)` : ''}`;
  }

  async setTriggerThreshold(model: string, settings: TriggerSettings): Promise<string> {
    await this.client.workflow.getHandle(thresholdTriggerWorkflowId(model)).signal(setThresholdSignal, { threshold: settings.threshold, minPositives: settings.minPositives });
    return `threshold trigger ${thresholdTriggerWorkflowId(model)}: threshold set to ${settings.threshold}, minPositives ${settings.minPositives}, by signal`;
  }

  async restartTrigger(model: string, settings: TriggerSettings): Promise<string> {
    const id = thresholdTriggerWorkflowId(model);
    const stopped = await stopThresholdTrigger(this.client, model, this.stopRequest(), this.stopWaitMs);
    if (stopped === undefined) throw this.stillStopping(id, 'poll');
    await startThresholdTrigger(this.client, this.taskQueue, model, settings, withTriggerSettings(stopped.state, settings));
    return `threshold trigger ${id}: stopped and started again with the new settings, carrying its state (${stopped.state.trainingsStarted} trainings started)`;
  }

  async stopTrigger(model: string): Promise<string> {
    const id = thresholdTriggerWorkflowId(model);
    const stopped = await stopThresholdTrigger(this.client, model, this.stopRequest(), this.stopWaitMs);
    return stopped === undefined ? `threshold trigger ${id}: asked to stop; it ends after the poll in progress` : `threshold trigger ${id}: stopped after ${stopped.state.polls} polls`;
  }

  async startDrift(model: string, settings: DriftSettings): Promise<string> {
    const run = await this.run<DriftMonitorStopped>(driftMonitorWorkflowId(model));
    const carried = run.state === 'stopped' ? run.stopped.state : undefined;
    await startDriftMonitor(this.client, this.taskQueue, model, settings, carried && withDriftSettings(carried, settings));
    return `drift monitor ${driftMonitorWorkflowId(model)}: started${carried ? `, carrying its last run's state (${carried.retrainingsStarted} retrainings started)` : ''}`;
  }

  async restartDrift(model: string, settings: DriftSettings): Promise<string> {
    const id = driftMonitorWorkflowId(model);
    const stopped = await stopDriftMonitor(this.client, model, this.stopRequest(), this.stopWaitMs);
    if (stopped === undefined) throw this.stillStopping(id, 'check');
    await startDriftMonitor(this.client, this.taskQueue, model, settings, withDriftSettings(stopped.state, settings));
    return `drift monitor ${id}: stopped and started again with the new settings, carrying its state (${stopped.state.retrainingsStarted} retrainings started)`;
  }

  async stopDrift(model: string): Promise<string> {
    const id = driftMonitorWorkflowId(model);
    const stopped = await stopDriftMonitor(this.client, model, this.stopRequest(), this.stopWaitMs);
    return stopped === undefined ? `drift monitor ${id}: asked to stop; it ends after the check in progress` : `drift monitor ${id}: stopped after ${stopped.state.checks} checks`;
  }

  async createSchedule(model: string, settings: ScheduleSettings): Promise<string> {
    await createRetrainingSchedule(this.client, this.taskQueue, { model, cron: settings.cron, overlap: toSdkOverlap(settings.overlap) });
    return `retraining schedule retrain:${model}: created (${settings.cron}, overlap ${settings.overlap})`;
  }

  async changeSchedule(model: string, from: ScheduleSettings, to: ScheduleSettings): Promise<string> {
    await changeRetrainingSchedule(this.client, this.taskQueue, { model, cron: from.cron, overlap: toSdkOverlap(from.overlap) }, { model, cron: to.cron, overlap: toSdkOverlap(to.overlap) });
    return `retraining schedule retrain:${model}: now ${to.cron}, overlap ${to.overlap}`;
  }

  async deleteSchedule(model: string): Promise<string> {
    await deleteRetrainingSchedule(this.client, model);
    return `retraining schedule retrain:${model}: deleted (runs it started keep going)`;
  }

  private stopRequest() {
    return { by: this.by, reason: 'pipeline apply' };
  }

  /** A workflow asked to stop that has not ended yet: the next apply starts it again carrying its state once it has. */
  private stillStopping(id: string, work: 'poll' | 'check'): PipelineError {
    return new PipelineError(
      `${id} was asked to stop to take its new settings and ends after the ${work} in progress (is a worker polling task queue ${this.taskQueue}?); ` +
        'apply the same file again once it has ended: the start then carries its state',
      { retriable: true },
    );
  }

  private async run<Stopped>(workflowId: string): Promise<Run<Stopped>> {
    const handle = this.client.workflow.getHandle(workflowId);
    let status: string;
    try {
      status = (await handle.describe()).status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { state: 'none' };
      throw error;
    }
    if (status === 'RUNNING') return { state: 'running', handle };
    // Only a stop completes these workflows; a failed or terminated run left no state to carry.
    if (status === 'COMPLETED') return { state: 'stopped', stopped: (await handle.result()) as Stopped };
    return { state: 'none' };
  }

  private async query<T>(handle: WorkflowHandle, ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      throw new PipelineError(
        `${handle.workflowId} runs but does not answer its status query (${reasonOf(error)}); is a worker polling task queue ${this.taskQueue}? Start one with \`tributary worker\`, then plan again`,
        { retriable: true, cause: error },
      );
    }
  }

  /** The options argument the run in progress was started (or continued as new) with. */
  private async inputOptions<T>(handle: WorkflowHandle): Promise<Partial<T>> {
    const { events } = await handle.fetchHistory();
    const payloads = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const options = payloads[1] === undefined ? undefined : defaultPayloadConverter.fromPayload<Partial<T> | undefined>(payloads[1]);
    return options ?? {};
  }
}

/** A stopped trigger's state with the defined settings: what the new run starts from. */
function withTriggerSettings(state: ThresholdTriggerState, settings: TriggerSettings): ThresholdTriggerState {
  return { ...state, threshold: settings.threshold, minPositives: settings.minPositives, cooldownMs: settings.cooldownMs, pollIntervalMs: settings.pollIntervalMs };
}

function withDriftSettings(state: DriftMonitorState, settings: DriftSettings): DriftMonitorState {
  return { ...state, intervalMs: settings.intervalMs, featurePsiThreshold: settings.featurePsiThreshold, scorePsiThreshold: settings.scorePsiThreshold, cooldownMs: settings.cooldownMs };
}
