/**
 * Replays committed histories of real runs (recorded by the workflow tests) through today's
 * workflow code. A change that makes a workflow take different steps for the same history —
 * a determinism break for runs already in flight — fails here. Such a change goes through
 * `patched()`; see README.md in this folder for re-recording.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const HISTORIES_DIRECTORY = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

/** Every scenario the workflow tests record; a missing file fails rather than shrinking the check. */
const EXPECTED_HISTORIES = [
  // A run of the trigger before the signals-survive-poll patch, with pause and setThreshold signalled during polls.
  'threshold-trigger-before-signals-patch',
  'threshold-trigger-continued-as-new',
  'threshold-trigger-cooldown',
  // The window judged by the definition's 20 % test split (197 fraud, not 264), then a start (the trigger-definition-split patch).
  'threshold-trigger-definition-split',
  'threshold-trigger-fires-at-threshold',
  // Enough fraud in the window, too few in its test split as the pipeline cuts it: held, then started (the test-split-exact patch).
  'threshold-trigger-fraud-poor-test-split',
  'threshold-trigger-pause-resume',
  // A regression pipeline's trigger: polls its own training-examples topic and starts at the example threshold with no positives (the trigger-pipeline-examples-topic patch).
  'threshold-trigger-regression-pipeline-topic',
  'threshold-trigger-set-threshold',
  'threshold-trigger-signals-during-poll',
  // Stopped by the stop signal while paused (the stop-signal patch).
  'threshold-trigger-stopped',
  // Held back until the whole window held the 264 fraud a 15 % test split needs for 30, then two starts (test-split-positives, before test-split-exact).
  'threshold-trigger-test-split-positives',
  // A challenger run before the operating-point-gate patch: it becomes challenger on PR-AUC alone.
  'training-pipeline-before-operating-point-patch',
  // A challenger run before the start-rollout patch: it registers the challenger and starts no rollout.
  'training-pipeline-before-start-rollout-patch',
  // A run of the pipeline before the training-task-queue patch (a crashed and resumed training), its training activities on its own queue.
  'training-pipeline-before-training-queue-patch',
  'training-pipeline-challenger',
  // No minExamples in the input (the definition's), the revision the dataset step read pinned for training and evaluation (the definition-model-settings patch).
  'training-pipeline-definition-settings',
  // A pipeline whose definition names a python trainer: trainExternalModel on the trainer's queue, its ONNX file accepted, then evaluated and promoted (the external-trainer patch).
  'training-pipeline-external-trainer',
  'training-pipeline-first-champion',
  // A first classifier whose test split holds 30 positive examples where gates.minTestPositives asks for 40: refused (the operating-point-gate-first-model patch).
  'training-pipeline-first-model-few-positives',
  // Better PR-AUC, worse FPR at its threshold than the champion's serving one: refused by the operating-point gate.
  'training-pipeline-operating-point-refused',
  // A run on everything retained, snapshotting its pipeline's own training-examples topic (the pipeline-examples-topic patch).
  'training-pipeline-pipeline-examples-topic',
  // A regression judged by its definition's gates (maxMae, minR2, mae by 0.05) made challenger, and one refused for a classifier gate in its input (the definition-gates patch).
  'training-pipeline-regression-challenger',
  'training-pipeline-regression-refused-input-gate',
  'training-pipeline-rejected',
  'training-pipeline-resumed-training',
  'training-pipeline-too-few-examples',
];

async function loadHistories(): Promise<{ workflowId: string; history: proto.temporal.api.history.v1.IHistory }[]> {
  // The folder is shared with other workflows' replay tests; these are the trigger's and the pipeline's.
  const files = (await readdir(HISTORIES_DIRECTORY)).filter((file) => /^(threshold-trigger|training-pipeline)-.*\.json$/.test(file)).sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: proto.temporal.api.history.v1.History.fromObject(JSON.parse(await readFile(`${HISTORIES_DIRECTORY}${file}`, 'utf8')) as object),
    })),
  );
}

describe('thresholdTrigger and trainingPipeline replay', () => {
  it('replays every committed history of both workflows without a determinism error', async () => {
    const histories = await loadHistories();
    expect(histories.map((entry) => entry.workflowId)).toEqual(EXPECTED_HISTORIES);

    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'tributary-replay' }, histories)) {
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
