import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { piiKeyFilePath, writeSecretFile } from '../../src/flink/feature-job-secrets.js';
import { isJarStale } from '../../src/flink/jar-builder.js';
import { featureJobDeploymentSpec } from '../../src/flink/deployment-spec.js';
import { FEATURE_JOB_NAME, featureJobFlinkConfiguration, featureJobProgramArgs, featureJobSpec } from '../../src/flink/job-spec.js';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-feature-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config: TributaryConfig = { ...loadConfig({ env: {} }), topics: { prefix: 'acme.' } };

describe('feature job spec', () => {
  it('derives topic names, group and transactional id prefix from the configuration', () => {
    const spec = featureJobSpec(config, { jobVersion: 'v7', piiKeyFile: '/secrets/key' });
    expect(spec).toMatchObject({
      jobName: FEATURE_JOB_NAME,
      topics: { transactions: 'acme.transactions', labels: 'acme.labels', features: 'acme.features', trainingExamples: 'acme.training-examples', dlq: 'acme.dlq' },
      groupId: 'acme.tributary-feature-job',
      transactionalIdPrefix: 'acme.tributary-feature-job-v7',
      outOfOrdernessMs: 5000,
      labelHorizonMs: 604_800_000,
    });
  });

  it('turns the spec into one argument per token, never the key itself', () => {
    const args = featureJobProgramArgs(featureJobSpec(config, { jobVersion: 'v7', piiKeyFile: '/secrets/key', outOfOrdernessMs: 0 }));
    expect(args).toEqual([
      '--bootstrap-servers', '127.0.0.1:9092',
      '--schema-registry-url', 'http://127.0.0.1:8085/apis/ccompat/v7',
      '--transactions-topic', 'acme.transactions',
      '--labels-topic', 'acme.labels',
      '--features-topic', 'acme.features',
      '--training-examples-topic', 'acme.training-examples',
      '--dlq-topic', 'acme.dlq',
      '--group-id', 'acme.tributary-feature-job',
      '--job-version', 'v7',
      '--job-name', 'tributary-feature-job',
      '--pii-key-file', '/secrets/key',
      '--out-of-orderness-ms', '0',
      '--label-horizon-ms', '604800000',
      '--transactional-id-prefix', 'acme.tributary-feature-job-v7',
    ]);
    expect(args.join(' ')).not.toContain(config.pii.hashKey);
  });
});

describe('feature job Flink configuration', () => {
  const latencyDefaults = { 'pipeline.auto-watermark-interval': '50ms', 'execution.buffer-timeout.interval': '10ms', 'execution.checkpointing.interval': '500ms' };

  it('submits every job with the measured latency defaults, not the cluster’s 10 s checkpoints', () => {
    expect(featureJobFlinkConfiguration()).toEqual(latencyDefaults);
    const deployable = featureJobDeploymentSpec(featureJobSpec(config, { jobVersion: 'v7', piiKeyFile: '/secrets/key' }), { jarPath: '/jars/job.jar' });
    expect(deployable.flinkConfiguration).toEqual(latencyDefaults);
  });

  it('lets the caller’s settings win over each default and add their own', () => {
    expect(featureJobFlinkConfiguration({ 'execution.checkpointing.interval': '2s', 'state.backend.type': 'rocksdb' })).toEqual({ ...latencyDefaults, 'execution.checkpointing.interval': '2s', 'state.backend.type': 'rocksdb' });
  });
});

describe('PII key file', () => {
  it('lives under <dataDir>/flink/secrets', () => {
    expect(piiKeyFilePath({ ...config, paths: { ...config.paths, dataDir: '/data' } })).toBe('/data/flink/secrets/pii-hash-key');
  });

  it('is written readable by its owner only, in a folder only its owner can enter', async () => {
    const file = join(scratch, 'secrets', 'pii-hash-key');
    await writeSecretFile(file, 'first-key-0123456789');
    await writeSecretFile(file, 'second-key-0123456789');
    expect(readFileSync(file, 'utf8')).toBe('second-key-0123456789');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(scratch, 'secrets')).mode & 0o777).toBe(0o700);
  });
});

describe('jar staleness', () => {
  const moduleDir = join(scratch, 'module');
  mkdirSync(join(moduleDir, 'src'), { recursive: true });
  mkdirSync(join(moduleDir, 'target'), { recursive: true });
  const source = join(moduleDir, 'src', 'Job.java');
  const jar = join(moduleDir, 'target', 'job.jar');
  const module = { moduleDir, jar: join('target', 'job.jar'), inputs: [join(moduleDir, 'src')] };
  const at = (file: string, epochSeconds: number): void => utimesSync(file, epochSeconds, epochSeconds);

  it('is stale without a jar, fresh when the jar is newer than every input, stale again after an edit', async () => {
    writeFileSync(source, 'class Job {}');
    at(source, 1_000);
    at(join(moduleDir, 'src'), 1_000);
    expect(await isJarStale(module)).toBe(true);
    writeFileSync(jar, 'jar');
    at(jar, 2_000);
    expect(await isJarStale(module)).toBe(false);
    at(source, 3_000);
    expect(await isJarStale(module)).toBe(true);
  });
});
