/**
 * trainingPipeline with a pipeline whose definition names `model.trainer: { kind: python }`, on a
 * real worker and the real Temporal server with fake activities, and a fake trainer polling the
 * trainer's own task queue (standing in for python/trainer): the train step goes there with the
 * definition's timeouts and attempts, its result becomes the candidate; a trainer that raises,
 * times out, or returns a file Tributary refuses fails the run non-retryably with its message in
 * the history, and nothing is registered, so the champion stays as it was.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { PythonTrainerDefinition } from '../../src/pipelines/pipeline-definition.js';
import { EXTERNAL_TRAIN_ACTIVITY, type ExternalTrainRequest, type ExternalTrainResult } from '../../src/training/external-trainer.js';
import { EXTERNAL_TRAINER_FAILURE, type trainingPipeline } from '../../src/workflows/training-pipeline.js';
import { TributaryStage } from '../../src/temporal/search-attributes.js';
import { trainingTaskQueue } from '../../src/workflows/task-queues.js';
import { createFakeActivities, TOPIC } from './fake-activities.js';
import { startWorkflowHarness, uniqueModel, type WorkflowHarness } from './workflow-harness.js';

const fakes = createFakeActivities();
const trainerQueue = `test-python-trainer-${randomUUID()}`;
/** What the fake trainer does, per pipeline. */
const behaviour = new Map<string, 'train' | 'raise' | 'hang'>();
const requests: ExternalTrainRequest[] = [];

/** The fake trainer: answers like python/trainer, raises like a crashing one, or never answers. */
async function trainExternalModel(request: ExternalTrainRequest): Promise<ExternalTrainResult> {
  requests.push(request);
  const what = behaviour.get(request.pipeline) ?? 'train';
  if (what === 'raise') throw ApplicationFailure.create({ message: "ValueError: Input X contains NaN (column 'amount')", type: 'ValueError', nonRetryable: false });
  // Sleeps well past the definition's timeout; the worker's shutdown cancels the sleep.
  if (what === 'hang') await Context.current().sleep('1m');
  return {
    artifact: { format: 'onnx', path: `/shared/${request.runKey}/model.onnx`, sha256: 'ab'.repeat(32), bytes: 1234 },
    backend: 'python: GradientBoostingClassifier (scikit-learn 1.9.1, skl2onnx 1.20.0)',
    hyperParameters: { estimator: 'GradientBoostingClassifier', n_estimators: 150 },
    figures: { trainExamples: request.split.counts.train, validationRocAuc: 0.91, trainSeconds: 2.5 },
  };
}

let harness: WorkflowHarness;
let connection: NativeConnection;
let trainer: Worker;
let trainerRunning: Promise<void>;

beforeAll(async () => {
  harness = await startWorkflowHarness(fakes.activities);
  const { address, namespace } = loadConfig().temporal;
  connection = await NativeConnection.connect({ address });
  trainer = await Worker.create({ connection, namespace, taskQueue: trainerQueue, activities: { [EXTERNAL_TRAIN_ACTIVITY]: trainExternalModel }, shutdownGraceTime: '1s' });
  trainerRunning = trainer.run();
});
afterAll(async () => {
  trainer?.shutdown();
  await trainerRunning;
  await connection?.close();
  await harness?.close();
});

const RANGES = [0, 1].map((partition) => ({ topic: TOPIC, partition, fromOffset: '0', toOffset: '2500' }));

/** A model whose definition names the fake trainer, with `trainer` over the defaults. */
function pythonModel(purpose: string, trainerSettings: Partial<PythonTrainerDefinition> = {}, refusal?: string): string {
  const model = uniqueModel(purpose);
  fakes.switchesOf(model).external = { trainer: { kind: 'python', taskQueue: trainerQueue, timeout: '10m', ...trainerSettings }, ...(refusal === undefined ? {} : { refusal }) };
  return model;
}

function startPipeline(model: string, run: number) {
  return harness.client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
    taskQueue: harness.taskQueue,
    workflowId: `training:${model}:${run}`,
    args: [{ model, data: { kind: 'ranges', ranges: RANGES }, triggeredBy: 'alice' }],
  });
}

/** The run's failure, which must be the external trainer's. */
async function failureOf(handle: Awaited<ReturnType<typeof startPipeline>>): Promise<ApplicationFailure> {
  const error = await handle.result().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect([cause.type, cause.nonRetryable]).toEqual([EXTERNAL_TRAINER_FAILURE, true]);
  return cause;
}

