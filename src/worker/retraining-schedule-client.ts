/**
 * A model's retraining schedule (a Temporal Schedule that starts `trainingPipeline` on everything
 * retained up to then): created and changed by `tributary schedule create` and `pipeline apply`
 * alike, so both make the same schedule under the same id.
 */
import type { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { retrainingScheduleId } from '../temporal/retraining-schedule-id.js';
import { TributaryModelName } from '../temporal/search-attributes.js';

export interface RetrainingSchedule {
  readonly model: string;
  /** A cron expression in UTC; the server checks its dialect. */
  readonly cron: string;
  readonly overlap: ScheduleOverlapPolicy;
  /** Fewer examples refuse the run. @default the applied definition's model.training.minExamples */
  readonly minExamples?: number;
}

/** The workflow a retraining schedule starts. */
function retrainingAction(schedule: RetrainingSchedule, taskQueue: string) {
  const scheduleId = retrainingScheduleId(schedule.model);
  return {
    type: 'startWorkflow' as const,
    workflowType: 'trainingPipeline',
    workflowId: `training:${schedule.model}:scheduled`,
    taskQueue,
    args: [
      {
        model: schedule.model,
        data: { kind: 'up-to-now' },
        // Left out, the applied definition's minimum holds (training-pipeline's 'definition-model-settings').
        ...(schedule.minExamples === undefined ? {} : { minExamples: schedule.minExamples }),
        triggeredBy: `schedule:${scheduleId}`,
      },
    ],
    typedSearchAttributes: [{ key: TributaryModelName, value: schedule.model }],
  };
}

/** Creates the schedule; throws the SDK's ScheduleAlreadyRunning when the model has one, and the server's refusal of a bad cron. */
export async function createRetrainingSchedule(client: Client, taskQueue: string, schedule: RetrainingSchedule): Promise<void> {
  await client.schedule.create({
    scheduleId: retrainingScheduleId(schedule.model),
    spec: { cronExpressions: [schedule.cron] },
    policies: { overlap: schedule.overlap },
    action: retrainingAction(schedule, taskQueue),
    // The server keeps only the calendar it parsed the cron into, so the memo carries the expression as given.
    memo: { model: schedule.model, cron: schedule.cron },
  });
}

/** The cron and overlap of the model's schedule as created; undefined when it has none. */
export async function describeRetrainingSchedule(client: Client, model: string): Promise<{ readonly cron: string | undefined; readonly overlap: ScheduleOverlapPolicy } | undefined> {
  const { ScheduleNotFoundError } = await import('@temporalio/client');
  try {
    const description = await client.schedule.getHandle(retrainingScheduleId(model)).describe();
    const cron = description.memo?.cron;
    return { cron: typeof cron === 'string' ? cron : undefined, overlap: description.policies.overlap };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Changes the model's schedule from `previous` to `next`. An overlap change is an update in place.
 * A schedule's memo cannot be updated, and the memo is where `schedule list` reads the cron from,
 * so a cron change deletes the schedule and creates it again; when the server refuses the new
 * one (a cron it cannot parse), `previous` is created again before the refusal is rethrown, so a
 * failed change leaves the schedule as it was. Runs it started keep going either way.
 */
export async function changeRetrainingSchedule(client: Client, taskQueue: string, previous: RetrainingSchedule, next: RetrainingSchedule): Promise<void> {
  if (previous.cron === next.cron) {
    await client.schedule.getHandle(retrainingScheduleId(next.model)).update((description) => ({ ...description, policies: { ...description.policies, overlap: next.overlap } }));
    return;
  }
  await deleteRetrainingSchedule(client, next.model);
  try {
    await createRetrainingSchedule(client, taskQueue, next);
  } catch (error) {
    await createRetrainingSchedule(client, taskQueue, previous);
    throw error;
  }
}

/** Deletes the model's schedule; the runs it started keep going. */
export async function deleteRetrainingSchedule(client: Client, model: string): Promise<void> {
  await client.schedule.getHandle(retrainingScheduleId(model)).delete();
}
