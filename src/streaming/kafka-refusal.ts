/**
 * Tells the broker refusing the scorer — a rejected login, or no ACL for a topic, its consumer
 * group or its transactional id — from a failure that may pass. A refusal is final: only a new
 * ACL or other credentials change the answer, so the scorer stops instead of retrying (Kafka
 * Streams treats authorization and authentication exceptions as fatal the same way).
 *
 * kafkajs 2.2.4 hides one kind of refusal: when the broker refuses FindCoordinator (no ACL for
 * the consumer group, or for the transactional id), `BrokerPool.withBroker` swallows the protocol
 * error and the caller gets a KafkaJSGroupCoordinatorNotFound without a cause; only the
 * connection's ERROR log entry carries the broker's answer. For that error a short-lived probe
 * client asks for the coordinator again and reads its own log.
 */
import { logLevel, type Kafka, type LogEntry } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { KafkaAuthenticationError, KafkaAuthorizationError, type KafkaAccessAttempt, type KafkaAuthorizationFailure } from './errors.js';
import { createKafka, kafkaAccessError } from './kafka-client.js';

export type KafkaRefusal = KafkaAuthorizationError | KafkaAuthenticationError;

export const isKafkaRefusal = (error: unknown): error is KafkaRefusal => error instanceof KafkaAuthorizationError || error instanceof KafkaAuthenticationError;

/** The messages kafkajs gives the authorization failures (its src/protocol/error.js); its connection log names a failure by them, not by type. */
export const AUTHORIZATION_FAILURE_MESSAGES: Readonly<Record<KafkaAuthorizationFailure, string>> = {
  TOPIC_AUTHORIZATION_FAILED: 'Not authorized to access topics: [Topic authorization failed]',
  GROUP_AUTHORIZATION_FAILED: 'Not authorized to access group: Group authorization failed',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'Transactional Id authorization failed',
  CLUSTER_AUTHORIZATION_FAILED: 'Cluster authorization failed',
};

const AUTHORIZATION_FAILURES = Object.keys(AUTHORIZATION_FAILURE_MESSAGES) as KafkaAuthorizationFailure[];

/** The authorization failure a broker's response carried, when `entry` is kafkajs's connection log of one. */
export function authorizationFailureInLog(entry: LogEntry): KafkaAuthorizationFailure | undefined {
  if (entry.namespace !== 'Connection' || !entry.log.message.startsWith('Response ')) return undefined;
  const error: unknown = entry.log.error;
  return AUTHORIZATION_FAILURES.find((code) => AUTHORIZATION_FAILURE_MESSAGES[code] === error);
}

/** The error and every error it wraps, as kafkajs and Tributary chain them through `cause`. */
function* causes(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

const isCoordinatorNotFound = (error: unknown): boolean => [...causes(error)].some((link) => (link as { name?: unknown }).name === 'KafkaJSGroupCoordinatorNotFound');

/** What a coordinator was looked up for. */
export type CoordinatorKey = { readonly group: string } | { readonly transactionalId: string };

/** Asks the broker for the coordinator of `key` again: the authorization failure it answers, or undefined when it answers anything else. */
export type CoordinatorProbe = (key: CoordinatorKey) => Promise<KafkaAuthorizationFailure | undefined>;

const PROBE_CONNECTION_TIMEOUT_MS = 5_000;
const PROBE_REQUEST_TIMEOUT_MS = 10_000;
/** kafkajs needs one retry to learn the brokers after connecting, and an idempotent producer refuses to be made without one. */
const PROBE_RETRIES = 1;

/** Connects, asks, disconnects; the answer, if it was a refusal, is in the log, so failures are not thrown. */
async function askQuietly<Client extends { connect(): Promise<void>; disconnect(): Promise<void> }>(create: () => Client, ask: (client: Client) => Promise<unknown>): Promise<void> {
  let connected: Client | undefined;
  try {
    connected = create();
    await connected.connect();
    await ask(connected);
  } catch {
    // Read from the log by the caller; any other failure means the probe cannot tell.
  } finally {
    await connected?.disconnect().catch(() => undefined);
  }
}

/**
 * The probe for a broker: a client of the same credentials, with one retry, whose ERROR log is
 * read. A group is probed by describing it (read-only); a transactional id by beginning and
 * aborting an empty transaction, which initialises the id as the scorer's next attempt would
 * anyway. Whatever else the probe meets (the broker is down too) means "cannot tell", and the
 * caller treats the failure as one that may pass.
 */
export function kafkaCoordinatorProbe(config: Pick<TributaryConfig, 'kafka'>): CoordinatorProbe {
  return async (key) => {
    let refused: KafkaAuthorizationFailure | undefined;
    const kafka = createKafka(config, {
      clientIdSuffix: 'refusal-probe',
      connectionTimeoutMs: PROBE_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS,
      retries: PROBE_RETRIES,
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        refused ??= authorizationFailureInLog(entry);
      },
    });
    if ('group' in key) {
      const { group } = key;
      await askQuietly(() => kafka.admin(), (admin) => admin.describeGroups([group]));
    } else {
      // kafkajs looks the transaction coordinator up when the first transaction begins, not on connect.
      await askQuietly(
        () => kafka.producer({ transactionalId: key.transactionalId, idempotent: true, maxInFlightRequests: 1 }),
        async (producer) => (await producer.transaction()).abort(),
      );
    }
    return refused;
  };
}

/** Where to look when kafkajs lost the broker's answer: the coordinator the failed call needed, and the probe that asks for it. */
export interface CoordinatorLookup {
  readonly key: CoordinatorKey;
  readonly probe: CoordinatorProbe;
}

/**
 * The refusal behind `error`, named for `attempt` and for the principal of `kafka` (a client made
 * by createKafka); undefined when `error` is not a refusal and may pass. A refusal already
 * classified somewhere down the cause chain is returned as it is.
 */
export async function explainRefusal(kafka: Kafka, error: unknown, attempt: KafkaAccessAttempt, coordinator?: CoordinatorLookup): Promise<KafkaRefusal | undefined> {
  const classified = [...causes(error)].find(isKafkaRefusal);
  if (classified !== undefined) return classified;
  const refusal = kafkaAccessError(kafka, error, attempt);
  if (refusal !== undefined || coordinator === undefined || !isCoordinatorNotFound(error)) return refusal;
  const code = await coordinator.probe(coordinator.key);
  if (code === undefined) return undefined;
  // The broker's answer as kafkajs would have thrown it, with the error that lost it as its cause.
  const answer = Object.assign(new Error(AUTHORIZATION_FAILURE_MESSAGES[code], { cause: error }), { type: code });
  return kafkaAccessError(kafka, answer, attempt);
}
