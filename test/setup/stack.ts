import type { Admin } from 'kafkajs';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { localStack } from '../../src/stack/stack-components.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { connectKafkaAdmin } from '../../src/streaming/kafka-admin.js';

/** The names tests give their topics: `test.<purpose>.<id>` and `test-<suite>-<id>.<topic>` prefixes. */
const TEST_TOPIC = /^test[.-]/;

/**
 * Brings the real local stack up once per test run, reusing whatever is already running,
 * and afterwards deletes the test topics this run created and stops exactly the components
 * this run started. Left behind, a few hundred topics per run made the broker load thousands
 * of partitions at each start.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const began = Date.now();
  const progress = (line: string): void => {
    process.stderr.write(`[stack ${((Date.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
  };
  const config = loadConfig();
  const stack = localStack(createStackContext(config, progress));
  const { started, alreadyRunning } = await stack.up();
  progress(`ready: started ${started.join(', ') || 'nothing'}; reused ${alreadyRunning.join(', ') || 'nothing'}`);
  const topicsBefore = new Set(await listTopics(config));
  return async () => {
    await deleteTopicsCreatedSince(config, topicsBefore).then(
      (deleted) => progress(`deleted the ${deleted} test topics this run created`),
      (error: unknown) => progress(`left this run's test topics in place: ${error instanceof Error ? error.message : String(error)}`),
    );
    if (started.length > 0) await stack.down(started);
  };
}

async function withAdmin<T>(config: TributaryConfig, use: (admin: Admin) => Promise<T>): Promise<T> {
  const { admin } = await connectKafkaAdmin(config, 'test-setup', ({ action, reason, cause }) => new Error(`${action}: ${reason}`, { cause }));
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

const listTopics = (config: TributaryConfig): Promise<string[]> => withAdmin(config, (admin) => admin.listTopics());

function deleteTopicsCreatedSince(config: TributaryConfig, before: ReadonlySet<string>): Promise<number> {
  return withAdmin(config, async (admin) => {
    const created = (await admin.listTopics()).filter((topic) => TEST_TOPIC.test(topic) && !before.has(topic));
    for (let start = 0; start < created.length; start += 100) await admin.deleteTopics({ topics: created.slice(start, start + 100), timeout: 30_000 });
    return created.length;
  });
}
