/**
 * Connections to the configured Temporal server (address, namespace, mTLS, API key) for the
 * worker and for the CLI's client commands, so every caller connects the same way.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type TLSConfig } from '@temporalio/worker';
import type { TributaryConfig } from '../config/config.js';

type TemporalConfig = TributaryConfig['temporal'];

/** The TLS settings both connection kinds take; undefined for plaintext. */
function tlsOf({ tls }: TemporalConfig): TLSConfig | undefined {
  if (tls === undefined) return undefined;
  return {
    ...(tls.serverName === undefined ? {} : { serverNameOverride: tls.serverName }),
    ...(tls.caFile === undefined ? {} : { serverRootCACertificate: readFileSync(tls.caFile) }),
    ...(tls.certFile !== undefined && tls.keyFile !== undefined ? { clientCertPair: { crt: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  };
}

/** A client of the configured namespace; close it with {@link closeClient}. */
export async function connectClient(config: TributaryConfig): Promise<Client> {
  const { address, namespace, apiKey } = config.temporal;
  const connection = await Connection.connect({ address, tls: tlsOf(config.temporal), ...(apiKey === undefined ? {} : { apiKey }), connectTimeout: 10_000 });
  return new Client({ connection, namespace });
}

export async function closeClient(client: Client): Promise<void> {
  await client.connection.close();
}

/** The worker's connection to the configured server. */
export function connectWorker(config: TributaryConfig): Promise<NativeConnection> {
  const { address, apiKey } = config.temporal;
  return NativeConnection.connect({ address, tls: tlsOf(config.temporal), ...(apiKey === undefined ? {} : { apiKey }) });
}

/** Link to a workflow run in the Temporal Web UI. */
export function workflowUiLink(config: TributaryConfig, workflowId: string): string {
  const { uiUrl, namespace } = config.temporal;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
