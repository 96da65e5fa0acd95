/**
 * The JUnit test of the functions generated SQL jobs call (flink/sql-functions: the keyed PII
 * hash against an openssl-computed value, null, a missing or empty key file), run with Maven as
 * the jar build is, so `npm test` fails when it does. It needs no server; it sits here because
 * Maven may download Flink's API jar and its test plugins on first use.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQL_FUNCTIONS_MODULE } from '../../src/flink/sql-feature-job.js';
import { toolExecutable } from '../../src/toolchain/external-tools.js';

const REPORTS = join(SQL_FUNCTIONS_MODULE.moduleDir, 'target', 'surefire-reports');

describe('SQL functions JUnit test (Maven)', () => {
  it('passes', () => {
    // A report of an earlier run would pass for this one.
    rmSync(REPORTS, { recursive: true, force: true });
    const run = spawnSync(toolExecutable('mvn'), ['-q', '-B', 'test'], { cwd: SQL_FUNCTIONS_MODULE.moduleDir, encoding: 'utf8', timeout: 600_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const head = /<testsuite [^>]*>/.exec(readFileSync(join(REPORTS, 'TEST-dev.tributary.flink.sql.PiiHashTest.xml'), 'utf8'))?.[0] ?? '';
    const count = (name: string): number => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? Number.NaN);
    expect({ tests: count('tests'), failures: count('failures'), errors: count('errors'), skipped: count('skipped') }).toEqual({ tests: 3, failures: 0, errors: 0, skipped: 0 });
  }, 600_000);
});
