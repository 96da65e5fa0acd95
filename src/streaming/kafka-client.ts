import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';

export interface KafkaClientOptions {
  /** Appended to the configured client id, so brokers can tell Tributary's roles apart. */
  readonly clientIdSuffix?: string;
  /** @default 10_000 */
  readonly connectionTimeoutMs?: number;
  /** @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** kafkajs retries of a failed request before giving up. @default 5 */
  readonly retries?: number;
  /** @default logLevel.WARN */
  readonly logLevel?: logLevel;
}

function ssl(config: TributaryConfig['kafka']): KafkaConfig['ssl'] {
  if (!config.tls) return undefined;
  const { caFile, certFile, keyFile } = config.tls;
  if (!caFile && !certFile) return true;
  return {
    ...(caFile ? { ca: [readFileSync(caFile, 'utf8')] } : {}),
    ...(certFile && keyFile ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } : {}),
  };
}

function sasl(config: TributaryConfig['kafka']): SASLOptions | undefined {
  if (!config.sasl) return undefined;
  const { mechanism, username, password } = config.sasl;
  return { mechanism, username, password } as SASLOptions;
}

/** Builds a kafkajs client from Tributary's configuration (brokers, TLS, SASL) with explicit timeouts. */
export function createKafka(config: TributaryConfig, options: KafkaClientOptions = {}): Kafka {
  const kafka = config.kafka;
  return new Kafka({
    clientId: options.clientIdSuffix ? `${kafka.clientId}-${options.clientIdSuffix}` : kafka.clientId,
    brokers: [...kafka.brokers],
    ssl: ssl(kafka),
    sasl: sasl(kafka),
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 300, maxRetryTime: 10_000 },
    logLevel: options.logLevel ?? logLevel.WARN,
  });
}
