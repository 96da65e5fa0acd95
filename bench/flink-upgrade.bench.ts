/**
 * Downtime of feature job upgrades through flinkDeploy on the local real stack, with the
 * simulator writing a steady stream: several savepoint upgrades and rollbacks (a version that
 * cannot reach the registry), then blue/green upgrades. Downtime is the largest gap between the
 * Kafka timestamps (write times) of consecutive features records during a deployment: the last
 * record the old job wrote before its stop to the first the next job wrote. For blue/green the
 * records of the old and the new topic count together (a scorer reads both across the handoff),
 * and the takeover is the time from the takeover decision to the old job ended. Prints JSON.
 *
 *   npx tsx bench/flink-upgrade.bench.ts          # UPGRADES=3 ROLLBACKS=2 BLUE_GREENS=3 RATE=200 CHECKPOINT_S=2
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type TributaryConfig } from '../src/config/config.js';
import { startDeployment } from '../src/worker/flink-deploy-client.js';
import { prepareFeatureJobDeployment, type FeatureJobDeploymentChoices } from '../src/flink/deployment-feature-job.js';
import { FileDeploymentRecordStore } from '../src/flink/deployment-record-store.js';
import { deploymentRecordsDir } from '../src/flink/deployment-paths.js';
import { flinkDeployTaskQueue, withInProcessDeployWorker } from '../src/worker/flink-deploy-worker.js';
import { RestFlinkService } from '../src/flink/flink-service.js';
import { createKafka } from '../src/streaming/kafka-client.js';
import { simulatorTopics } from '../examples/fraud/fraud-pipeline.js';
import { createKafkaSimulationSink } from '../examples/fraud/simulator/kafka-sink.js';
import { simulateEvents } from '../examples/fraud/simulator/event-generator.js';
import { runSimulation } from '../examples/fraud/simulator/simulation-runner.js';
import type { EachMessagePayload } from 'kafkajs';
import type { FlinkDeployStatus } from '../src/workflows/flink-deploy.js';
import { collectingConsumer, type CollectingConsumer } from '../test/helpers/kafka.js';
import { fraudJarJob } from '../test/helpers/fraud-feature-job.js';
import { fraudRunTopics, fraudTopic, prepareFraudTopics } from '../test/helpers/fraud-topics.js';

const UPGRADES = Number(process.env.UPGRADES ?? 3);
const ROLLBACKS = Number(process.env.ROLLBACKS ?? 2);
const BLUE_GREENS = Number(process.env.BLUE_GREENS ?? 3);
const CATCH_UP = { maxBacklogRecords: 500, timeoutMs: 60_000, sampleIntervalMs: 500 };
const RATE = Number(process.env.RATE ?? 200);
const CHECKPOINT_S = Number(process.env.CHECKPOINT_S ?? 2);
const HEALTH = { windowMs: 6_000, sampleIntervalMs: 500 };

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? null) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const phaseAt = (status: FlinkDeployStatus, phase: string): number | undefined => status.phases.find((entry) => entry.phase === phase)?.at;

/** Write times of the records received, from `since` on, in order. */
const writeTimes = (received: readonly EachMessagePayload[], since: number): number[] =>
  received.map(({ message }) => Number(message.timestamp)).filter((at) => at >= since).sort((a, b) => a - b);

/** The largest gap between consecutive write times. */
const largestGap = (stamps: readonly number[]): number => {
  let gap = 0;
  for (let index = 1; index < stamps.length; index++) gap = Math.max(gap, (stamps[index] ?? 0) - (stamps[index - 1] ?? 0));
  return gap;
};

