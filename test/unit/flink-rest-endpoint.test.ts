import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FlinkRequestError, FlinkTimeoutError } from '../../src/flink/errors.js';
import { compileRestClientOptions, RestEndpoint } from '../../src/flink/rest-endpoint.js';

/** A scripted HTTP server: answers the n-th request with the n-th reply (the last one repeats) and counts requests. */
async function scriptedServer(replies: readonly { status: number; body: unknown }[]): Promise<{ url: string; requests: () => number; server: Server }> {
  let count = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const reply = replies[Math.min(count, replies.length - 1)] as { status: number; body: unknown };
    count += 1;
    request.resume();
    response.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => count, server };
}

const endpoint = (baseUrl: string, retries = 3): RestEndpoint =>
  new RestEndpoint(compileRestClientOptions({ baseUrl, retries, retryBackoffMs: 1, pollIntervalMs: 5, requestTimeoutMs: 2000 }));

describe('Flink REST endpoint', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const serve = async (replies: readonly { status: number; body: unknown }[]) => {
    const scripted = await scriptedServer(replies);
    servers.push(scripted.server);
    return scripted;
  };

  it('retries an idempotent request through 503 and 502 answers until it succeeds', async () => {
    const { url, requests } = await serve([
      { status: 503, body: { errors: ['leader election'] } },
      { status: 502, body: {} },
      { status: 200, body: { taskmanagers: 1 } },
    ]);
    await expect(endpoint(url).request({ method: 'GET', path: '/overview', retry: 'idempotent' })).resolves.toEqual({ taskmanagers: 1 });
    expect(requests()).toBe(3);
  });

  it('stops after the configured retries and keeps the last answer and its context', async () => {
    const { url, requests } = await serve([{ status: 503, body: { errors: ['Service temporarily unavailable due to an ongoing leader election.'] } }]);
    const failure = await endpoint(url, 2)
      .request({ method: 'GET', path: '/jobs/abc', retry: 'idempotent', context: { jobId: 'abc' } })
      .catch((error: unknown) => error);
    expect(requests()).toBe(3);
    expect(failure).toBeInstanceOf(FlinkRequestError);
    expect(failure).toMatchObject({ status: 503, retriable: true, jobId: 'abc', method: 'GET', url: `${url}/jobs/abc` });
    expect((failure as Error).message).toBe(`GET ${url}/jobs/abc failed: HTTP 503: Service temporarily unavailable due to an ongoing leader election.`);
  });

  it('does not repeat a once-only request after a 502, which the server may have acted on', async () => {
    const { url, requests } = await serve([{ status: 502, body: {} }, { status: 200, body: {} }]);
    await expect(endpoint(url).request({ method: 'POST', path: '/sessions', retry: 'once' })).rejects.toMatchObject({ status: 502 });
    expect(requests()).toBe(1);
  });

  it('never retries a 4xx or 500 answer, and carries Flink\'s error text', async () => {
    const { url, requests } = await serve([{ status: 404, body: { errors: ['org.apache.flink.runtime.rest.NotFoundException: Job abc not found\n\tat Foo.bar(Foo.java:1)'] } }]);
    await expect(endpoint(url).request({ method: 'GET', path: '/jobs/abc', retry: 'idempotent' })).rejects.toMatchObject({
      status: 404,
      retriable: false,
      message: `GET ${url}/jobs/abc failed: HTTP 404: org.apache.flink.runtime.rest.NotFoundException: Job abc not found`,
    });
    expect(requests()).toBe(1);
  });

  it('reports a refused connection as retriable after retrying it', async () => {
    const { url, server } = await serve([{ status: 200, body: {} }]);
    await new Promise((resolve) => server.close(resolve));
    servers.pop();
    await expect(endpoint(url, 1).request({ method: 'POST', path: '/jobs/abc/stop', retry: 'once' })).rejects.toMatchObject({
      name: 'FlinkRequestError',
      retriable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('times out a poll with the last state it saw', async () => {
    const { url } = await serve([{ status: 200, body: {} }]);
    const failure = await endpoint(url)
      .pollUntil('job abc to be RUNNING', 30, async () => ({ done: false, observed: 'CREATED' }), { jobId: 'abc' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlinkTimeoutError);
    expect(failure).toMatchObject({ lastObserved: 'CREATED', jobId: 'abc', retriable: true });
    expect((failure as Error).message).toBe('timed out after 30 ms waiting for job abc to be RUNNING (last seen: CREATED)');
  });

  it('rejects invalid options with one line per bad key', () => {
    expect(() => compileRestClientOptions({ baseUrl: 'localhost:8081', retries: -1, requestTimeoutMs: 0 })).toThrow(
      'invalid Flink client options:\n' +
        '  baseUrl="localhost:8081": expected an http(s) URL such as http://127.0.0.1:8081\n' +
        '  requestTimeoutMs=0: expected a positive integer (milliseconds)\n' +
        '  retries=-1: expected an integer of 0 or more',
    );
  });
});
