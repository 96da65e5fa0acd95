/**
 * Which failures stop the scorer for good: the broker's refusals, in the shapes kafkajs 2.2.4
 * really throws them (protocol errors inside its retriers' wrappers; a refused FindCoordinator
 * lost inside a cause-less KafkaJSGroupCoordinatorNotFound, found again by the probe), and
 * nothing else.
 */
import { createRequire } from 'node:module';
import kafkajs, { type LogEntry } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { RegistryStorageError } from '../../src/registry/errors.js';
import { AUTHORIZATION_FAILURE_MESSAGES, authorizationFailureInLog, explainRefusal, type CoordinatorProbe } from '../../src/streaming/kafka-refusal.js';
import { KafkaAuthenticationError, KafkaAuthorizationError, ProduceError, type KafkaAuthorizationFailure } from '../../src/streaming/errors.js';
import { createKafka } from '../../src/streaming/kafka-client.js';

const { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } = kafkajs;

const base = loadConfig({ env: {} });
const PASSWORD = 'never-in-a-message';
const asScorer: TributaryConfig = {
  ...base,
  kafka: { ...base.kafka, brokers: ['127.0.0.1:9094'], sasl: { mechanism: 'scram-sha-512', username: 'scorer', password: PASSWORD } },
};
const kafka = createKafka(asScorer);
const REMEDY = 'no ACL allows it; use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)';
const GROUP = 't.other-group';
const TRANSACTIONAL_ID = 't.scorer.fraud.t.features.2';
const read = { operation: 'read', topics: ['t.features'], group: GROUP };
const write = { operation: 'write to', topics: ['t.scores'], transactionalId: TRANSACTIONAL_ID };

// kafkajs's types declare narrower constructors than its code, which takes the protocol fields, a cause and retry metadata.
const ProtocolError = KafkaJSProtocolError as unknown as new (e: object) => Error;
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, options: { retryCount: number; retryTime: number }) => Error;

/** The protocol error kafkajs makes of a broker's error code (src/protocol/error.js). */
function protocolError(type: KafkaAuthorizationFailure | 'UNKNOWN_TOPIC_OR_PARTITION', code: number): Error {
  const message = type === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'This server does not host this topic-partition' : AUTHORIZATION_FAILURE_MESSAGES[type];
  return new ProtocolError({ message, type, code, retriable: type === 'UNKNOWN_TOPIC_OR_PARTITION' });
}
/** A retrier giving up on a non-retriable error: `new KafkaJSNonRetriableError(e, { cause: e.cause || e })` (src/retry/index.js). */
const givenUp = (error: Error): Error => new NonRetriable(error, { cause: (error.cause as Error | undefined) ?? error });
/** What the consumer's crash and a transactional producer get when the broker refuses FindCoordinator (cluster/index.js findGroupCoordinatorMetadata). */
const coordinatorNotFound = (): Error => new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)('Failed to find group coordinator');

/** A probe that answers `answer` and records what it was asked. */
function probeAnswering(answer: KafkaAuthorizationFailure | undefined): CoordinatorProbe & { mock: { calls: unknown[][] } } {
  return vi.fn<CoordinatorProbe>(() => Promise.resolve(answer));
}

describe('AUTHORIZATION_FAILURE_MESSAGES', () => {
  it('are the messages kafkajs gives the authorization failures, which its connection log carries', () => {
    const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string }[] };
    for (const [type, message] of Object.entries(AUTHORIZATION_FAILURE_MESSAGES)) expect(errorCodes.find((entry) => entry.type === type)?.message).toBe(message);
  });
});

describe('authorizationFailureInLog', () => {
  const entry = (namespace: string, message: string, error: string): LogEntry => ({
    namespace,
    level: kafkajs.logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '2026-11-25T14:00:00.000Z', message, broker: '127.0.0.1:9094', clientId: 'tributary-refusal-probe', error, correlationId: 1, size: 33 },
  });

  it('reads the refusal from the entry kafkajs logs for a refused FindCoordinator (as seen on kafka-secure)', () => {
    expect(authorizationFailureInLog(entry('Connection', 'Response GroupCoordinator(key: 10, version: 2)', 'Not authorized to access group: Group authorization failed'))).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(authorizationFailureInLog(entry('Connection', 'Response GroupCoordinator(key: 10, version: 2)', 'Transactional Id authorization failed'))).toBe('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
  });

  it('ignores other answers and other entries', () => {
    expect(authorizationFailureInLog(entry('Connection', 'Response InitProducerId(key: 22, version: 1)', "The coordinator is loading and hence can't process requests for this group"))).toBeUndefined();
    expect(authorizationFailureInLog(entry('Consumer', 'Crash: KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator', 'Transactional Id authorization failed'))).toBeUndefined();
    expect(authorizationFailureInLog(entry('Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9094', 'Not authorized to access group: Group authorization failed'))).toBeUndefined();
  });
});

