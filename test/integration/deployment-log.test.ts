import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { openDeploymentLog, type DeploymentLog } from '../../src/serving/deployment-log.js';
import type { ModelDeployment } from '../../src/serving/model-deployment.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { registerSchemas } from '../../src/streaming/schema-registrar.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { topicCatalogue } from '../../src/streaming/topic-catalogue.js';
import { waitFor } from '../helpers/wait-for.js';

const config: TributaryConfig = { ...loadConfig(), topics: { prefix: `test-${randomUUID().slice(0, 8)}.` } };
const champion = (version: number) => ({ version, sha256: String(version % 10).repeat(64) });

describe('deployment log on the real Kafka', () => {
  const logs: DeploymentLog[] = [];
  const open = async (): Promise<DeploymentLog> => {
    const log = await openDeploymentLog(config);
    logs.push(log);
    return log;
  };

  beforeAll(async () => {
    const admin = createKafka(config).admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topicCatalogue(config));
    } finally {
      await admin.disconnect();
    }
    await registerSchemas(createSchemaRegistryClient(config.schemaRegistry), config);
  });

  afterAll(async () => {
    await Promise.all(logs.map((log) => log.close()));
  });

  it('publishes revisions that another process reads back, and follows later ones in order', async () => {
    const writer = await open();
    const first = await writer.publish('fraud', { champion: champion(1), updatedBy: 'alice', reason: 'first champion' });
    expect(first).toMatchObject({ revision: 1, featuresTopic: `${config.topics.prefix}features`, champion: champion(1) });

    const reader = await open();
    expect(await reader.latest('fraud')).toEqual(first);
    expect(await reader.latest('never-deployed')).toBeUndefined();
    const seen: ModelDeployment[] = [];
    const subscription = await reader.follow('fraud', (deployment) => {
      seen.push(deployment);
    });
    await writer.publish('fraud', { challenger: champion(2), challengerMode: 'SPLIT', challengerShare: 0.1, updatedBy: 'workflow:rollout:fraud', reason: 'step 1' });
    await writer.publish('fraud', { challengerShare: 0.5, updatedBy: 'workflow:rollout:fraud', reason: 'step 2' });
    await waitFor('the follower to see revision 3', () => (seen.length === 3 ? true : undefined), 30_000);
    await subscription.stop();
    expect(seen.map((deployment) => [deployment.revision, deployment.challengerShare])).toEqual([
      [1, 0],
      [2, 0.1],
      [3, 0.5],
    ]);
  });

  it('never loses a change when two processes publish for the same model at once', async () => {
    const [one, two] = [await open(), await open()];
    const rounds = 6;
    const publishAll = (log: DeploymentLog, offset: number) =>
      Array.from({ length: rounds }, async (_, index) => log.publish('racy', { champion: champion(offset + index), updatedBy: `writer-${offset}`, reason: `round ${index}` }));
    const published = await Promise.all([...publishAll(one, 1), ...publishAll(two, 101)]);
    const revisions = published.map((deployment) => deployment.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 2 * rounds }, (_, index) => index + 1));
    expect((await one.latest('racy'))?.revision).toBe(2 * rounds);
  });

  it('refuses an invalid change without writing anything', async () => {
    const log = await open();
    await expect(log.publish('strict', { challengerMode: 'SPLIT', challengerShare: 0.2, updatedBy: 'bob', reason: 'no challenger' })).rejects.toThrow(
      'deployment of strict: the change by bob is refused: challenger mode SPLIT needs a challenger; challenger mode SPLIT needs a champion to compare with',
    );
    expect(await log.latest('strict')).toBeUndefined();
  });
});
