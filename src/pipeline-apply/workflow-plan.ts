/**
 * What `pipeline plan`/`apply` do with the long-running workflows a definition declares for its
 * model (the model is named after the pipeline): the threshold trigger (`trigger`), the drift
 * monitor (`drift`) and the retraining schedule (`schedule`). Each is compared with what runs
 * under the ids `tributary trigger|drift|schedule` use: start it, update it (naming each setting
 * that changed), leave it, or stop it when the section was removed since the applied revision. A
 * workflow that runs although neither revision declares it was started by hand and is left as it is.
 *
 * Planning only reads ({@link WorkflowControl}'s `observe*`); applying goes through the same
 * control, whose Temporal implementation calls the clients the CLI commands call.
 */
import type { DriftDefinition, PipelineDefinition, ScheduleDefinition, TriggerDefinition } from '../pipelines/pipeline-definition.js';
import { parseDuration } from '../pipelines/duration.js';
import { PipelineError } from '../pipelines/errors.js';

/** A trigger's settings as the workflow holds them (threshold and minimum positives can change by signal). */
export interface TriggerSettings {
  readonly threshold: number;
  readonly minPositives: number;
  readonly cooldownMs: number;
  readonly pollIntervalMs: number;
}

export interface DriftSettings {
  readonly intervalMs: number;
  readonly featurePsiThreshold: number;
  readonly scorePsiThreshold: number;
  readonly cooldownMs: number;
  readonly liveRecords: number;
  readonly referenceRecords: number;
  readonly minLiveRecords: number;
}

export interface ScheduleSettings {
  readonly cron: string;
  readonly overlap: NonNullable<ScheduleDefinition['overlap']>;
}

/** What the live system says of one workflow of the model. */
export interface WorkflowObservation<S> {
  /** The settings of the run in progress; undefined when none runs. */
  readonly running: S | undefined;
  /** What a start would carry over from the model's last run, ended by a stop (its progress), in words; undefined when nothing. */
  readonly carries?: string;
}

/** Reads and changes the model's workflows; the CLI passes the Temporal one, tests a fake. */
export interface WorkflowControl {
  observeTrigger(model: string): Promise<WorkflowObservation<TriggerSettings>>;
  observeDrift(model: string): Promise<WorkflowObservation<DriftSettings>>;
  observeSchedule(model: string): Promise<WorkflowObservation<ScheduleSettings>>;
  /** Starts the trigger, carrying the state of its last stopped run when there is one. Resolves with a line saying what it did. */
  startTrigger(model: string, settings: TriggerSettings): Promise<string>;
  /** Changes the threshold (and minimum positives) of the running trigger by its `setThreshold` signal. */
  setTriggerThreshold(model: string, settings: TriggerSettings): Promise<string>;
  /** Stops the running trigger and starts it again with `settings`, carrying its state (trainings started, offsets used, paused). */
  restartTrigger(model: string, settings: TriggerSettings): Promise<string>;
  stopTrigger(model: string): Promise<string>;
  startDrift(model: string, settings: DriftSettings): Promise<string>;
  restartDrift(model: string, settings: DriftSettings): Promise<string>;
  stopDrift(model: string): Promise<string>;
  createSchedule(model: string, settings: ScheduleSettings): Promise<string>;
  changeSchedule(model: string, from: ScheduleSettings, to: ScheduleSettings): Promise<string>;
  deleteSchedule(model: string): Promise<string>;
}

export type WorkflowKind = 'trigger' | 'drift' | 'schedule';

interface SettingsOf {
  readonly trigger: TriggerSettings;
  readonly drift: DriftSettings;
  readonly schedule: ScheduleSettings;
}

/**
 * `start`, `update`, `stop`: apply acts; `unchanged`: it runs as defined; `left`: it runs though
 * no revision declares it (started by hand), and apply leaves it.
 */
export type WorkflowAction = 'start' | 'update' | 'unchanged' | 'stop' | 'left';

export type WorkflowItem = {
  readonly [K in WorkflowKind]: {
    readonly kind: 'workflow';
    readonly workflow: K;
    readonly model: string;
    /** The workflow or schedule id the CLI commands use. */
    readonly id: string;
    readonly action: WorkflowAction;
    /** The settings it runs with now, when it runs. */
    readonly running: SettingsOf[K] | undefined;
    /** The settings the definition gives, when it declares the workflow. */
    readonly defined: SettingsOf[K] | undefined;
    /** `setting old → new` for each setting an update changes. */
    readonly changes: readonly string[];
    readonly detail: string;
  };
}[WorkflowKind];

/** Whether apply acts on a workflow. */
export const changesWorkflow = (item: WorkflowItem): boolean => item.action === 'start' || item.action === 'update' || item.action === 'stop';

