import { Command } from 'commander';
import type { Admin } from 'kafkajs';
import type { TributaryConfig } from '../config/config.js';
import { TopicAdminError } from '../streaming/errors.js';
import type { TopicReport } from '../streaming/topic-admin.js';
import { topicCatalogue, type CatalogueTopic } from '../streaming/topic-catalogue.js';
import type { CliEnvironment } from './cli-environment.js';
import { renderTable } from '../terminal/text-table.js';
import { positiveInteger } from './option-parsers.js';
import { reasonOf } from '../errors/tributary-error.js';

const DAY_MS = 86_400_000;

/** Connects an admin client, runs `work`, and always disconnects. A cluster that does not answer becomes a one-line error. */
async function withAdmin<T>(config: TributaryConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  // Imported here, not at the top, so `--help` does not load kafkajs.
  const [{ logLevel }, { createKafka, kafkaAccessError }] = await Promise.all([import('kafkajs'), import('../streaming/kafka-client.js')]);
  // Every failure is thrown and printed as one line, so kafkajs's own log would only repeat it.
  const kafka = createKafka(config, { clientIdSuffix: 'topics', retries: 2, logLevel: logLevel.NOTHING });
  // A rejected login or a missing ACL says who was refused what, instead of kafkajs's generic text.
  const refusal = (error: unknown) => kafkaAccessError(kafka, error, { operation: 'describe', topics: [`${config.topics.prefix}*`] });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    const reason = reasonOf(error);
    throw refusal(error) ?? new TopicAdminError(`connecting to Kafka at ${config.kafka.brokers.join(',')}`, reason, { retriable: true, cause: error });
  }
  try {
    return await work(admin);
  } catch (error) {
    throw refusal(error) ?? error;
  } finally {
    await admin.disconnect();
  }
}

/** One row per topic; a drifted topic gets one row per differing setting, with declared and actual values. */
function renderEnsureReport(reports: readonly TopicReport[]): string {
  const rows = reports.flatMap((report) => {
    const [first, ...rest] = report.differences;
    if (!first) return [[report.topic.name, report.state, '', '', '']];
    return [[report.topic.name, report.state, first.setting, first.declared, first.actual], ...rest.map((d) => ['', '', d.setting, d.declared, d.actual])];
  });
  return renderTable(['TOPIC', 'STATE', 'SETTING', 'DECLARED', 'ACTUAL'], rows);
}

function retention(topic: CatalogueTopic): string {
  if (topic.configs['cleanup.policy'] === 'compact') return 'compacted';
  const ms = Number(topic.configs['retention.ms']);
  // Kafka's -1 means never delete by age.
  return ms < 0 ? 'forever' : `${ms / DAY_MS} days`;
}

/** The catalogue as declared, with each topic's state on the cluster. */
function renderCatalogue(reports: readonly TopicReport[]): string {
  const rows = reports.map(({ topic, state, differences }) => [
    topic.name,
    state === 'drift' ? `drift (${differences.map((d) => d.setting).join(', ')})` : state,
    String(topic.partitions),
    String(topic.replicationFactor),
    retention(topic),
    topic.valueSchema.file,
  ]);
  return renderTable(['TOPIC', 'STATE', 'PARTITIONS', 'REPLICAS', 'RETENTION', 'VALUE SCHEMA'], rows);
}

/** `tributary topics ensure | list`: the topic catalogue on the configured Kafka cluster. */
export function topicsCommand(cli: CliEnvironment): Command {
  const command = new Command('topics').description('create and inspect the Kafka topics of the topic catalogue (names start with the configured topic prefix)');
  const replicationOption = ['--replication-factor <count>', 'replicas of each partition, as declared (1 on the local single-broker stack)', positiveInteger, 1] as const;

  command
    .command('ensure')
    .description('create every catalogue topic that does not exist; report each as created, ok, or drift with declared versus actual values. Existing topics are never altered')
    .option(...replicationOption)
    .action(async (options: { replicationFactor: number }) => {
      const config = cli.config();
      const { ensureTopics } = await import('../streaming/topic-admin.js');
      const reports = await withAdmin(config, (admin) => ensureTopics(admin, topicCatalogue(config, { replicationFactor: options.replicationFactor })));
      cli.print(renderEnsureReport(reports));
      const drifted = reports.filter((report) => report.state === 'drift').map((report) => report.topic.name);
      if (drifted.length > 0) {
        cli.fail(`${drifted.length} topic${drifted.length === 1 ? '' : 's'} differ from the catalogue (${drifted.join(', ')}); nothing was changed: alter them deliberately, or change the catalogue`);
      }
    });

  command
    .command('list')
    .description('show every catalogue topic with its partitions, replicas, retention and value schema, and whether it exists as declared; changes nothing')
    .option(...replicationOption)
    .action(async (options: { replicationFactor: number }) => {
      const config = cli.config();
      const { confirmMissing, inspectTopics } = await import('../streaming/topic-admin.js');
      const reports = await withAdmin(config, async (admin) => {
        const inspected = await inspectTopics(admin, topicCatalogue(config, { replicationFactor: options.replicationFactor }));
        // A principal without Describe on a topic would otherwise be told it is missing.
        await confirmMissing(admin, inspected);
        return inspected;
      });
      cli.print(renderCatalogue(reports));
    });

  return command;
}