async function main(): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const base = loadConfig();
  const config: TributaryConfig = { ...base, topics: { prefix: `bench.up-${runId}.` }, temporal: { ...base.temporal, taskQueue: `bench-flink-upgrade-${runId}` } };
  const jobName = `tributary-feature-job-bench-${runId}`;
  const kafka = createKafka(config, { clientIdSuffix: `flink-upgrade-bench-${runId}` });
  const admin = kafka.admin();
  await admin.connect();
  await prepareFraudTopics(config, admin);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const flink = new RestFlinkService({ baseUrl: config.flink.restUrl });
  const records = new FileDeploymentRecordStore(deploymentRecordsDir(config));
  const baseTopic = fraudTopic(config, 'features');
  const features = await collectingConsumer(kafka, baseTopic, { readUncommitted: false });
  /** A consumer per features topic the job has written; blue/green adds one per upgrade. */
  const consumers = new Map<string, CollectingConsumer>([[baseTopic, features]]);
  let currentTopic = baseTopic;
  const sink = await createKafkaSimulationSink(config, simulatorTopics(config));
  const stop = new AbortController();
  const spec = (jobVersion: string, extra: FeatureJobDeploymentChoices = {}) =>
    prepareFeatureJobDeployment(config, fraudJarJob, { jobName, jobVersion, flinkConfiguration: { 'execution.checkpointing.interval': `${CHECKPOINT_S}s` }, ...extra });

  type Measured = { kind: 'upgrade' | 'rollback'; outputGapMs: number; workflowDowntimeMs: number | null; savepointMs: number | null; submitToVerifyMs: number | null; totalMs: number };
  const measured: Measured[] = [];
  type BlueGreenMeasured = { version: string; outputGapMs: number; takeoverMs: number | null; overlapMs: number | null; catchUpWaitMs: number | null; decisionAfterStartMs: number | null; totalMs: number };
  const blueGreens: BlueGreenMeasured[] = [];
  const disposedStillOnDisk: string[] = [];
  try {
    await withInProcessDeployWorker(config, async () => {
      const deploy = async (jobVersion: string, extra: FeatureJobDeploymentChoices = {}, mode: 'savepoint' | 'blue-green' = 'savepoint') => {
        const input = { spec: await spec(jobVersion, extra), health: HEALTH, savepointRetention: 2, mode, catchUp: CATCH_UP };
        const handle = await startDeployment(client, input, { taskQueue: flinkDeployTaskQueue(config), uiUrl: config.temporal.uiUrl });
        const result = await handle.result();
        return { result, status: await handle.query<FlinkDeployStatus>('status') };
      };
      const first = await deploy('b0');
      if (first.result.outcome !== 'deployed') throw new Error(`first deployment ${first.result.outcome}: ${first.result.error}`);
      const simulation = runSimulation(simulateEvents({ seed: 11, startTime: Date.parse('2026-03-02T08:00:00Z'), labelDelayScale: 0.05 }), sink, { rate: RATE, signal: stop.signal });
      /** Waits until the topic the job writes now has 50 more records. */
      const settle = async (): Promise<void> => {
        const current = consumers.get(currentTopic) ?? features;
        const seen = current.received.length;
        while (current.received.length < seen + 50) await new Promise((resolve) => setTimeout(resolve, 200));
      };
      const plan: { kind: Measured['kind']; version: string; extra?: FeatureJobDeploymentChoices }[] = [];
      for (let n = 1; n <= Math.max(UPGRADES, ROLLBACKS); n++) {
        if (n <= UPGRADES) plan.push({ kind: 'upgrade', version: `b${n}` });
        if (n <= ROLLBACKS) plan.push({ kind: 'rollback', version: `broken${n}`, extra: { argumentOverrides: { 'schema-registry-url': 'http://127.0.0.1:1/apis/ccompat/v7' } } });
      }
      for (const step of plan) {
        await settle();
        const began = Date.now();
        const { result, status } = await deploy(step.version, step.extra);
        const expected = step.kind === 'upgrade' ? 'deployed' : 'rolled-back';
        if (result.outcome !== expected) throw new Error(`${step.version}: expected ${expected}, got ${result.outcome}: ${result.error}`);
        await settle();
        const gap = largestGap(writeTimes(features.received, began - 5_000));
        const savepointing = phaseAt(status, 'savepointing');
        const submitting = phaseAt(status, 'submitting');
        measured.push({
          kind: step.kind,
          outputGapMs: gap,
          workflowDowntimeMs: result.downtimeMs ?? null,
          savepointMs: savepointing !== undefined && submitting !== undefined ? submitting - savepointing : null,
          submitToVerifyMs: submitting !== undefined ? (phaseAt(status, 'verifying') ?? submitting) - submitting : null,
          totalMs: Date.now() - began,
        });
        for (const path of result.disposedSavepoints) if (path.startsWith('file:') && existsSync(fileURLToPath(path.replace(/^file:\/*/, 'file:///')))) disposedStillOnDisk.push(path);
      }
      for (let n = 1; n <= BLUE_GREENS; n++) {
        await settle();
        const began = Date.now();
        const previousTopic = currentTopic;
        const { result, status } = await deploy(`g${n}`, { versionedFeaturesTopic: true }, 'blue-green');
        if (result.outcome !== 'deployed') throw new Error(`g${n}: expected deployed, got ${result.outcome}: ${result.error}`);
        currentTopic = result.handoff?.newTopic ?? currentTopic;
        consumers.set(currentTopic, await collectingConsumer(kafka, currentTopic, { readUncommitted: false }));
        await settle();
        const before = writeTimes(consumers.get(previousTopic)?.received ?? [], began - 5_000);
        const after = writeTimes(consumers.get(currentTopic)?.received ?? [], began - 5_000);
        const lastOld = before.at(-1);
        const firstNew = after[0];
        const takingOver = phaseAt(status, 'taking-over');
        const catchingUp = phaseAt(status, 'catching-up');
        blueGreens.push({
          version: `g${n}`,
          outputGapMs: largestGap([...before, ...after].sort((a, b) => a - b)),
          takeoverMs: result.takeoverMs ?? null,
          overlapMs: lastOld !== undefined && firstNew !== undefined ? lastOld - firstNew : null,
          catchUpWaitMs: result.catchUp?.waitedMs ?? null,
          decisionAfterStartMs: takingOver !== undefined && catchingUp !== undefined ? takingOver - (phaseAt(status, 'submitting') ?? catchingUp) : null,
          totalMs: Date.now() - began,
        });
      }
      stop.abort();
      await simulation;
    });
  } finally {
    stop.abort();
    await sink.close();
    for (const consumer of consumers.values()) await consumer.consumer.disconnect();
    for (const job of await flink.activeJobs(jobName)) await flink.cancel(job.jobId);
    for (const savepoint of (await records.read(jobName)).savepoints) await flink.disposeSavepoint(savepoint.path).catch(() => undefined);
    await rm(join(deploymentRecordsDir(config), `${encodeURIComponent(jobName)}.json`), { force: true });
    await admin.deleteTopics({ topics: [...new Set([...fraudRunTopics(config), ...consumers.keys()])] }).catch(() => undefined);
    await admin.disconnect();
    await connection.close();
  }

  const of = (kind: Measured['kind'], key: 'outputGapMs' | 'workflowDowntimeMs' | 'savepointMs' | 'submitToVerifyMs') =>
    median(measured.filter((entry) => entry.kind === kind).map((entry) => entry[key]).filter((value): value is number => value !== null));
  console.log(JSON.stringify({
    benchmark: 'flink-upgrade',
    rate: RATE,
    checkpointIntervalMs: CHECKPOINT_S * 1000,
    healthWindowMs: HEALTH.windowMs,
    upgrade: { runs: UPGRADES, medianOutputGapMs: of('upgrade', 'outputGapMs'), medianStopToRunningMs: of('upgrade', 'workflowDowntimeMs'), medianSavepointMs: of('upgrade', 'savepointMs'), medianSubmitMs: of('upgrade', 'submitToVerifyMs') },
    rollback: { runs: ROLLBACKS, medianOutputGapMs: of('rollback', 'outputGapMs'), medianStopToRunningMs: of('rollback', 'workflowDowntimeMs') },
    blueGreen: {
      runs: BLUE_GREENS,
      medianOutputGapMs: median(blueGreens.map((entry) => entry.outputGapMs)),
      medianTakeoverMs: median(blueGreens.flatMap((entry) => (entry.takeoverMs === null ? [] : [entry.takeoverMs]))),
      medianOverlapMs: median(blueGreens.flatMap((entry) => (entry.overlapMs === null ? [] : [entry.overlapMs]))),
      medianSubmitToTakeoverMs: median(blueGreens.flatMap((entry) => (entry.decisionAfterStartMs === null ? [] : [entry.decisionAfterStartMs]))),
    },
    disposedSavepointsStillOnDisk: disposedStillOnDisk,
    runs: measured,
    blueGreenRuns: blueGreens,
  }, null, 2));
}

await main();