const durationOf = (text: string | undefined, fallback: string, place: string): number => {
  const ms = parseDuration(text ?? fallback);
  // validate refuses a malformed duration before a plan is made; this guards a definition built in code.
  if (ms === undefined) throw new PipelineError(`${place} "${text}" is not a duration`);
  return ms;
};

/** The trigger settings of a definition, with the defaults `tributary trigger start` has. */
export function triggerSettingsOf(trigger: TriggerDefinition): TriggerSettings {
  return {
    threshold: trigger.threshold,
    minPositives: trigger.minPositives ?? 0,
    cooldownMs: durationOf(trigger.cooldown, '10m', 'trigger.cooldown'),
    pollIntervalMs: durationOf(trigger.pollInterval, '30s', 'trigger.pollInterval'),
  };
}

/** The drift settings of a definition, with the defaults `tributary drift start` has. */
export function driftSettingsOf(drift: DriftDefinition): DriftSettings {
  return {
    intervalMs: durationOf(drift.interval, '5m', 'drift.interval'),
    featurePsiThreshold: drift.featurePsiThreshold ?? 0.25,
    scorePsiThreshold: drift.scorePsiThreshold ?? 0.25,
    cooldownMs: durationOf(drift.cooldown, '1h', 'drift.cooldown'),
    liveRecords: drift.liveRecords ?? 2000,
    referenceRecords: drift.referenceRecords ?? 5000,
    minLiveRecords: drift.minLiveRecords ?? 500,
  };
}

export const scheduleSettingsOf = (schedule: ScheduleDefinition): ScheduleSettings => ({ cron: schedule.cron, overlap: schedule.overlap ?? 'skip' });

/** A duration in ms as a definition writes it: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const LABELS: { readonly [K in WorkflowKind]: { readonly [F in keyof SettingsOf[K]]: readonly [string, (value: SettingsOf[K][F]) => string] } } = {
  trigger: { threshold: ['threshold', String], minPositives: ['minPositives', String], cooldownMs: ['cooldown', formatDuration], pollIntervalMs: ['pollInterval', formatDuration] },
  drift: {
    intervalMs: ['interval', formatDuration],
    featurePsiThreshold: ['featurePsiThreshold', String],
    scorePsiThreshold: ['scorePsiThreshold', String],
    cooldownMs: ['cooldown', formatDuration],
    liveRecords: ['liveRecords', String],
    referenceRecords: ['referenceRecords', String],
    minLiveRecords: ['minLiveRecords', String],
  },
  schedule: { cron: ['cron', (cron) => `"${cron}"`], overlap: ['overlap', String] },
};

/** `setting old → new` for each setting that differs, in the definition's words. */
export function settingChanges<K extends WorkflowKind>(workflow: K, running: SettingsOf[K], defined: SettingsOf[K]): string[] {
  const labels = LABELS[workflow] as Record<string, readonly [string, (value: unknown) => string]>;
  return Object.entries(labels).flatMap(([field, [label, show]]) => {
    const before = (running as unknown as Record<string, unknown>)[field];
    const after = (defined as unknown as Record<string, unknown>)[field];
    return before === after ? [] : [`${label} ${show(before)} → ${show(after)}`];
  });
}

const WORKFLOW_NAMES: Readonly<Record<WorkflowKind, string>> = { trigger: 'threshold trigger', drift: 'drift monitor', schedule: 'retraining schedule' };
const SECTIONS: Readonly<Record<WorkflowKind, 'trigger' | 'drift' | 'schedule'>> = { trigger: 'trigger', drift: 'drift', schedule: 'schedule' };

/** The ids the CLI commands use, kept here as strings so planning loads no workflow code. */
export function workflowIdOf(workflow: WorkflowKind, model: string): string {
  if (workflow === 'trigger') return `threshold-trigger:${model}`;
  if (workflow === 'drift') return `drift-monitor:${model}`;
  return `retrain:${model}`;
}

/** How an update of a running workflow is carried out, in words. */
function howUpdated(workflow: WorkflowKind, running: SettingsOf[WorkflowKind], defined: SettingsOf[WorkflowKind]): string {
  if (workflow === 'trigger') {
    const before = running as TriggerSettings;
    const after = defined as TriggerSettings;
    if (before.cooldownMs === after.cooldownMs && before.pollIntervalMs === after.pollIntervalMs) return 'by its setThreshold signal, at once';
    return 'by stopping it after the poll in progress and starting it again carrying its state (trainings started, offsets used, paused or not)';
  }
  if (workflow === 'drift') return 'by stopping it after the check in progress and starting it again carrying its state (retrainings started, cooldown, last check)';
  const before = running as ScheduleSettings;
  const after = defined as ScheduleSettings;
  return before.cron === after.cron ? 'in place' : 'by deleting the schedule and creating it again (runs it started keep going; a cron the server refuses leaves the old schedule)';
}

