/**
 * The real clients a scoring test works with, opened once for its file: a Kafka client and admin
 * with the run's topics and schemas prepared, the Kafka-backed model registry, and the
 * deployments log. Closed after the file's own `afterAll` hooks (which stop its scorers) ran.
 */
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import type { TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { prepareScoringTopics } from './scoring.js';

export interface ScoringClients {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: KafkaModelRegistry;
  readonly deployments: DeploymentLog;
}

/** Registers the hooks that open and close the clients; call it at the top of a `describe`, and use the clients inside tests. */
export function useScoringClients(config: TributaryConfig, purpose: string): ScoringClients {
  const kafka = createKafka(config, { clientIdSuffix: `${purpose}-test`, logLevel: logLevel.NOTHING });
  let opened: Omit<ScoringClients, 'kafka'> | undefined;
  const ready = (): Omit<ScoringClients, 'kafka'> => {
    if (opened === undefined) throw new Error('the scoring clients open in beforeAll; use them inside a test');
    return opened;
  };

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await prepareScoringTopics(config, admin);
    opened = { admin, registry: await createModelRegistry(config), deployments: await openDeploymentLog(config) };
  });

  // Registered before the file's own afterAll, so it runs after it: the file's scorers stop first.
  afterAll(async () => {
    await opened?.deployments.close();
    await opened?.registry.close();
    await opened?.admin.disconnect();
  });

  return {
    kafka,
    get admin() {
      return ready().admin;
    },
    get registry() {
      return ready().registry;
    },
    get deployments() {
      return ready().deployments;
    },
  };
}
