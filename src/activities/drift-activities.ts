/**
 * The drift monitor's activities: one drift check of a model (figures of its live features and
 * scores against the champion's training reference), and the lookup of a training run of the
 * model that is still running, so the monitor never starts a second one.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { measureDrift, type DriftMeasurement, type DriftMeasurementDependencies, type DriftSampleSizes } from '../drift/drift-measurement.js';
import { recordDriftGauges } from '../drift/drift-metrics.js';
import { findRunningTraining } from '../drift/running-trainings.js';
import { reportingFailures } from './application-failure.js';

export interface DriftActivityDependencies {
  readonly measurement: DriftMeasurementDependencies;
  /** The client that looks up training runs. @default the worker's own (`Context.current().client`) */
  readonly client?: () => Client;
  /** Bound on each topic read of a check. @default 120_000 */
  readonly readTimeoutMs?: number;
}

export function createDriftActivities({ measurement, client = () => Context.current().client, readTimeoutMs = 120_000 }: DriftActivityDependencies) {
  return {
    /** Reads the reference and the newest live records and computes the figures (also as gauges of the worker's metrics); heartbeats each step. */
    measureDrift: reportingFailures(async (model: string, samples: DriftSampleSizes): Promise<DriftMeasurement> => {
      const context = Context.current();
      const result = await measureDrift(measurement, model, {
        ...samples,
        readTimeoutMs,
        signal: context.cancellationSignal,
        onProgress: (step, progress) => context.heartbeat({ step, ...progress }),
      });
      if (result.kind === 'measured') recordDriftGauges(context.metricMeter, model, result.figures);
      return result;
    }),

    /** The id of a running trainingPipeline of `model` (`knownIds` checked first), or null. */
    findRunningTraining: reportingFailures(async (model: string, knownIds: readonly string[]): Promise<string | null> => (await findRunningTraining(client(), model, knownIds)) ?? null),
  };
}

/** The activities as the workflow sees them (import this type only). */
export type DriftActivities = ReturnType<typeof createDriftActivities>;
