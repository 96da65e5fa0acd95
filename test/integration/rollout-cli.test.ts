/**
 * A rollout driven through the real `tributary` CLI, run by an in-process Tributary worker on the
 * real stack (Temporal, Kafka, the Kafka-backed registry and deployments topic): `rollout start`,
 * a refused second start, a start refused for a version that cannot be rolled out, `rollout status`, a promotion refused before the minimum sample with the
 * validator's reason, `set-traffic` (new state printed, routing published), a forced `promote`
 * (registry alias and deployment moved), and an action after the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import type { ServedModel } from '../../src/serving/model-deployment.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { runTributaryWorker } from '../../src/worker/tributary-worker.js';
import type { RolloutStatus } from '../../src/workflows/ab-rollout.js';
import { prepareScoringTopics, registerModelVersions } from '../helpers/scoring.js';
import { applyFraudPipeline } from '../helpers/fraud-pipeline.js';
import { useCpuBackend } from '../helpers/scoring-models.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudRunTopics } from '../helpers/fraud-topics.js';

const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('a rollout through the CLI (real Temporal, Kafka and registry)', () => {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `test.rollout-cli-${runId}.` }, temporal: { ...base.temporal, taskQueue: `test-rollout-cli-${runId}` } };
  const model = `fraud-rollout-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `rollout-cli-it-${runId}` });
  const stopWorker = new AbortController();
  /** The CLI as a person runs it, pointed at this test's task queue and topics; never throws. */
  const tributary = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(TSX, [CLI_ENTRY, ...args], { env: { ...process.env, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, TRIBUTARY_TOPIC_PREFIX: config.topics.prefix }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
      );
    });

  let admin: Admin;
  let registry: KafkaModelRegistry;
  let deployments: DeploymentLog;
  let directory: string;
  let worker: Promise<void> | undefined;
  let versions: ServedModel[];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await prepareScoringTopics(config, admin);
    registry = await createModelRegistry(config);
    deployments = await openDeploymentLog(config);
    await useCpuBackend();
    // A rollout measures its model on its pipeline's topics and label fields: the fraud example's, applied under this name.
    await applyFraudPipeline(config, model);
    versions = await registerModelVersions(registry, model, 2);
    await registry.setStage(model, versions[0]!.version, 'champion', { by: 'test', reason: 'first champion' });
    await deployments.publish(model, { champion: versions[0]!, updatedBy: 'test', reason: 'first champion' });
    directory = await mkdtemp(join(tmpdir(), 'tributary-rollout-cli-'));
    let polling: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (polling = resolve));
    worker = runTributaryWorker(config, { registry, deployments, artifactDirectory: directory, roles: ['orchestration'], signal: stopWorker.signal, shutdownGraceTime: '2s', onRunning: () => polling() });
    await Promise.race([running, worker]);
  }, 180_000);

  afterAll(async () => {
    await tributary('rollback', model, '--reason', 'test cleanup');
    stopWorker.abort();
    await worker;
    await deployments?.close();
    await registry?.close();
    await admin.deleteTopics({ topics: fraudRunTopics(config) });
    await admin.disconnect();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('starts, refuses a second start and an early promote, sets traffic, promotes with --force, and says when it has ended', async () => {
    const plan = join(directory, 'plan.json');
    await writeFile(plan, JSON.stringify({ steps: [{ mode: 'SHADOW', percent: 0, minSamples: 1000, minDurationMs: 0 }], pollIntervalMs: 1000 }));
    const started = await tributary('rollout', 'start', model, '--challenger', '2', '--plan', plan, '--by', 'alice', '--reason', 'new features');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toMatch(new RegExp(`^started rollout:${model}: challenger v2 against champion v1; http`));
    // It waits for the first step and prints the state.
    expect(started.stdout).toMatch(/^traffic +SHADOW; measuring since /m);
    expect(started.stdout).toMatch(/ start +alice: new features: challenger v2 against champion v1$/m);

    const again = await tributary('rollout', 'start', model, '--challenger', '2');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: a rollout of model ${model} is already running (workflow rollout:${model}); see it with \`tributary rollout status ${model}\`, or end it with \`tributary promote|rollback ${model}\`\n`);

    const polled = await waitFor(
      'the first metrics poll',
      async () => {
        const { stdout } = await tributary('rollout', 'status', model, '--json');
        const status = JSON.parse(stdout) as RolloutStatus;
        return status.metrics === null ? undefined : status;
      },
      60_000,
      500,
    );
    expect(polled).toMatchObject({ phase: 'running', champion: versions[0], challenger: versions[1], traffic: { mode: 'SHADOW', percent: 0 } });
    expect(polled.lastEvaluation).toBe('waiting for 1000 labelled scores per variant (fewest so far: 0)');
    expect(await deployments.latest(model)).toMatchObject({ challenger: versions[1], challengerMode: 'SHADOW' });

    const early = await tributary('promote', model, '--by', 'bob');
    expect(early).toMatchObject({ code: 1, stdout: '', stderr: `error: challenger v2 has 0 of 1000 labelled scores; to promote anyway, force it (\`tributary promote ${model} --force\`, or "force": true in the promote update's argument)\n` });

    const traffic = await tributary('set-traffic', model, '30', '--by', 'bob', '--reason', 'more signal');
    expect(traffic.code).toBe(0);
    expect(traffic.stdout).toMatch(new RegExp(`^rollout +rollout:${model} \\(manual\\)`));
    expect(traffic.stdout).toMatch(/^traffic +SPLIT 30%;/m);
    expect(await deployments.latest(model)).toMatchObject({ challengerMode: 'SPLIT', challengerShare: 0.3, updatedBy: 'bob', reason: 'more signal' });

    const promoted = await tributary('promote', model, '--force', '--by', 'bob', '--reason', 'ship it');
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(new RegExp(`^rollout +rollout:${model} \\(promoted\\)`));
    expect(promoted.stdout).toMatch(/ promote +bob: ship it \(forced\)$/m);
    expect((await registry.resolveAlias(model, 'champion'))?.version).toBe(2);
    await waitFor('the deployment serving v2 alone', async () => {
      const latest = await deployments.latest(model);
      return latest?.champion?.version === 2 && latest.challenger === null ? latest : undefined;
    });

    const after = await tributary('rollback', model, '--by', 'bob');
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(new RegExp(`^error: the rollout of model ${model} has ended: promote by bob at \\S+ \\(ship it \\(forced\\)\\); v2 is champion\\n$`));

    // A version that cannot be rolled out (the old champion, archived): the workflow fails at once and the CLI says why.
    const v1Again = await tributary('rollout', 'start', model, '--challenger', '1');
    expect(v1Again.code).toBe(1);
    expect(v1Again.stdout).toBe('');
    expect(v1Again.stderr).toMatch(new RegExp(`^error: the rollout of model ${model} did not start: .*v1 is archived; only a candidate or a challenger can be rolled out\\n$`));

    // The same with --no-wait: the CLI still waits for the rollout to accept or refuse its versions.
    const noWait = await tributary('rollout', 'start', model, '--challenger', '1', '--no-wait');
    expect(noWait).toMatchObject({ code: 1, stdout: '' });
    expect(noWait.stderr).toMatch(new RegExp(`^error: the rollout of model ${model} did not start: .*v1 is archived; only a candidate or a challenger can be rolled out\\n$`));
    // The failed run has no status to show: status says how it ended, and why.
    const failed = await tributary('rollout', 'status', model);
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toMatch(new RegExp(`^error: the last rollout of model ${model} failed: .*v1 is archived; only a candidate or a challenger can be rolled out \\(workflow rollout:${model}\\); start one with \`tributary rollout start ${model} --challenger <version>\`\\n$`));
  });
});