describe('explainRefusal', () => {
  it('names the consumer group of a group refusal that a retrier gave up on (AddOffsetsToTxn, OffsetCommit)', async () => {
    const refusal = await explainRefusal(kafka, givenUp(protocolError('GROUP_AUTHORIZATION_FAILED', 30)), read);
    expect(refusal).toBeInstanceOf(KafkaAuthorizationError);
    expect(refusal?.message).toBe(`Kafka refused principal User:scorer permission to use consumer group ${GROUP} to read topic t.features (GROUP_AUTHORIZATION_FAILED): ${REMEDY}`);
    expect(refusal).toMatchObject({ principal: 'scorer', code: 'GROUP_AUTHORIZATION_FAILED', retriable: false });
  });

  it('finds a refusal however deep kafkajs wraps it: retriers inside retriers, retries exceeded, and Tributary errors around them', async () => {
    const topicRefusal = protocolError('TOPIC_AUTHORIZATION_FAILED', 29);
    const nested = new RetriesExceeded(givenUp(givenUp(topicRefusal)), { retryCount: 5, retryTime: 3000 });
    const wrapped = new ProduceError(['t.scores'], nested.message, { retriable: true, cause: nested });
    const refusal = await explainRefusal(kafka, wrapped, { operation: 'write to', topics: ['t.scores'] });
    expect(refusal?.message).toBe(`Kafka refused principal User:scorer permission to write to topic t.scores (TOPIC_AUTHORIZATION_FAILED): ${REMEDY}`);
    expect(refusal?.cause).toBe(wrapped);
  });

  it('asks the probe for the group when the consumer crashed with a cause-less KafkaJSGroupCoordinatorNotFound', async () => {
    const probe = probeAnswering('GROUP_AUTHORIZATION_FAILED');
    const crash = coordinatorNotFound();
    const refusal = await explainRefusal(kafka, crash, read, { key: { group: GROUP }, probe });
    expect(probe.mock.calls).toEqual([[{ group: GROUP }]]);
    expect(refusal?.message).toBe(`Kafka refused principal User:scorer permission to use consumer group ${GROUP} to read topic t.features (GROUP_AUTHORIZATION_FAILED): ${REMEDY}`);
    // The error kafkajs threw stays in the chain.
    expect((refusal?.cause as Error).cause).toBe(crash);
  });

  it('asks the probe for the transactional id when beginning a transaction failed to find its coordinator', async () => {
    const probe = probeAnswering('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    // eosManager's retrier around findTransactionCoordinator: KafkaJSNonRetriableError caused by the KafkaJSGroupCoordinatorNotFound.
    const refusal = await explainRefusal(kafka, givenUp(coordinatorNotFound()), write, { key: { transactionalId: TRANSACTIONAL_ID }, probe });
    expect(probe.mock.calls).toEqual([[{ transactionalId: TRANSACTIONAL_ID }]]);
    expect(refusal?.message).toBe(`Kafka refused principal User:scorer permission to use transactional id ${TRANSACTIONAL_ID} to write to topic t.scores (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): ${REMEDY}`);
  });

  it('leaves a coordinator that was not found for another reason to the caller (it may come back)', async () => {
    const probe = probeAnswering(undefined);
    expect(await explainRefusal(kafka, coordinatorNotFound(), read, { key: { group: GROUP }, probe })).toBeUndefined();
    expect(probe.mock.calls).toHaveLength(1);
    // Without a coordinator to ask about, nothing is probed.
    expect(await explainRefusal(kafka, coordinatorNotFound(), read)).toBeUndefined();
  });

  it('turns a rejected login, however wrapped, into an authentication error without the password', async () => {
    const sasl = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const refusal = await explainRefusal(kafka, givenUp(sasl), read);
    expect(refusal).toBeInstanceOf(KafkaAuthenticationError);
    expect(refusal?.message).toBe(
      'Kafka at 127.0.0.1:9094 rejected the SCRAM-SHA-512 credentials of user scorer (invalid user name or password); ' +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
    );
    expect(refusal?.message).not.toContain(PASSWORD);
  });

  it('returns a refusal another layer already named, as it is', async () => {
    const named = new KafkaAuthorizationError('scorer', 'TOPIC_AUTHORIZATION_FAILED', { operation: 'read', topics: ['t.model-registry-events'] }, protocolError('TOPIC_AUTHORIZATION_FAILED', 29));
    const storage = new RegistryStorageError('reading t.model-registry-events', named.message, { cause: named, retriable: false });
    expect(await explainRefusal(kafka, storage, read)).toBe(named);
  });

  it('leaves transient failures to the retries, without probing', async () => {
    const probe = probeAnswering('GROUP_AUTHORIZATION_FAILED');
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9094');
    for (const error of [
      connection,
      new RetriesExceeded(connection, { retryCount: 5, retryTime: 10_000 }),
      new RetriesExceeded(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3), { retryCount: 5, retryTime: 10_000 }),
      new ProduceError(['t.scores'], 'Request Produce timed out', { retriable: true, cause: new Error('Request Produce timed out') }),
    ]) {
      expect(await explainRefusal(kafka, error, read, { key: { group: GROUP }, probe })).toBeUndefined();
    }
    expect(probe.mock.calls).toHaveLength(0);
  });
});
