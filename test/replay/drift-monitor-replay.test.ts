/**
 * Replays the committed driftMonitor histories (recorded by test/workflow/drift-monitor.test.ts
 * with RECORD_WORKFLOW_HISTORIES=1) through today's workflow code: a change that makes a running
 * monitor take different steps fails here. See README.md in this folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const HISTORIES_DIRECTORY = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOWS_PATH = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

/** Every scenario the workflow test records; a missing file fails rather than shrinking the check. */
const EXPECTED_HISTORIES = ['drift-monitor-continued-as-new', 'drift-monitor-deduplicated', 'drift-monitor-pause-resume', 'drift-monitor-stable', 'drift-monitor-stopped'];

describe('driftMonitor replay', () => {
  it('replays every committed driftMonitor history without a determinism error', async () => {
    const files = (await readdir(HISTORIES_DIRECTORY)).filter((file) => file.startsWith('drift-monitor-') && file.endsWith('.json')).sort();
    expect(files.map((file) => file.replace(/\.json$/, ''))).toEqual(EXPECTED_HISTORIES);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: proto.temporal.api.history.v1.History.fromObject(JSON.parse(await readFile(`${HISTORIES_DIRECTORY}${file}`, 'utf8')) as object),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'drift-monitor-replay' }, histories)) {
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
