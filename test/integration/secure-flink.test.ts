/**
 * The Flink feature job on the secure broker (the stack's kafka-secure: SASL_SSL, SCRAM-SHA-512,
 * ACLs) as the `flink` principal: the simulator's transactions become one feature each and an
 * undecodable record a dead letter, all through TLS and SASL. The password travels in a 0600
 * file the job only references, so it appears in no job argument, no answer of Flink's REST API
 * and no log. A wrong password or a principal without ACLs is refused before anything is
 * submitted, in one line.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TributaryConfig } from '../../src/config/config.js';
import { startDeployment } from '../../src/worker/flink-deploy-client.js';
import { prepareFeatureJobDeployment } from '../../src/flink/deployment-feature-job.js';
import { flinkDeployTaskQueue, withInProcessDeployWorker } from '../../src/worker/flink-deploy-worker.js';
import { FeatureJobDeployer, type SubmittedFeatureJob } from '../../src/flink/feature-job.js';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.js';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/streaming/errors.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { auditFeatures, startSimulatedStream } from '../helpers/feature-stream.js';
import { readDeadLetters } from '../helpers/scoring.js';
import { useSecureBroker } from '../helpers/secure-kafka.js';
import { removeFeatureJobDeployments } from '../helpers/flink-deployments.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudJarJob } from '../helpers/fraud-feature-job.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

/** Records reach read_committed readers with the checkpoint after them. */
const FLINK_CONFIGURATION = { 'execution.checkpointing.interval': '2s' };

