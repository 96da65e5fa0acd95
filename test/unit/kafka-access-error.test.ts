import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { KafkaAuthenticationError, KafkaAuthorizationError } from '../../src/streaming/errors.js';
import { createKafka, kafkaAccessError } from '../../src/streaming/kafka-client.js';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } = kafkajs;

const base = loadConfig({ env: {} });
const asScorer: TributaryConfig = {
  ...base,
  kafka: { ...base.kafka, brokers: ['127.0.0.1:9094'], sasl: { mechanism: 'scram-sha-512', username: 'scorer', password: 'not-in-messages' } },
};
/** As kafkajs's retrier gives up on a protocol error: the protocol error as the cause. */
function refusal(type: string, code: number): Error {
  // kafkajs's types declare one-argument constructors; its code takes the protocol fields and a cause.
  const ProtocolError = KafkaJSProtocolError as unknown as new (e: object) => Error;
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
  const protocol = new ProtocolError({ message: 'Not authorized to access topics: [Topic authorization failed]', type, code, retriable: false });
  return new NonRetriable(protocol, { cause: protocol });
}

describe('kafkaAccessError', () => {
  const kafka = createKafka(asScorer);

  it('names the principal, the operation and the topic of a topic refusal wrapped by kafkajs retries', () => {
    const error = kafkaAccessError(kafka, refusal('TOPIC_AUTHORIZATION_FAILED', 29), { operation: 'read', topics: ['tributary.scores'] });
    expect(error).toBeInstanceOf(KafkaAuthorizationError);
    expect(error?.message).toBe(
      'Kafka refused principal User:scorer permission to read topic tributary.scores (TOPIC_AUTHORIZATION_FAILED): no ACL allows it; ' +
        'use the credentials of a role that may, or have an admin grant the ACL (see docs/secure-mode.md)',
    );
    expect(error).toMatchObject({ principal: 'scorer', code: 'TOPIC_AUTHORIZATION_FAILED', topic: 'tributary.scores', retriable: false });
  });

  it('names the consumer group and the transactional id of their refusals', () => {
    expect(kafkaAccessError(kafka, refusal('GROUP_AUTHORIZATION_FAILED', 30), { operation: 'read', topics: ['t.features'], group: 't.scorer.fraud' })?.message).toMatch(
      /^Kafka refused principal User:scorer permission to use consumer group t\.scorer\.fraud to read topic t\.features \(GROUP_AUTHORIZATION_FAILED\)/,
    );
    expect(kafkaAccessError(kafka, refusal('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53), { operation: 'write to', topics: ['t.scores', 't.dlq'], transactionalId: 'x.0' })?.message).toMatch(
      /^Kafka refused principal User:scorer permission to use transactional id x\.0 to write to topics t\.scores, t\.dlq \(TRANSACTIONAL_ID_AUTHORIZATION_FAILED\)/,
    );
  });

  it('turns a rejected SASL login into an authentication error without the password', () => {
    const error = kafkaAccessError(
      kafka,
      new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'),
      { operation: 'write to' },
    );
    expect(error).toBeInstanceOf(KafkaAuthenticationError);
    expect(error?.message).toBe(
      'Kafka at 127.0.0.1:9094 rejected the SCRAM-SHA-512 credentials of user scorer (invalid user name or password); ' +
        'check TRIBUTARY_KAFKA_SASL_USERNAME and the password (TRIBUTARY_KAFKA_SASL_PASSWORD or TRIBUTARY_KAFKA_SASL_PASSWORD_FILE)',
    );
    expect(error?.message).not.toContain('not-in-messages');
  });

  it('leaves every other error to the caller', () => {
    expect(kafkaAccessError(kafka, new KafkaJSConnectionError('Connection error: ECONNREFUSED'), { operation: 'read' })).toBeUndefined();
    expect(kafkaAccessError(kafka, refusal('UNKNOWN_TOPIC_OR_PARTITION', 3), { operation: 'read' })).toBeUndefined();
  });

  it('calls an unauthenticated client ANONYMOUS', () => {
    expect(kafkaAccessError(createKafka(base), refusal('TOPIC_AUTHORIZATION_FAILED', 29), { operation: 'read', topics: ['t'] })?.message).toMatch(/^Kafka refused principal User:ANONYMOUS /);
  });
});
