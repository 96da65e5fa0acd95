/**
 * Connecting an admin client, the first step of every Kafka-backed store (the pipeline store, the
 * deployment log, `tributary pipeline`). A refused connection is classified once here; each caller
 * turns the failure into its own layer's error, so its messages stay its own.
 */
import { logLevel, type Admin, type Kafka } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import type { KafkaAccessAttempt } from './errors.js';
import { createKafka, kafkaAccessError } from './kafka-client.js';

export interface ConnectedKafkaAdmin {
  readonly kafka: Kafka;
  /** Connected; the caller disconnects it. */
  readonly admin: Admin;
}

/** Why the admin client could not connect, for the caller's own error type. */
export interface KafkaAdminConnectFailure {
  /** `connecting to Kafka at <brokers>`. */
  readonly action: string;
  /** The broker's refusal, named (credentials or ACL), else the client's own reason. */
  readonly reason: string;
  /** False for a refusal, which only other credentials or a grant change; true otherwise, as a broker may still be starting. */
  readonly retriable: boolean;
  /** The classified refusal, else the client's error. */
  readonly cause: unknown;
}

export interface ConnectKafkaAdminOptions {
  /** The client's retries (createKafka's). @default 5 */
  readonly retries?: number;
  /** What the connection is for, named in an ACL refusal. @default { operation: 'read' } */
  readonly attempt?: KafkaAccessAttempt;
}

/**
 * Creates a Kafka client (client id `<clientId>-<clientIdSuffix>`) and connects its admin client.
 * On failure throws what `toError` makes of it. kafkajs's own log is off: the failure is thrown
 * with its reason, so the log would only repeat it.
 */
export async function connectKafkaAdmin(
  config: Pick<TributaryConfig, 'kafka'>,
  clientIdSuffix: string,
  toError: (failure: KafkaAdminConnectFailure) => Error,
  options: ConnectKafkaAdminOptions = {},
): Promise<ConnectedKafkaAdmin> {
  const kafka = createKafka(config, { clientIdSuffix, logLevel: logLevel.NOTHING, ...(options.retries === undefined ? {} : { retries: options.retries }) });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    const refusal = kafkaAccessError(kafka, error, options.attempt ?? { operation: 'read' });
    throw toError({ action: `connecting to Kafka at ${config.kafka.brokers.join(',')}`, reason: refusal?.message ?? reasonOf(error), retriable: refusal === undefined, cause: refusal ?? error });
  }
  return { kafka, admin };
}
