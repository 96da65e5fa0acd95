import { describe, expect, it } from 'vitest';
import { describePhase, renderDeployResult, resumeCommand } from '../../src/cli/flink-command.js';
import type { FlinkDeployResult, FlinkDeployStatus } from '../../src/workflows/flink-deploy.js';

const handoff = { previousTopic: 'tributary.features', newTopic: 'tributary.features.v2', overlapFrom: [{ partition: 0, offset: '12' }, { partition: 1, offset: '7' }], models: ['fraud'] };

const result: FlinkDeployResult = {
  outcome: 'deployed',
  jobName: 'tributary-feature-job',
  mode: 'blue-green',
  fromVersion: 'v1',
  toVersion: 'v2',
  jobId: 'b'.repeat(32),
  savepoint: 'file:/savepoints/savepoint-1',
  downtimeMs: undefined,
  health: undefined,
  rollbackHealth: undefined,
  catchUp: { caughtUp: true, backlogRecords: 3, waitedMs: 1_500, problem: undefined },
  handoff,
  takeoverMs: 3_400,
  error: undefined,
  disposedSavepoints: [],
};

describe('blue/green in the CLI', () => {
  it('prints the catch-up, the handoff with its overlap, the moved models and the takeover time', () => {
    expect(renderDeployResult(result).split('\n')).toEqual([
      'tributary-feature-job: deployed (v1 → v2, mode blue-green)',
      `  running job: ${'b'.repeat(32)}`,
      '  savepoint:   file:/savepoints/savepoint-1',
      '  catch-up:    caught up, backlog 3 record(s) after 1.5 s',
      '  features:    tributary.features → tributary.features.v2 (overlap from 0:12, 1:7)',
      '  models:      fraud',
      '  takeover:    3.4 s (decision → old job stopped)',
    ]);
  });

  it('says so when no model read the old topic, and calls a problem after the takeover a note', () => {
    const lines = renderDeployResult({ ...result, handoff: { ...handoff, models: [] }, error: 'the takeover happened, but stopping job x with a savepoint failed, so it was cancelled' }).split('\n');
    expect(lines).toContain('  models:      none read the old topic');
    expect(lines.at(-1)).toBe('  note:        the takeover happened, but stopping job x with a savepoint failed, so it was cancelled');
  });

  it('describes the blue/green phases with what they act on', () => {
    const status = { phase: 'taking-over', mode: 'blue-green', handoff, previousJobId: 'a'.repeat(32), fromVersion: 'v1', toVersion: 'v2', newJobId: 'b'.repeat(32) } as unknown as FlinkDeployStatus;
    expect(describePhase(status)).toBe('taking-over: models reading tributary.features move to tributary.features.v2');
    expect(describePhase({ ...status, phase: 'savepointing' })).toBe(`savepointing: job ${'a'.repeat(32)} keeps running`);
    expect(describePhase({ ...status, phase: 'stopping-previous' })).toBe(`stopping-previous: job ${'a'.repeat(32)} (v1) with a savepoint`);
    expect(describePhase({ ...status, phase: 'savepointing', mode: 'savepoint' })).toBe('savepointing');
  });
});

describe('paths that keep the state, in the CLI', () => {
  const adopted: FlinkDeployResult = {
    ...result,
    outcome: 'failed',
    mode: 'savepoint',
    fromVersion: undefined,
    jobId: undefined,
    adoptedJobId: 'a'.repeat(32),
    catchUp: undefined,
    handoff: undefined,
    takeoverMs: undefined,
    error: 'job x (v2) is not healthy: the job restarted 1 time(s); at most 0 allowed; nothing runs now (…): the state is in savepoint file:/savepoints/savepoint-1',
  };

  it('prints the exact command that resumes from the savepoint of a failed deployment, and the adopted job', () => {
    const lines = renderDeployResult(adopted).split('\n');
    expect(lines[0]).toBe('tributary-feature-job: failed (nothing → v2, mode savepoint)');
    expect(lines).toContain(`  adopted:     job ${'a'.repeat(32)} (run without a recorded deployment), stopped with the savepoint below`);
    expect(lines.at(-1)).toBe('  resume:      tributary flink deploy tributary-feature-job --from-savepoint file:/savepoints/savepoint-1');
  });

  it('says which unrecorded job it adopts', () => {
    const status = { phase: 'savepointing', mode: 'savepoint', adoptedJobId: 'a'.repeat(32), previousJobId: 'a'.repeat(32), toVersion: 'v2' } as unknown as FlinkDeployStatus;
    expect(describePhase(status)).toBe(`savepointing: stopping job ${'a'.repeat(32)}, which no deployment recorded, to start the new version from its state`);
  });

  it('offers no resume when the new version runs', () => {
    expect(renderDeployResult({ ...adopted, outcome: 'deployed', jobId: 'c'.repeat(32), error: undefined })).not.toContain('resume:');
  });

  it('names the stopped version in the resume command when the record knows it', () => {
    expect(resumeCommand('tributary-feature-job', 'file:/sp/savepoint-2', 'v2')).toBe('tributary flink deploy tributary-feature-job --from-savepoint file:/sp/savepoint-2 --job-version v2');
    expect(resumeCommand('job-a', 'file:/sp/savepoint-3', undefined)).toBe('tributary flink deploy job-a --from-savepoint file:/sp/savepoint-3');
  });
});
