import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { KAFKA_AUTHORIZATION_FAILURES, KafkaAuthenticationError, KafkaAuthorizationError, type KafkaAccessAttempt, type KafkaAuthorizationFailure } from './errors.js';
import { tributaryKafkaLogCreator } from './kafka-log.js';

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
  /** Where kafkajs's log entries go. @default {@link tributaryKafkaLogCreator}: kafkajs's console lines */
  readonly logCreator?: KafkaConfig['logCreator'];
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

/** Who a client authenticates as; kafkajs errors do not say, so messages about a refusal take it from here. */
interface KafkaIdentity {
  readonly brokers: readonly string[];
  readonly sasl: { readonly mechanism: string; readonly username: string } | undefined;
}

const identities = new WeakMap<Kafka, KafkaIdentity>();

/** Builds a kafkajs client from Tributary's configuration (brokers, TLS, SASL) with explicit timeouts. */
export function createKafka(config: Pick<TributaryConfig, 'kafka'>, options: KafkaClientOptions = {}): Kafka {
  const client = newKafka(config, options);
  const { brokers, sasl: credentials } = config.kafka;
  identities.set(client, { brokers, sasl: credentials && { mechanism: credentials.mechanism, username: credentials.username } });
  return client;
}

/** The error and every error it wraps (kafkajs chains retries and protocol errors through `cause`). */
function* errorChain(error: unknown): Generator<{ readonly name?: unknown; readonly type?: unknown; readonly message?: unknown }> {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

const isAuthorizationFailure = (type: unknown): type is KafkaAuthorizationFailure => typeof type === 'string' && type in KAFKA_AUTHORIZATION_FAILURES;

/**
 * Turns the broker's refusal of a client made by {@link createKafka} into an error that names
 * the principal, what it tried and on what: a rejected SASL login, or a missing ACL. Undefined
 * for every other error, which the caller wraps as before.
 */
export function kafkaAccessError(kafka: Kafka, error: unknown, attempt: KafkaAccessAttempt): KafkaAuthenticationError | KafkaAuthorizationError | undefined {
  const identity = identities.get(kafka);
  for (const link of errorChain(error)) {
    if (link.name === 'KafkaJSSASLAuthenticationError') {
      const message = String(link.message);
      const reason = message.includes('invalid credentials') ? 'invalid user name or password' : message;
      return new KafkaAuthenticationError(identity?.sasl?.username ?? '(none)', identity?.sasl?.mechanism ?? 'SASL', identity?.brokers ?? [], reason, error);
    }
    if (isAuthorizationFailure(link.type)) {
      return new KafkaAuthorizationError(identity?.sasl?.username ?? 'ANONYMOUS', link.type, attempt, error);
    }
  }
  return undefined;
}

function newKafka(config: Pick<TributaryConfig, 'kafka'>, options: KafkaClientOptions): Kafka {
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
    logCreator: options.logCreator ?? tributaryKafkaLogCreator,
  });
}