describe('trainingPipeline with a python trainer', () => {
  it("schedules the train step on the trainer's queue with the definition's timeouts and registers what it returns", async () => {
    const model = pythonModel('python-trainer', { timeout: '7m', heartbeatTimeout: '45s', attempts: 2, options: { n_estimators: 150 } });
    fakes.switchesOf(model).candidatePrAucs = [0.6];
    const handle = await startPipeline(model, 1);
    expect(await handle.result()).toMatchObject({ version: 1, stage: 'champion' });
    await harness.recordHistory('training-pipeline-external-trainer', handle);

    const scheduled = (await handle.fetchHistory()).events?.flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      return attributes ? [attributes] : [];
    });
    expect(Object.fromEntries((scheduled ?? []).map((attributes) => [attributes.activityType?.name, attributes.taskQueue?.name]))).toEqual({
      buildDataset: trainingTaskQueue(harness.taskQueue),
      trainerOf: trainingTaskQueue(harness.taskQueue),
      prepareExternalTraining: trainingTaskQueue(harness.taskQueue),
      [EXTERNAL_TRAIN_ACTIVITY]: trainerQueue,
      acceptExternalModel: trainingTaskQueue(harness.taskQueue),
      evaluateCandidate: trainingTaskQueue(harness.taskQueue),
      registerCandidate: harness.taskQueue,
      promoteToChampion: harness.taskQueue,
    });
    const train = scheduled?.find((attributes) => attributes.activityType?.name === EXTERNAL_TRAIN_ACTIVITY);
    expect(Number(train?.startToCloseTimeout?.seconds)).toBe(7 * 60);
    expect(Number(train?.heartbeatTimeout?.seconds)).toBe(45);
    expect(train?.retryPolicy?.maximumAttempts).toBe(2);
    // Tributary never trains a network of its own for it.
    expect(fakes.recordOf(model).trainAttempts).toEqual([]);
    const sent = requests.find((request) => request.pipeline === model);
    expect(sent).toMatchObject({ contractVersion: 1, ranges: RANGES, options: { n_estimators: 150 }, runKey: `training:${model}:1/${(await handle.describe()).runId}` });
    expect((await handle.describe()).memo).toMatchObject({ training: { trainer: 'python', taskQueue: trainerQueue, figures: { trainExamples: 3500, validationRocAuc: 0.91 } } });
  });

  it('fails the run with the message of a trainer that raises, and leaves the champion as it was', async () => {
    const model = pythonModel('python-raises');
    fakes.switchesOf(model).candidatePrAucs = [0.6];
    expect(await (await startPipeline(model, 1)).result()).toMatchObject({ version: 1, stage: 'champion' });

    behaviour.set(model, 'raise');
    const failing = await startPipeline(model, 2);
    const cause = await failureOf(failing);
    expect(cause.message).toBe(`the python trainer of ${model} on task queue ${trainerQueue} failed: ValueError: Input X contains NaN (column 'amount'); the champion is unchanged`);
    expect((await failing.describe()).typedSearchAttributes.get(TributaryStage)).toBe('failed');
    expect(fakes.recordOf(model).versions.map(({ version, stage }) => [version, stage])).toEqual([[1, 'champion']]);
    expect(fakes.recordOf(model).champion).toBe(1);
  });

  it("fails the run when the trainer outlives the definition's timeout", async () => {
    const model = pythonModel('python-hangs', { timeout: '2s' });
    behaviour.set(model, 'hang');
    const cause = await failureOf(await startPipeline(model, 1));
    expect(cause.message).toMatch(new RegExp(`^the python trainer of ${model} on task queue ${trainerQueue} failed: .*timeout.*; the champion is unchanged$`, 'i'));
    expect(fakes.recordOf(model).versions).toEqual([]);
  });

  it('fails the run when Tributary refuses the file the trainer returned, registering nothing', async () => {
    const model = pythonModel('python-refused', {}, 'ONNX Runtime cannot load the graph: Protobuf parsing failed');
    const cause = await failureOf(await startPipeline(model, 1));
    expect(cause.message).toMatch(new RegExp(`^the model the python trainer of ${model} returned was refused: /shared/.*/model\\.onnx: ONNX Runtime cannot load the graph: Protobuf parsing failed; the champion is unchanged$`));
    expect(fakes.recordOf(model).versions).toEqual([]);
  });
});
