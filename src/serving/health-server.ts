/**
 * The scorer's HTTP side: `/metrics` for Prometheus, `/healthz` (the process answers: restart it
 * when this fails) and `/readyz` (it scores: route traffic or count it in only when this passes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServingError } from './errors.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Whether the worker scores now, and if not, why (shown in the /readyz body). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

export interface HealthServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
}

export interface HealthServer {
  /** The port it listens on (the chosen one when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/** The metrics port is taken or cannot be bound. */
export class HealthServerError extends ServingError {
  override readonly name = 'HealthServerError';
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, contentType: string, body: string): void => {
      response.writeHead(status, { 'content-type': contentType });
      response.end(body);
    };
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => reply(200, options.registry.contentType, text),
        (error: unknown) => reply(500, 'text/plain; charset=utf-8', `collecting metrics failed: ${reasonOf(error)}\n`),
      );
    } else if (path === '/healthz') {
      reply(200, 'text/plain; charset=utf-8', 'ok\n');
    } else if (path === '/readyz') {
      const { ready, reason } = options.readiness();
      reply(ready ? 200 : 503, 'text/plain; charset=utf-8', `${reason}\n`);
    } else {
      reply(404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    }
  });
  await listen(server, options.port, options.host ?? '0.0.0.0');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use by another process; choose another with --metrics-port' : reasonOf(error);
      reject(new HealthServerError(`cannot serve metrics on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
