import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { TopicAdminError } from '../../src/streaming/errors.js';
import { ensureTopics } from '../../src/streaming/topic-admin.js';
import { topicCatalogue } from '../../src/streaming/topic-catalogue.js';

const [topic] = topicCatalogue({ ...loadConfig({ env: {} }), topics: { prefix: 'p.' } });
const NOT_LEADING = Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });

/**
 * A broker whose first `failures` createTopics calls create the topic but fail while waiting for
 * its leaders, as a broker that has just started does; it then answers like a settled one.
 */
function justStartedBroker(failures: number, error: Error = NOT_LEADING) {
  const topics = new Set<string>();
  let calls = 0;
  const admin = {
    listTopics: async () => [...topics],
    fetchTopicMetadata: async () => ({ topics: [...topics].map((name) => ({ name, partitions: Array.from({ length: topic!.partitions }, (_, id) => ({ partitionId: id, replicas: [1] })) })) }),
    describeConfigs: async () => ({ resources: [...topics].map((name) => ({ resourceName: name, configEntries: Object.entries(topic!.configs).map(([configName, configValue]) => ({ configName, configValue })) })) }),
    createTopics: async ({ topics: requested }: { topics: { topic: string }[] }) => {
      calls += 1;
      const fresh = requested.filter(({ topic: name }) => !topics.has(name));
      for (const { topic: name } of fresh) topics.add(name);
      if (calls <= failures) throw error;
      return fresh.length > 0;
    },
  };
  return { admin: admin as unknown as Admin, calls: () => calls };
}

describe('ensureTopics on a broker that has just started', () => {
  it('asks again after a retriable refusal and reports the topic its first attempt created as created', async () => {
    const broker = justStartedBroker(2);
    expect(await ensureTopics(broker.admin, [topic!], { retryPauseMs: 1 })).toStrictEqual([{ topic, state: 'created', differences: [] }]);
    expect(broker.calls()).toBe(3);
  });

  it('gives up with the broker\'s reason once the timeout has passed', async () => {
    const broker = justStartedBroker(Number.POSITIVE_INFINITY);
    const error = await ensureTopics(broker.admin, [topic!], { timeoutMs: 20, retryPauseMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicAdminError);
    expect((error as Error).message).toBe(`creating topic ${topic!.name} failed: This server does not host this topic-partition`);
    expect(broker.calls()).toBeGreaterThan(1);
  });

  it('does not ask again after a refusal that will not pass', async () => {
    const refused = Object.assign(new Error('Topic authorization failed'), { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false });
    const broker = justStartedBroker(Number.POSITIVE_INFINITY, refused);
    await expect(ensureTopics(broker.admin, [topic!], { retryPauseMs: 1 })).rejects.toThrow(`creating topic ${topic!.name} failed: Topic authorization failed`);
    expect(broker.calls()).toBe(1);
  });
});
