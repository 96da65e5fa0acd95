/**
 * Every Flink refusal that tells a person what to do next leads to a path that keeps the job's
 * state (issue 17: "cancel it first … or submit with --force" and "stop them (tributary flink
 * cancel …)" led to lost window state or duplicated output).
 */
import { describe, expect, it } from 'vitest';
import { DISCARDED_STATE_WARNING } from '../../src/cli/flink-command.js';
import { NoRunningJobError, NothingToRunBesideError, RestoreBesideRunningJobError, UnrecordedJobError } from '../../src/flink/deployment-errors.js';
import { FeatureJobAlreadyRunningError } from '../../src/flink/feature-job-errors.js';

const JOB = 'tributary-feature-job';
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

/** Advice that loses state or duplicates output. */
const UNSAFE = [/--force/, /--mode stateless/, /--discard-state/, /cancel it first/, /tributary flink cancel(?! --job-name \S+ --job-id)(?!` \(takes a savepoint)/];

describe('Flink refusals name paths that keep the state', () => {
  const messages: [string, string][] = [
    ['UnrecordedJobError (several)', new UnrecordedJobError(JOB, [A, B], 'several').message],
    ['UnrecordedJobError (beside the recorded job)', new UnrecordedJobError(JOB, [B], 'several', A).message],
    ['UnrecordedJobError (blue-green)', new UnrecordedJobError(JOB, [A], 'blue-green').message],
    ['NoRunningJobError (with a savepoint)', new NoRunningJobError(JOB, A, 'FINISHED', 'file:/sp/savepoint-1').message],
    ['NoRunningJobError (no savepoint recorded)', new NoRunningJobError(JOB, A, 'CANCELED').message],
    ['NothingToRunBesideError', new NothingToRunBesideError(JOB).message],
    ['RestoreBesideRunningJobError', new RestoreBesideRunningJobError(JOB, A, 'file:/sp/savepoint-1').message],
    ['FeatureJobAlreadyRunningError', new FeatureJobAlreadyRunningError(JOB, A, 'RUNNING').message],
  ];

  it.each(messages)('%s advises nothing that loses state', (_name, message) => {
    for (const unsafe of UNSAFE) expect(message).not.toMatch(unsafe);
  });

  it('names the exact commands', () => {
    expect(new UnrecordedJobError(JOB, [B], 'several', A).message).toBe(
      `job(s) ${B} run as "${JOB}" beside the recorded job ${A}, so it is unknown which one to upgrade; ` +
        `keep one: stop each of the others with \`tributary flink cancel --job-name ${JOB} --job-id <id>\` (it takes a savepoint and prints the command that resumes from it), then deploy again`,
    );
    expect(new NoRunningJobError(JOB, A, 'FINISHED', 'file:/sp/savepoint-1').message).toBe(
      `the current job of "${JOB}" (${A}) is FINISHED, so there is no running job to take a savepoint of, and an upgrade never falls back to an older checkpoint; ` +
        `resume its state with \`tributary flink deploy ${JOB} --from-savepoint file:/sp/savepoint-1\` (the newest savepoint of \`tributary flink history ${JOB}\`)`,
    );
    expect(new FeatureJobAlreadyRunningError(JOB, A, 'RUNNING').message).toBe(
      `feature job "${JOB}" is already RUNNING as job ${A}; to run another version, upgrade it with its state: \`tributary flink deploy ${JOB} --job-version <version>\`; ` +
        'to stop it, `tributary flink cancel` (takes a savepoint and prints the command that resumes from it)',
    );
  });

  it('says what --discard-state loses before it cancels', () => {
    expect(DISCARDED_STATE_WARNING).toMatch(/^state discarded: the events the job holds in its windows and timers \(transactions whose source offsets are already committed but whose features were not emitted yet\) are lost for good/);
  });
});
