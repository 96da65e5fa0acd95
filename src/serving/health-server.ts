/**
 * The HTTP side of a long-running Tributary process: `/healthz` (the process works: restart it
 * when this fails), `/readyz` (it does its job now: route traffic or count it in only when this
 * passes) and, when given a registry, `/metrics` for Prometheus. The scorer (`tributary serve`)
 * serves all three on its metrics port; the Temporal worker serves the first two on an address of
 * their own, because its metrics come from the Temporal SDK's exporter (see src/worker/worker-health.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServingError } from './errors.js';
import { reasonOf } from '../errors/tributary-error.js';

/** Whether the process does its job now, and if not, why (shown in the /readyz body). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/** Whether the process works at all, and if not, why (shown in the /healthz body). */
export interface Liveness {
  readonly alive: boolean;
  readonly reason: string;
}

export interface HealthServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** What /metrics serves. @default undefined: no /metrics (404) */
  readonly registry?: Registry;
  /** What /healthz answers. @default always alive, "ok": the process answering is the sign */
  readonly liveness?: () => Liveness;
  /** What /readyz answers; asked on every request, so a check that waits on a server must bound its wait. */
  readonly readiness: () => Readiness | Promise<Readiness>;
  /** What a person does when the port is taken. @default 'choose another with --metrics-port' */
  readonly portAdvice?: string;
}

export interface HealthServer {
  /** The port it listens on (the chosen one when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/** The health (or metrics) port is taken or cannot be bound. */
export class HealthServerError extends ServingError {
  override readonly name = 'HealthServerError';
}

const TEXT = 'text/plain; charset=utf-8';

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { registry } = options;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, contentType: string, body: string): void => {
      response.writeHead(status, { 'content-type': contentType });
      response.end(body);
    };
    if (path === '/metrics' && registry !== undefined) {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (error: unknown) => reply(500, TEXT, `collecting metrics failed: ${reasonOf(error)}\n`),
      );
    } else if (path === '/healthz') {
      const { alive, reason } = options.liveness?.() ?? { alive: true, reason: 'ok' };
      reply(alive ? 200 : 503, TEXT, `${reason}\n`);
    } else if (path === '/readyz') {
      Promise.resolve()
        .then(options.readiness)
        .then(
          ({ ready, reason }) => reply(ready ? 200 : 503, TEXT, `${reason}\n`),
          (error: unknown) => reply(503, TEXT, `checking readiness failed: ${reasonOf(error)}\n`),
        );
    } else {
      reply(404, TEXT, `not found: try ${registry === undefined ? '' : '/metrics, '}/healthz or /readyz\n`);
    }
  });
  const what = registry === undefined ? '/healthz and /readyz' : 'metrics';
  await listen(server, options.port, options.host ?? '0.0.0.0', what, options.portAdvice ?? 'choose another with --metrics-port');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function listen(server: Server, port: number, host: string, what: string, portAdvice: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? `the port is in use by another process; ${portAdvice}` : reasonOf(error);
      reject(new HealthServerError(`cannot serve ${what} on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
