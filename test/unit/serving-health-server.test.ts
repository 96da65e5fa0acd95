import { afterEach, describe, expect, it } from 'vitest';
import { HealthServerError, startHealthServer, type HealthServer, type Readiness } from '../../src/serving/health-server.js';
import { createScorerMetrics } from '../../src/serving/scorer-metrics.js';

describe('scorer health server', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const start = async (readiness: () => Readiness): Promise<HealthServer & { get(path: string): Promise<{ status: number; body: string; type: string | null }> }> => {
    const metrics = createScorerMetrics({ model: 'fraud' });
    metrics.records.inc({ outcome: 'scored' }, 3);
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, readiness });
    servers.push(server);
    return {
      ...server,
      get: async (path) => {
        const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
        return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
      },
    };
  };

  it('answers /readyz with 503 and the reason until ready, then 200', async () => {
    let readiness: Readiness = { ready: false, reason: 'waiting for a deployment of fraud with a champion that loads' };
    const server = await start(() => readiness);
    expect(await server.get('/readyz')).toMatchObject({ status: 503, body: 'waiting for a deployment of fraud with a champion that loads\n' });
    readiness = { ready: true, reason: 'scoring tributary.features with champion v2 (deployment revision 4)' };
    expect(await server.get('/readyz')).toMatchObject({ status: 200, body: 'scoring tributary.features with champion v2 (deployment revision 4)\n' });
    expect(await server.get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('serves the metrics in the Prometheus text format with the default labels', async () => {
    const server = await start(() => ({ ready: true, reason: 'ok' }));
    const metrics = await server.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('tributary_scorer_records_total{outcome="scored",model="fraud"} 3');
    expect(await server.get('/nothing')).toMatchObject({ status: 404 });
  });

  it('names a port in use and what to do', async () => {
    const taken = await start(() => ({ ready: true, reason: 'ok' }));
    const second = startHealthServer({ port: taken.port, host: '127.0.0.1', registry: createScorerMetrics().registry, readiness: () => ({ ready: true, reason: 'ok' }) });
    await expect(second).rejects.toBeInstanceOf(HealthServerError);
    await expect(second).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${taken.port}: the port is in use by another process; choose another with --metrics-port`);
  });
});
