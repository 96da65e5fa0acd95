import type { State } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../../src/serving/health-server.js';
import { WorkerHealth, type ProbedWorker } from '../../src/worker/worker-health.js';

/** A worker whose state the test sets, as the SDK's Worker reports it through getState(). */
function fakeWorker(taskQueue: string, state: State): ProbedWorker & { state: State } {
  const worker = { state, options: { taskQueue }, getState: () => worker.state };
  return worker;
}

const TEMPORAL = '127.0.0.1:7233 (namespace default)';
const serving = () => Promise.resolve(true);

describe('worker health', () => {
  it('is alive and unready while connecting, before any worker exists', async () => {
    const health = new WorkerHealth(TEMPORAL);
    expect(health.liveness()).toEqual({ alive: true, reason: 'starting: connecting to Temporal at 127.0.0.1:7233 (namespace default)' });
    expect(await health.readiness()).toEqual({ ready: false, reason: 'connecting to Temporal at 127.0.0.1:7233 (namespace default)' });
  });

  it('is ready once every worker is RUNNING and Temporal serves, and not before', async () => {
    const main = fakeWorker('tributary', 'INITIALIZED');
    const training = fakeWorker('tributary-training', 'RUNNING');
    const health = new WorkerHealth(TEMPORAL);
    health.watch([main, training], serving);
    expect(await health.readiness()).toEqual({ ready: false, reason: 'not polling: tributary INITIALIZED' });
    expect(health.liveness().alive).toBe(true);
    main.state = 'RUNNING';
    expect(await health.readiness()).toEqual({ ready: true, reason: 'polling task queues tributary, tributary-training on 127.0.0.1:7233 (namespace default)' });
    expect(health.liveness()).toEqual({ alive: true, reason: 'workers tributary RUNNING, tributary-training RUNNING' });
  });

  it('is unready, still alive, when Temporal does not answer or answers that it does not serve', async () => {
    const health = new WorkerHealth(TEMPORAL);
    health.watch([fakeWorker('tributary', 'RUNNING')], () => Promise.reject(new Error('14 UNAVAILABLE: tcp connect error')));
    expect(await health.readiness()).toEqual({
      ready: false,
      reason: 'Temporal at 127.0.0.1:7233 (namespace default) does not answer its health check: 14 UNAVAILABLE: tcp connect error',
    });
    expect(health.liveness().alive).toBe(true);
    health.watch([fakeWorker('tributary', 'RUNNING')], () => Promise.resolve(false));
    expect(await health.readiness()).toEqual({ ready: false, reason: 'Temporal at 127.0.0.1:7233 (namespace default) answers that it does not serve' });
  });

  it('is not alive once a worker FAILED or STOPPED, and alive while one drains gracefully', async () => {
    const main = fakeWorker('tributary', 'RUNNING');
    const flink = fakeWorker('tributary-flink', 'FAILED');
    const health = new WorkerHealth(TEMPORAL);
    health.watch([main, flink], serving);
    expect(health.liveness()).toEqual({ alive: false, reason: 'tributary-flink FAILED: it polls no more; restart the process' });
    expect(await health.readiness()).toEqual({ ready: false, reason: 'not polling: tributary-flink FAILED' });
    flink.state = 'STOPPED';
    expect(health.liveness().alive).toBe(false);
    flink.state = 'DRAINING';
    main.state = 'STOPPING';
    expect(health.liveness()).toEqual({ alive: true, reason: 'workers tributary STOPPING, tributary-flink DRAINING' });
    expect((await health.readiness()).ready).toBe(false);
  });
});

describe('worker health over HTTP (the scorer\'s server without a metrics registry)', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('answers /healthz and /readyz from the worker states and has no /metrics', async () => {
    const worker = fakeWorker('tributary', 'RUNNING');
    const health = new WorkerHealth(TEMPORAL);
    health.watch([worker], serving);
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', liveness: () => health.liveness(), readiness: () => health.readiness() });
    servers.push(server);
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: response.status, body: await response.text() };
    };
    expect(await get('/readyz')).toEqual({ status: 200, body: 'polling task queues tributary on 127.0.0.1:7233 (namespace default)\n' });
    expect(await get('/healthz')).toEqual({ status: 200, body: 'workers tributary RUNNING\n' });
    expect(await get('/metrics')).toEqual({ status: 404, body: 'not found: try /healthz or /readyz\n' });
    worker.state = 'FAILED';
    expect(await get('/healthz')).toEqual({ status: 503, body: 'tributary FAILED: it polls no more; restart the process\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'not polling: tributary FAILED\n' });
  });

  it('answers 503 with the reason when the readiness check itself throws', async () => {
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: () => Promise.reject(new Error('boom')) });
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect({ status: response.status, body: await response.text() }).toEqual({ status: 503, body: 'checking readiness failed: boom\n' });
  });

  it('names the health address setting when the port is taken', async () => {
    const taken = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: () => ({ ready: true, reason: 'ok' }) });
    servers.push(taken);
    const second = startHealthServer({ port: taken.port, host: '127.0.0.1', readiness: () => ({ ready: true, reason: 'ok' }), portAdvice: 'choose another with TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS' });
    await expect(second).rejects.toThrow(`cannot serve /healthz and /readyz on 127.0.0.1:${taken.port}: the port is in use by another process; choose another with TRIBUTARY_TEMPORAL_WORKER_HEALTH_ADDRESS`);
  });
});
