/**
 * `tributary worker` through the real binary (`node dist/cli/main.js`; run `npm run build`
 * first) against the shared stack's Temporal and Kafka: its /healthz and /readyz on
 * TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS, as the chart's probes ask them. Each run polls task
 * queues of its own, so it takes no task meant for another test's worker, and reads topics of its
 * own prefix (the registry and the deployments log need them to exist).
 *
 * Not-ready is shown before the worker has connected: its Temporal address is a TCP listener that
 * accepts and never answers, so the connection hangs and /readyz must say so. The shared Temporal
 * is never stopped (other tests use it); a worker whose polls fail later is covered by the unit
 * tests (test/unit/worker-health.test.ts).
 *
 * On a prefix without the topics it reads, the worker stops in one line that says what to run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { topicCatalogue } from '../../src/streaming/topic-catalogue.js';
import { flinkDeployTaskQueue } from '../../src/worker/flink-deploy-worker.js';
import { trainingTaskQueue } from '../../src/workflows/task-queues.js';
import { freePort } from '../helpers/serve-process.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PREFIX = `test.worker-health.${randomUUID().slice(0, 8)}.`;
const prefixed = loadConfig({ env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX } });
let admin: Admin;

beforeAll(async () => {
  admin = createKafka(prefixed).admin();
  await admin.connect();
  await ensureTopics(admin, topicCatalogue(prefixed));
});

afterAll(async () => {
  await admin.deleteTopics({ topics: topicCatalogue(prefixed).map((topic) => topic.name) });
  await admin.disconnect();
});

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: WorkerProcess[] = [];
const servers: Server[] = [];
/** The connections the silent Temporal address accepted; destroyed first, since a server closes only once none is left. */
const sockets: Socket[] = [];

afterEach(async () => {
  for (const worker of started.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }
  sockets.splice(0).forEach((socket) => socket.destroy());
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const worker = { child, output, exited };
  started.push(worker);
  return worker;
}

/** GET `path` on the worker's health port; undefined while nothing listens there yet. */
async function probe(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/**
 * Waits for `path` to answer as `accepted` says. A worker that exits first yields status -1 with
 * what it printed as the body, so the caller's expectation fails at once and shows why.
 */
async function answer(worker: WorkerProcess, port: number, path: string, accepted: (status: number) => boolean): Promise<{ status: number; body: string }> {
  return await waitFor(`${path} on port ${port}`, async () => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return { status: -1, body: `the worker exited; it printed:\n${worker.output.join('')}` };
    const reply = await probe(port, path);
    return reply !== undefined && accepted(reply.status) ? reply : undefined;
  }, 120_000);
}

describe('tributary worker health endpoints', () => {
  it('turns /readyz ready once it polls its task queues on the real Temporal, and stops serving on SIGTERM', async () => {
    const port = await freePort();
    const taskQueue = `test-worker-health-${randomUUID().slice(0, 8)}`;
    const env = { TRIBUTARY_TEMPORAL_TASK_QUEUE: taskQueue, TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS: `127.0.0.1:${port}` };
    const config = loadConfig({ env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX, ...env } });
    const queues = [taskQueue, flinkDeployTaskQueue(config), trainingTaskQueue(taskQueue)];
    const worker = startWorker(env);

    const ready = await answer(worker, port, '/readyz', (status) => status === 200);
    expect(ready.body).toBe(`polling task queues ${queues.join(', ')} on ${config.temporal.address} (namespace ${config.temporal.namespace})\n`);
    expect(await probe(port, '/healthz')).toEqual({ status: 200, body: `workers ${queues.map((queue) => `${queue} RUNNING`).join(', ')}\n` });
    expect(await probe(port, '/metrics')).toMatchObject({ status: 404 });
    expect(worker.output.join('')).toContain(`worker health on port ${port}: /healthz (alive), /readyz (polling, Temporal answering)`);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await probe(port, '/healthz')).toBeUndefined();
  });

  it('answers /healthz alive and /readyz not ready, with the reason, while Temporal does not answer the connection', async () => {
    // Accepts TCP connections and never speaks gRPC: the worker's connection attempt waits.
    const silent = createServer((socket) => sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('the silent listener has no port');
    const temporal = `127.0.0.1:${address.port}`;
    const port = await freePort();
    const worker = startWorker({
      TRIBUTARY_TEMPORAL_ADDRESS: temporal,
      TRIBUTARY_TEMPORAL_TASK_QUEUE: `test-worker-unready-${randomUUID().slice(0, 8)}`,
      TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS: `127.0.0.1:${port}`,
    });

    const unready = await answer(worker, port, '/readyz', () => true);
    expect(unready).toEqual({ status: 503, body: `connecting to Temporal at ${temporal} (namespace default)\n` });
    expect(await probe(port, '/healthz')).toEqual({ status: 200, body: `starting: connecting to Temporal at ${temporal} (namespace default)\n` });
    await waitFor('the worker to open a connection to the silent Temporal address', () => (sockets.length > 0 ? true : undefined), 120_000);
    expect(await probe(port, '/readyz')).toMatchObject({ status: 503 });
  });
});

describe('tributary worker on a topic prefix without its topics', () => {
  it('stops before connecting to Temporal, in one line naming the missing topics and the commands that create them', async () => {
    const fresh = `test.worker-no-topics.${randomUUID().slice(0, 8)}.`;
    const worker = startWorker({ TRIBUTARY_TOPIC_PREFIX: fresh });
    expect(await worker.exited).toEqual({ code: 1, signal: null });
    expect(worker.output.join('')).toBe(
      `error: Kafka at ${prefixed.kafka.brokers.join(',')} has no ${fresh}models, ${fresh}model-registry-events, ${fresh}deployments (topic prefix "${fresh}"), which the worker reads: ` +
        "create the prefix's topics with `tributary topics ensure` and their schemas with `tributary schemas register`, or set TRIBUTARY_TOPIC_PREFIX to the prefix your topics have\n",
    );
    // The check creates nothing: the prefix is left as it was.
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(fresh))).toEqual([]);
  });
});
