/**
 * The feature job's own JUnit tests (feature formulas and their bit-equality with the
 * definitions, the feature operator's timing and the training-example join on Flink's operator test harness, argument checks, the
 * Kafka client properties it reads), run with Maven like the jar build, so `npm test` fails when they do.
 * They need no server; they sit here because Maven may download its test plugins on first use.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolExecutable } from '../../src/toolchain/external-tools.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';

/** The example's Maven module, which its definition's build names. */
const FEATURE_JOB_MODULE = fraudJarJob.module!;

const REPORTS = join(FEATURE_JOB_MODULE.moduleDir, 'target', 'surefire-reports');

interface SuiteResult {
  readonly suite: string;
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
}

function suiteResults(): SuiteResult[] {
  return readdirSync(REPORTS)
    .filter((file) => file.startsWith('TEST-') && file.endsWith('.xml'))
    .map((file) => {
      const head = /<testsuite [^>]*>/.exec(readFileSync(join(REPORTS, file), 'utf8'))?.[0] ?? '';
      const count = (name: string): number => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? Number.NaN);
      return { suite: file.slice('TEST-'.length, -'.xml'.length), tests: count('tests'), failures: count('failures'), errors: count('errors'), skipped: count('skipped') };
    });
}

describe('feature job JUnit tests (Maven)', () => {
  it('pass, every suite of them', () => {
    // Reports of an earlier run would count suites this run did not run.
    rmSync(REPORTS, { recursive: true, force: true });
    const run = spawnSync(toolExecutable('mvn'), ['-q', '-B', 'test'], { cwd: FEATURE_JOB_MODULE.moduleDir, encoding: 'utf8', timeout: 600_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const results = suiteResults();
    expect(results.map((result) => result.suite).sort()).toStrictEqual([
      'dev.tributary.flink.features.CardHistoryEquivalenceTest',
      'dev.tributary.flink.features.CardHistoryTest',
      'dev.tributary.flink.features.DistinctStringsTest',
      'dev.tributary.flink.features.FeatureCalculatorTest',
      'dev.tributary.flink.features.JobOptionsTest',
      'dev.tributary.flink.features.KafkaClientPropertiesTest',
      'dev.tributary.flink.features.TrainingExampleJoinTest',
    ]);
    for (const result of results) expect(result, result.suite).toMatchObject({ failures: 0, errors: 0, skipped: 0 });
    expect(results.reduce((sum, result) => sum + result.tests, 0)).toBeGreaterThanOrEqual(15);
  }, 600_000);
});
