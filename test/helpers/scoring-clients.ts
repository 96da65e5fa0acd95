/**
 * The real clients a scoring test works with, opened once for its file: a Kafka client and admin
 * with the run's topics and schemas prepared, the Kafka-backed model registry, and the
 * deployments log. Closed after the file's own `afterAll` hooks ran, and after the scorers
 * started through them stopped.
 */
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import type { TributaryConfig } from '../../src/config/config.js';
import { createModelRegistry, type KafkaModelRegistry } from '../../src/registry/kafka-model-registry.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { prepareScoringTopics, registerModelVersions, startInProcessScorer, type InProcessScorer } from './scoring.js';

export interface ScoringClients {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: KafkaModelRegistry;
  readonly deployments: DeploymentLog;
  /**
   * Registers v1 of `options.model` as its champion and starts an in-process scorer of it; call
   * it inside a test. The scorer's log is printed when the test fails, and it stops after the
   * file's tests, before the clients close.
   */
  startChampionScorer(options: Parameters<typeof startInProcessScorer>[2]): Promise<InProcessScorer>;
}

/** Registers the hooks that open and close the clients; call it at the top of a `describe`, and use the clients inside tests. */
export function useScoringClients(config: TributaryConfig, purpose: string): ScoringClients {
  const kafka = createKafka(config, { clientIdSuffix: `${purpose}-test`, logLevel: logLevel.NOTHING });
  const scorers: InProcessScorer[] = [];
  let opened: Pick<ScoringClients, 'admin' | 'registry' | 'deployments'> | undefined;
  const ready = (): Pick<ScoringClients, 'admin' | 'registry' | 'deployments'> => {
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
    for (const scorer of scorers) await scorer.stop();
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
    async startChampionScorer(options) {
      const { registry, deployments } = ready();
      const [v1] = await registerModelVersions(registry, options.model, 1);
      await deployments.publish(options.model, { champion: v1!, updatedBy: `${purpose}-test`, reason: 'first champion' });
      const scorer = await startInProcessScorer(config, { registry, deployments }, options);
      scorers.push(scorer);
      onTestFailed(() => console.error(`scorer log:\n${scorer.logs.join('\n')}`));
      return scorer;
    },
  };
}
