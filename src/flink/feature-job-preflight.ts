import { logLevel } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { reasonOf } from '../errors/tributary-error.js';
import { createKafka, kafkaAccessError } from '../streaming/kafka-client.js';
import { FlinkError } from './errors.js';
import { featureJobTopicNames, type FeatureJobTopics } from './job-spec.js';

const PREFLIGHT_CONNECTION_TIMEOUT_MS = 10_000;
const PREFLIGHT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Connects to a secured broker as the job will (same brokers, TLS and credentials) and describes
 * every topic the job reads or writes. A wrong password or a principal without any ACL on a
 * topic is then one clear line before the job is submitted, instead of a job that Flink keeps
 * restarting far from the cause. Describing proves access to each topic, not the exact
 * operation: a principal that may read `features` but not write it passes here.
 */
export async function checkFeatureJobKafkaAccess(config: TributaryConfig, topics: FeatureJobTopics): Promise<void> {
  const kafka = createKafka(config, {
    clientIdSuffix: 'feature-job-preflight',
    logLevel: logLevel.NOTHING,
    connectionTimeoutMs: PREFLIGHT_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: PREFLIGHT_REQUEST_TIMEOUT_MS,
    retries: 2,
  });
  const admin = kafka.admin();
  const names = featureJobTopicNames(topics);
  try {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: names });
  } catch (error) {
    throw (
      kafkaAccessError(kafka, error, { operation: 'describe', topics: names }) ??
      new FlinkError(`checking the feature job's access to Kafka at ${config.kafka.brokers.join(',')} failed: ${reasonOf(error)}`, { cause: error })
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether the job needs credentials or TLS to reach the brokers, which is when the check is worth a connection. */
export const isSecuredKafka = (config: TributaryConfig): boolean => config.kafka.tls !== undefined || config.kafka.sasl !== undefined;
