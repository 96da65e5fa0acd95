/**
 * Replays the committed flinkDeploy histories (recorded by test/workflow/flink-deploy.test.ts
 * with RECORD_WORKFLOW_HISTORIES=1) through today's workflow code: a change that makes a
 * running deployment take different steps fails here. See README.md in this folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const HISTORIES_DIRECTORY = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/flink-deploy.ts', import.meta.url));

describe('flinkDeploy replay', () => {
  it('replays every committed flinkDeploy history without a determinism error', async () => {
    const files = (await readdir(HISTORIES_DIRECTORY)).filter((file) => file.startsWith('flink-deploy-') && file.endsWith('.json')).sort();
    expect(files).toEqual(['flink-deploy-adoption.json', 'flink-deploy-blue-green-rolled-back.json', 'flink-deploy-blue-green.json', 'flink-deploy-happy-path.json', 'flink-deploy-stop-abandoned.json']);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: temporal.api.history.v1.History.fromObject(JSON.parse(await readFile(`${HISTORIES_DIRECTORY}${file}`, 'utf8')) as object),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'flink-deploy-replay' }, histories)) {
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