function planOne<K extends WorkflowKind>(
  workflow: K,
  model: string,
  defined: SettingsOf[K] | undefined,
  declaredBefore: boolean,
  observation: WorkflowObservation<SettingsOf[K]>,
): WorkflowItem | undefined {
  const id = workflowIdOf(workflow, model);
  const { running } = observation;
  const item = (action: WorkflowAction, detail: string, changes: readonly string[] = []): WorkflowItem =>
    ({ kind: 'workflow', workflow, model, id, action, running, defined, changes, detail }) as WorkflowItem;
  if (defined === undefined) {
    if (running === undefined) return undefined;
    if (declaredBefore) return item('stop', `stop (the ${SECTIONS[workflow]} section was removed)${workflow === 'schedule' ? '; runs it started keep going' : ', after the work in progress; a training it started keeps running'}`);
    return item('left', `runs, but no revision of the pipeline declares it (started by hand); apply leaves it`);
  }
  if (running === undefined) {
    const carried = observation.carries === undefined ? '' : `, carrying ${observation.carries}`;
    const waits = workflow === 'drift' ? `; until ${model} has a champion each check finds nothing to compare and the monitor waits` : '';
    return item('start', `start${carried}${waits}`);
  }
  const changes = settingChanges(workflow, running, defined);
  if (changes.length === 0) return item('unchanged', `unchanged (runs as defined)`);
  return item('update', `update ${changes.join(', ')} ${howUpdated(workflow, running, defined)}`, changes);
}

/**
 * Plans the model's three workflows. `applied` is the pipeline's current revision, if any: a
 * section it declared and `definition` does not is a workflow to stop.
 */
export async function planWorkflows(definition: PipelineDefinition, applied: PipelineDefinition | undefined, control: Pick<WorkflowControl, 'observeTrigger' | 'observeDrift' | 'observeSchedule'>): Promise<WorkflowItem[]> {
  const model = definition.name;
  const [trigger, drift, schedule] = await Promise.all([control.observeTrigger(model), control.observeDrift(model), control.observeSchedule(model)]);
  return [
    planOne('trigger', model, definition.trigger && triggerSettingsOf(definition.trigger), applied?.trigger !== undefined, trigger),
    planOne('drift', model, definition.drift && driftSettingsOf(definition.drift), applied?.drift !== undefined, drift),
    planOne('schedule', model, definition.schedule && scheduleSettingsOf(definition.schedule), applied?.schedule !== undefined, schedule),
  ].filter((item): item is WorkflowItem => item !== undefined);
}

/**
 * What deleting the pipeline stops: the workflows its current revision declares that still run,
 * stopped as apply stops a removed section (the trigger and drift monitor after the work in
 * progress, so applying the file again starts them carrying their state). One started by hand is
 * not the pipeline's to stop.
 */
export async function planWorkflowsOfDeleted(applied: PipelineDefinition, control: Pick<WorkflowControl, 'observeTrigger' | 'observeDrift' | 'observeSchedule'>): Promise<WorkflowItem[]> {
  const withoutWorkflows: PipelineDefinition = { ...applied, trigger: undefined, drift: undefined, schedule: undefined };
  return (await planWorkflows(withoutWorkflows, applied, control)).filter((item) => item.action === 'stop');
}

/** Carries one planned item out through `control`; resolves with a line saying what it did. */
export async function applyWorkflow(item: WorkflowItem, control: WorkflowControl): Promise<string> {
  const { model } = item;
  switch (item.workflow) {
    case 'trigger':
      if (item.action === 'start') return control.startTrigger(model, item.defined!);
      if (item.action === 'stop') return control.stopTrigger(model);
      if (item.action === 'update') {
        const { running, defined } = item;
        return running!.cooldownMs === defined!.cooldownMs && running!.pollIntervalMs === defined!.pollIntervalMs
          ? control.setTriggerThreshold(model, defined!)
          : control.restartTrigger(model, defined!);
      }
      break;
    case 'drift':
      if (item.action === 'start') return control.startDrift(model, item.defined!);
      if (item.action === 'stop') return control.stopDrift(model);
      if (item.action === 'update') return control.restartDrift(model, item.defined!);
      break;
    case 'schedule':
      if (item.action === 'start') return control.createSchedule(model, item.defined!);
      if (item.action === 'stop') return control.deleteSchedule(model);
      if (item.action === 'update') return control.changeSchedule(model, item.running!, item.defined!);
      break;
  }
  throw new PipelineError(`${item.id}: apply does not act on a workflow that is ${item.action}`);
}

export const renderWorkflowItem = (item: WorkflowItem): string => `${WORKFLOW_NAMES[item.workflow]} ${item.id}: ${item.detail}`;
