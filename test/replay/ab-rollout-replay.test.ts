/**
 * Replays the committed histories of abRollout (recorded by test/workflow/ab-rollout.test.ts on
 * the real Temporal server) through today's workflow code: a change that would make a rollout in
 * flight take other steps — an update, a poll, a continue-as-new — fails here. Such a change goes
 * through `patched()`; see README.md in this folder for re-recording.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const HISTORIES_DIRECTORY = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

/** Every scenario the workflow test records; a missing file fails rather than shrinking the check. */
const EXPECTED_HISTORIES = [
  'ab-rollout-auto-promote',
  // The first run only, up to its continue-as-new with a pause in its carried status.
  'ab-rollout-continued-as-new',
  // Started without a plan (the definition-rollout-plan patch): the definition's plan, a regression challenger rolled back on MAE.
  'ab-rollout-definition-plan',
  'ab-rollout-guardrail-rollback',
  // Promoted by a person through the promote update while awaiting a decision.
  'ab-rollout-human-promote',
  // With the relative latency guardrail (the relative-latency-guardrail patch): rolled back for a p99 850 ms above the champion's.
  'ab-rollout-latency-rollback',
  // Pause, set-traffic and resume updates, then an automatic rollback.
  'ab-rollout-pause-resume',
  'ab-rollout-timeout-default',
];

describe('abRollout replay', () => {
  it('replays every committed history without a determinism error', async () => {
    const files = (await readdir(HISTORIES_DIRECTORY)).filter((file) => /^ab-rollout-.*\.json$/.test(file)).sort();
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: proto.temporal.api.history.v1.History.fromObject(JSON.parse(await readFile(`${HISTORIES_DIRECTORY}${file}`, 'utf8')) as object),
      })),
    );
    expect(histories.map((entry) => entry.workflowId)).toEqual(EXPECTED_HISTORIES);

    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'tributary-rollout-replay' }, histories)) {
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
