import { accessSync, constants, statSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { TributaryConfig } from '../config/config.js';
import type { ProducedJsonLines } from '../streaming/record-file-producer.js';
import { LOGICAL_TOPIC_NAMES, valueSubject } from '../streaming/topic-catalogue.js';
import type { CliEnvironment } from './cli-environment.js';
import { progressPrinter } from './output.js';

/** Exit code of input with bad lines or a key field that cannot key: the input is wrong, as for bad arguments. */
const EXIT_BAD_INPUT = 2;
/** Kafka's limit on a topic name's length. */
const LONGEST_TOPIC_NAME = 249;

/** A topic name as Kafka allows it, given without the configured prefix. */
function topicArgument(value: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a Kafka topic name: use letters, digits, ".", "_" and "-"`);
  return value;
}

/** `-` (stdin) or a file that can be read, checked before anything connects. */
function inputFile(value: string): string {
  if (value === '-') return value;
  try {
    if (!statSync(value).isFile()) throw new InvalidArgumentError(`${value} is not a regular file (a file is read twice: checked, then sent); pipe it to stdin instead`);
    accessSync(value, constants.R_OK);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`cannot read ${value}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  return value;
}

interface ProduceFlags {
  readonly file?: string;
  readonly key?: string;
}

/** When the name given already starts with the prefix, the person probably typed the full name. */
function prefixHint(config: TributaryConfig, name: string): string {
  const { prefix } = config.topics;
  if (prefix === '' || !name.startsWith(prefix)) return '';
  return ` (the topic prefix "${prefix}" is put in front of the name given: for topic ${name}, run \`tributary produce ${name.slice(prefix.length)}\`)`;
}

/** What to run when the topic's subject has no schema: the catalogue's are registered by `schemas register`, others by hand. */
function howToRegister(config: TributaryConfig, name: string, topic: string): string {
  if ((LOGICAL_TOPIC_NAMES as readonly string[]).includes(name)) return 'run `tributary schemas register` first';
  const url = `${config.schemaRegistry.url.replace(/\/+$/, '')}/subjects/${valueSubject(topic)}/versions`;
  return `register its Avro schema first: \`jq -Rs '{schema: .}' <file>.avsc | curl -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @- ${url}\`${prefixHint(config, name)}`;
}

function howToCreate(config: TributaryConfig, name: string, topic: string): string {
  if ((LOGICAL_TOPIC_NAMES as readonly string[]).includes(name)) return 'run `tributary topics ensure` first';
  return `create it first, e.g. \`kafka-topics.sh --bootstrap-server ${config.kafka.brokers[0]} --create --topic ${topic} --partitions 3\`${prefixHint(config, name)}`;
}

function describeProduced(result: ProducedJsonLines): string {
  const count = `${result.records.toLocaleString('en')} record${result.records === 1 ? '' : 's'}`;
  if (result.records === 0) return `produced 0 records to ${result.topic} (the input holds no records)`;
  const partitions = [...result.partitions.entries()].sort(([a], [b]) => a - b).map(([partition, records]) => `${partition}: ${records.toLocaleString('en')}`);
  return `produced ${count} to ${result.topic} (partitions ${partitions.join(', ')})`;
}

/**
 * `tributary produce <topic>`: JSON lines from a file or stdin, checked against the topic's
 * registered value schema and produced Avro-encoded. A file is checked whole first and nothing is
 * sent when a line is bad; stdin is checked and sent as it arrives, up to the first bad line.
 */
export function produceCommand(cli: CliEnvironment): Command {
  return new Command('produce')
    .description(
      'produce JSON records, one per line, to a topic, Avro-encoded with its latest registered value schema (subject <topic>-value). ' +
        'Every line of a file is checked before anything is sent, and a file with a bad line sends nothing; stdin is sent as it arrives, ' +
        'up to its first bad line. Each problem is printed as <file>:<line>: <field and what the schema expects>, exit 2',
    )
    .argument('<topic>', 'the topic, without the configured topic prefix (e.g. transactions, or a pipeline\'s source topic)', topicArgument)
    .option('--file <path>', 'JSON lines to produce; blank lines are skipped (default: stdin, also with -)', inputFile)
    .option('--key <field>', 'a top-level field (string, enum, int or long) whose value keys each record, so one entity\'s records stay in order on one partition (default: no key, records spread round-robin)')
    .action(async (name: string, flags: ProduceFlags) => {
      const config = cli.config();
      const topic = `${config.topics.prefix}${name}`;
      if (topic.length > LONGEST_TOPIC_NAME) throw new InvalidArgumentError(`topic ${topic} is longer than Kafka's ${LONGEST_TOPIC_NAME} characters`);
      // Imported here, not at the top, so `--help` loads neither kafkajs nor avsc.
      const [{ logLevel }, { createKafka }, { createSchemaRegistryClient }, { produceJsonLines }, { JsonInputRejectedError, KeyFieldError }] = await Promise.all([
        import('kafkajs'),
        import('../streaming/kafka-client.js'),
        import('../streaming/schema-registry-client.js'),
        import('../streaming/record-file-producer.js'),
        import('../streaming/errors.js'),
      ]);
      const fromStdin = flags.file === undefined || flags.file === '-';
      if (fromStdin && process.stdin.isTTY) progressPrinter()('reading JSON lines from stdin; end with Ctrl-D');
      // Every failure is thrown and printed as one line, so kafkajs's own log would only repeat it.
      const kafka = createKafka(config, { clientIdSuffix: 'produce', retries: 2, logLevel: logLevel.NOTHING });
      try {
        const result = await produceJsonLines(
          { kafka, registry: createSchemaRegistryClient(config.schemaRegistry), brokers: config.kafka.brokers },
          {
            topic,
            input: fromStdin ? { stream: process.stdin, name: 'stdin' } : { file: flags.file! },
            keyField: flags.key,
            howToRegister: howToRegister(config, name, topic),
            howToCreate: howToCreate(config, name, topic),
          },
        );
        cli.print(describeProduced(result));
      } catch (error) {
        if (error instanceof KeyFieldError) {
          cli.fail(error.message);
        } else if (error instanceof JsonInputRejectedError) {
          for (const { line, problem } of error.problems) cli.fail(`${error.sent.input}:${line}: ${problem}`);
          const unshown = error.problemCount - error.problems.length;
          if (unshown > 0) cli.fail(`${unshown.toLocaleString('en')} more problem${unshown === 1 ? '' : 's'} not shown`);
          cli.fail(error.message);
        } else {
          throw error;
        }
        cli.setExitCode(EXIT_BAD_INPUT);
      }
    });
}
