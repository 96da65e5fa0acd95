/**
 * A WorkflowControl without Temporal for plan and apply tests: what runs per model and workflow,
 * every call made, and a switch that makes a stop not end in time (a poll in progress). A stopped
 * workflow keeps its `progress`, which a start carries, as the Temporal one carries a run's state.
 */
import type { DriftSettings, ScheduleSettings, TriggerSettings, WorkflowControl, WorkflowKind, WorkflowObservation } from '../../src/pipeline-apply/workflow-plan.js';

interface Slot<S> {
  running: S | undefined;
  /** Trainings (or retrainings) started, carried over a stop and start. */
  progress: number;
  stoppedOnce: boolean;
}

export class FakeWorkflowControl implements WorkflowControl {
  readonly calls: string[] = [];
  /** When set, a restart's stop does not end in time. */
  stopHangs = false;
  readonly trigger: Slot<TriggerSettings> = { running: undefined, progress: 0, stoppedOnce: false };
  readonly drift: Slot<DriftSettings> = { running: undefined, progress: 0, stoppedOnce: false };
  readonly schedule: Slot<ScheduleSettings> = { running: undefined, progress: 0, stoppedOnce: false };

  private observe<S>(slot: Slot<S>): Promise<WorkflowObservation<S>> {
    return Promise.resolve({ running: slot.running, ...(slot.running === undefined && slot.stoppedOnce ? { carries: `${slot.progress} trainings started` } : {}) });
  }

  private act(call: string, work: () => void): Promise<string> {
    this.calls.push(call);
    work();
    return Promise.resolve(call);
  }

  private slot(kind: WorkflowKind): Slot<unknown> {
    return this[kind] as Slot<unknown>;
  }

  private start(kind: WorkflowKind, model: string, settings: unknown): Promise<string> {
    return this.act(`start ${kind} ${model} carrying ${this.slot(kind).progress}`, () => {
      this.slot(kind).running = settings;
    });
  }

  private stop(kind: WorkflowKind, model: string): Promise<string> {
    return this.act(`stop ${kind} ${model}`, () => {
      this.slot(kind).running = undefined;
      this.slot(kind).stoppedOnce = true;
    });
  }

  private restart(kind: WorkflowKind, model: string, settings: unknown): Promise<string> {
    if (this.stopHangs) {
      this.calls.push(`stop ${kind} ${model} (still stopping)`);
      return Promise.reject(new Error(`${kind} of ${model} ends after the work in progress`));
    }
    return this.act(`restart ${kind} ${model} carrying ${this.slot(kind).progress}`, () => {
      this.slot(kind).running = settings;
    });
  }

  observeTrigger = (): Promise<WorkflowObservation<TriggerSettings>> => this.observe(this.trigger);
  observeDrift = (): Promise<WorkflowObservation<DriftSettings>> => this.observe(this.drift);
  observeSchedule = (): Promise<WorkflowObservation<ScheduleSettings>> => this.observe(this.schedule);
  startTrigger = (model: string, settings: TriggerSettings): Promise<string> => this.start('trigger', model, settings);
  setTriggerThreshold = (model: string, settings: TriggerSettings): Promise<string> =>
    this.act(`signal setThreshold ${model} ${settings.threshold}`, () => {
      this.trigger.running = { ...this.trigger.running!, threshold: settings.threshold, minPositives: settings.minPositives };
    });
  restartTrigger = (model: string, settings: TriggerSettings): Promise<string> => this.restart('trigger', model, settings);
  stopTrigger = (model: string): Promise<string> => this.stop('trigger', model);
  startDrift = (model: string, settings: DriftSettings): Promise<string> => this.start('drift', model, settings);
  restartDrift = (model: string, settings: DriftSettings): Promise<string> => this.restart('drift', model, settings);
  stopDrift = (model: string): Promise<string> => this.stop('drift', model);
  createSchedule = (model: string, settings: ScheduleSettings): Promise<string> => this.start('schedule', model, settings);
  changeSchedule = (model: string, _from: ScheduleSettings, to: ScheduleSettings): Promise<string> =>
    this.act(`change schedule ${model} to ${to.cron} ${to.overlap}`, () => {
      this.schedule.running = to;
    });
  deleteSchedule = (model: string): Promise<string> => this.stop('schedule', model);
}
