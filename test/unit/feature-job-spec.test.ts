import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { piiKeyFilePath, writeSecretFile } from '../../src/flink/feature-job-secrets.js';
import { isJarStale } from '../../src/flink/jar-builder.js';
import { featureJobDeploymentSpec } from '../../src/flink/deployment-spec.js';
import { pipelineJarJob, type PipelineJarJob } from '../../src/flink/jar-feature-job.js';
import { featureJobFlinkConfiguration, featureJobProgramArgs, featureJobSpec } from '../../src/flink/job-spec.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';
import { FRAUD_DEFINITION_FILE, fraudJarJob } from '../helpers/fraud-feature-job.js';

/** The fraud definition's build.inputs, as written in the file. */
const fraudBuildInputs = ['schemas', '../../schemas/dead-letter.avsc'];

const scratch = mkdtempSync(join(tmpdir(), 'tributary-feature-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config: TributaryConfig = { ...loadConfig({ env: {} }), topics: { prefix: 'acme.' } };

/** A jar job of a pipeline with two sources, as `pipelineJarJob` reads it from a definition. */
const churnJob: PipelineJarJob = {
  pipeline: 'churn',
  jobName: 'churn-features',
  jar: '/repo/churn/job/target/churn.jar',
  mainClass: 'com.acme.ChurnFeatures',
  args: ['--window', '30d', '--label-horizon-ms', '1000', '--verbose'],
  module: undefined,
  topics: { sources: ['sessions', 'payments'], labels: 'cancellations', features: 'churn-features', trainingExamples: 'churn.training-examples', dlq: 'churn.dlq' },
  labelHorizonMs: 2_592_000_000,
};

describe('feature job spec', () => {
  it('derives topic names, group and transactional id prefix from the pipeline\'s job and the configuration', () => {
    const spec = featureJobSpec(config, churnJob, { jobVersion: 'v7', piiKeyFile: '/secrets/key' });
    expect(spec).toMatchObject({
      jobName: 'churn-features',
      entryClass: 'com.acme.ChurnFeatures',
      topics: { sources: ['acme.sessions', 'acme.payments'], labels: 'acme.cancellations', features: 'acme.churn-features', trainingExamples: 'acme.churn.training-examples', dlq: 'acme.churn.dlq' },
      groupId: 'acme.churn-features',
      transactionalIdPrefix: 'acme.churn-features-v7',
      labelHorizonMs: 2_592_000_000,
    });
  });

  it('gives the platform\'s arguments, one per token, then the definition\'s: a same-named one replaces the platform\'s in place, a caller\'s override wins over both, never the key itself', () => {
    const args = featureJobProgramArgs(featureJobSpec(config, churnJob, { jobVersion: 'v7', piiKeyFile: '/secrets/key', argumentOverrides: { window: '7d' } }));
    expect(args).toEqual([
      '--bootstrap-servers', '127.0.0.1:9092',
      '--schema-registry-url', 'http://127.0.0.1:8085/apis/ccompat/v7',
      '--source-topics', 'acme.sessions,acme.payments',
      '--labels-topic', 'acme.cancellations',
      '--features-topic', 'acme.churn-features',
      '--training-examples-topic', 'acme.churn.training-examples',
      '--dlq-topic', 'acme.churn.dlq',
      '--group-id', 'acme.churn-features',
      '--job-version', 'v7',
      '--job-name', 'churn-features',
      '--pii-key-file', '/secrets/key',
      '--label-horizon-ms', '1000',
      '--transactional-id-prefix', 'acme.churn-features-v7',
      '--window', '7d',
      '--verbose',
    ]);
    expect(args.join(' ')).not.toContain(config.pii.hashKey);
  });

  it('reads the fraud example\'s jar job from its definition alone: paths from the file\'s folder, its topics, main class and arguments', () => {
    const folder = dirname(FRAUD_DEFINITION_FILE);
    expect(fraudJarJob).toEqual({
      pipeline: 'fraud',
      jobName: 'tributary-feature-job',
      jar: join(folder, 'feature-job', 'target', 'tributary-feature-job.jar'),
      mainClass: 'dev.tributary.flink.features.FeatureJob',
      args: ['--out-of-orderness-ms', '5000', '--feature-timing', 'arrival'],
      module: {
        moduleDir: join(folder, 'feature-job'),
        jar: join('target', 'tributary-feature-job.jar'),
        inputs: [join(folder, 'feature-job', 'pom.xml'), join(folder, 'feature-job', 'src'), ...fraudBuildInputs.map((input) => join(folder, input))],
      },
      topics: { sources: ['transactions'], labels: 'labels', features: 'features', trainingExamples: 'training-examples', dlq: 'dlq' },
      labelHorizonMs: 604_800_000,
    });
  });

  it('refuses a SQL pipeline in one line: its job is not a jar', () => {
    const file = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
    expect(() => pipelineJarJob(loadPipelineDefinition(file), dirname(file))).toThrow(/^pipeline delivery-time has a sql feature job, not a jar; `tributary pipeline apply` submits it through the SQL Gateway$/);
  });
});

describe('feature job Flink configuration', () => {
  const latencyDefaults = { 'pipeline.auto-watermark-interval': '50ms', 'execution.buffer-timeout.interval': '10ms', 'execution.checkpointing.interval': '500ms' };

  it('submits every job with the measured latency defaults, not the cluster’s 10 s checkpoints', () => {
    expect(featureJobFlinkConfiguration()).toEqual(latencyDefaults);
    const deployable = featureJobDeploymentSpec(featureJobSpec(config, churnJob, { jobVersion: 'v7', piiKeyFile: '/secrets/key' }), { jarPath: '/jars/job.jar' });
    expect(deployable.flinkConfiguration).toEqual(latencyDefaults);
    expect(deployable).toMatchObject({ entryClass: 'com.acme.ChurnFeatures', observedTopics: { inputs: ['acme.sessions', 'acme.payments'], outputs: ['acme.churn-features'] } });
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
