/**
 * Connections to the configured Temporal server (address, namespace, mTLS, API key) for the
 * worker and for the CLI's client commands, so every caller connects the same way.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TributaryConfig } from '../config/config.js';
import { loadTemporalTls } from './temporal-tls.js';

/** A client of the configured namespace; close it with {@link closeClient}. */
export async function connectClient(config: TributaryConfig): Promise<Client> {
  const { address, namespace, apiKey } = config.temporal;
  const connection = await Connection.connect({ address, tls: loadTemporalTls(config.temporal.tls), ...(apiKey === undefined ? {} : { apiKey }), connectTimeout: 10_000 });
  return new Client({ connection, namespace });
}

export async function closeClient(client: Client): Promise<void> {
  await client.connection.close();
}

/** The worker's connection to the configured server. */
export async function connectWorker(config: TributaryConfig): Promise<NativeConnection> {
  const { address, apiKey } = config.temporal;
  return await NativeConnection.connect({ address, tls: loadTemporalTls(config.temporal.tls), ...(apiKey === undefined ? {} : { apiKey }) });
}

/** grpc.health.v1 `ServingStatus.SERVING`; @temporalio/proto, which names it, is not a direct dependency. */
const GRPC_HEALTH_SERVING = 1;

/** Whether the server behind `connection` answers its gRPC health check with SERVING within `timeoutMs`. */
export async function temporalServes(connection: NativeConnection, timeoutMs: number): Promise<boolean> {
  const answer = await connection.withDeadline(Date.now() + timeoutMs, () => connection.healthService.check({}));
  return answer.status === GRPC_HEALTH_SERVING;
}

/** Link to a workflow run in the Temporal Web UI. */
export function workflowUiLink(config: TributaryConfig, workflowId: string): string {
  const { uiUrl, namespace } = config.temporal;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