/** Every file under a folder, recursively. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('the Flink feature job on the secure broker (SASL_SSL + SCRAM-SHA-512 + ACLs, real Flink)', () => {
  const broker = useSecureBroker('secure-flink');
  const { base, ctx, files, roleConfig, kafkaOf } = broker;
  const runId = base.topics.prefix.slice(-9, -1);
  const jobName = `tributary-feature-job-secure-${runId}`;
  const rest = new FlinkRestClient({ baseUrl: base.flink.restUrl });
  let flinkConfig: TributaryConfig;
  let submitted: SubmittedFeatureJob | undefined;

  beforeAll(async () => {
    flinkConfig = await roleConfig('flink');
  });

  afterAll(async () => {
    if (submitted) await new FeatureJobDeployer(flinkConfig).cancel({ jobId: submitted.jobId }).catch(() => undefined);
  }, 120_000);

  it('turns the simulator\'s transactions into one feature each and dead-letters an undecodable one, as the flink principal', async () => {
    submitted = await new FeatureJobDeployer(flinkConfig).submit({ job: fraudJarJob, jobName, jobVersion: `secure-${runId}`, argumentOverrides: { 'out-of-orderness-ms': '0' }, flinkConfiguration: FLINK_CONFIGURATION });
    expect(submitted.spec.kafkaClientPropertiesFile).toMatch(/\/flink\/secrets\/kafka-client\..*\.properties$/);

    // The simulator's own principal writes the raw streams.
    const simulatorConfig = await roleConfig('simulator');
    const stream = await startSimulatedStream(simulatorConfig, { seed: 23, rate: 2000, count: 400 });
    await stream.finish();
    const { transactionIds } = stream;
    const raw = kafkaOf(simulatorConfig, 'simulator-raw').producer();
    await raw.connect();
    try {
      await raw.send({ topic: fraudTopic(base, 'transactions'), messages: [{ key: 'not-avro', value: Buffer.from('not an avro record') }] });
    } finally {
      await raw.disconnect();
    }
    expect(transactionIds.size).toBeGreaterThan(100);

    const { adminConfig } = broker;
    const auditKafka = kafkaOf(adminConfig, 'audit');
    const { features, duplicated } = await auditFeatures(auditKafka, createSchemaRegistryClient(adminConfig.schemaRegistry), adminConfig, transactionIds, 120_000);
    expect(duplicated).toStrictEqual([]);
    expect(features).toHaveLength(transactionIds.size);

    const deadLetters = await waitFor('the undecodable record in the dead-letter queue', async () => {
      const read = await readDeadLetters(auditKafka, adminConfig);
      return read.length > 0 ? read : undefined;
    }, 60_000, 2000);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ source_topic: fraudTopic(base, 'transactions') });

    const details = await rest.jobDetails(submitted.jobId);
    expect(details.state).toBe('RUNNING');
    expect((await rest.exceptions(submitted.jobId)).exceptionHistory.entries).toStrictEqual([]);
  }, 300_000);

  it('keeps the password out of the job\'s arguments, Flink\'s REST API and every Flink log', async () => {
    if (!submitted) throw new Error('the job of the first test did not start');
    const password = (await readFile(files.passwordFile('flink'), 'utf8')).trim();
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    // The file holds it, readable by its owner only; the job is told where the file is.
    const propertiesFile = submitted.spec.kafkaClientPropertiesFile!;
    expect(await readFile(propertiesFile, 'utf8')).toContain(password);
    const args = JSON.stringify(submitted.spec);
    expect(args).toContain(propertiesFile);
    expect(args).not.toContain(password);

    const jobId = submitted.jobId;
    const endpoints = [`/jobs/${jobId}`, `/jobs/${jobId}/config`, `/jobs/${jobId}/plan`, `/jobs/${jobId}/exceptions`, '/jobmanager/config', '/jobmanager/environment', '/taskmanagers'];
    for (const endpoint of endpoints) {
      const response = await fetch(`${base.flink.restUrl}${endpoint}`, { signal: AbortSignal.timeout(10_000) });
      expect(response.ok, endpoint).toBe(true);
      expect(await response.text(), endpoint).not.toContain(password);
    }

    const flinkLogs = [
      ...(await filesUnder(join(ctx.layout.componentDataDir('flink'), 'log'))),
      ctx.layout.logFile('flink-jobmanager'),
      ctx.layout.logFile('flink-taskmanager'),
    ];
    const contents = await Promise.all(flinkLogs.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
    // The job's Kafka clients logged their configuration: SASL_SSL, with the settings resolved through the file provider.
    expect(contents.some(({ text }) => text.includes('security.protocol = SASL_SSL') && text.includes('config.providers = [tributary-file]'))).toBe(true);
    for (const { file, text } of contents) expect(text.includes(password), file).toBe(false);
  });

  it('deploys and upgrades the job by savepoint through flinkDeploy: the job as flink, the worker\'s activities as trainer', async () => {
    const deployedJob = `${jobName}-deployed`;
    const trainerConfig = await roleConfig('trainer');
    const simulatorConfig = await roleConfig('simulator');
    const connection = await Connection.connect({ address: base.temporal.address });
    const client = new Client({ connection, namespace: base.temporal.namespace });
    const stream = await startSimulatedStream(simulatorConfig, { seed: 25, rate: 100 });
    try {
      const results = await withInProcessDeployWorker(trainerConfig, async () => {
        const deploy = async (jobVersion: string) => {
          const spec = await prepareFeatureJobDeployment(flinkConfig, fraudJarJob, { jobName: deployedJob, jobVersion, flinkConfiguration: FLINK_CONFIGURATION });
          const handle = await startDeployment(client, { spec, health: { windowMs: 6_000, sampleIntervalMs: 500 } }, { taskQueue: flinkDeployTaskQueue(trainerConfig), uiUrl: base.temporal.uiUrl });
          return handle.result();
        };
        return [await deploy('v1'), await deploy('v2')];
      });
      const [first, upgrade] = results;
      expect(first).toMatchObject({ outcome: 'deployed', toVersion: 'v1' });
      expect(upgrade).toMatchObject({ outcome: 'deployed', fromVersion: 'v1', toVersion: 'v2' });
      // The health window saw the input (described by trainer) and the output (written by flink over SASL_SSL) grow.
      expect(upgrade?.health).toMatchObject({ healthy: true, figures: { restarts: 0, exceptions: 0 } });
      expect(upgrade?.health?.figures.outputRecords).toBeGreaterThan(0);
      expect(upgrade?.savepoint).toMatch(/savepoint/);
    } finally {
      stream.stop();
      await stream.finish();
      await removeFeatureJobDeployments(base, deployedJob);
      await connection.close();
    }
  }, 300_000);

  it('refuses a wrong password before submitting, in one line that does not contain it', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const config: TributaryConfig = { ...flinkConfig, kafka: { ...flinkConfig.kafka, sasl: { mechanism: 'scram-sha-512', username: 'flink', password: wrong } } };
    const refusedJob = `${jobName}-wrong-password`;
    const error = await new FeatureJobDeployer(config).submit({ job: fraudJarJob, jobName: refusedJob, jobVersion: 'refused' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect((error as Error).message).toBe(
      `Kafka at ${files.bootstrap} rejected the SCRAM-SHA-512 credentials of user flink (invalid user name or password); ` +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
    );
    expect((await rest.listJobs()).filter((job) => job.name === refusedJob)).toStrictEqual([]);
  });

  it('refuses a principal whose ACLs do not cover the job\'s topics before submitting, naming them', async () => {
    const simulatorConfig = await roleConfig('simulator');
    const refusedJob = `${jobName}-as-simulator`;
    const error = await new FeatureJobDeployer(simulatorConfig).submit({ job: fraudJarJob, jobName: refusedJob, jobVersion: 'refused' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaAuthorizationError);
    const topics = ['transactions', 'labels', 'features', 'training-examples', 'dlq'].map((logical) => `${base.topics.prefix}${logical}`);
    expect((error as Error).message).toBe(
      `Kafka refused principal User:simulator permission to describe topics ${topics.join(', ')} (TOPIC_AUTHORIZATION_FAILED): no ACL allows it; ` +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
    );
    expect((await rest.listJobs()).filter((job) => job.name === refusedJob)).toStrictEqual([]);
  });
});
