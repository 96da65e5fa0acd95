import { Command, InvalidArgumentError } from 'commander';
import { SchemaIncompatibleError, UnknownTopicError } from '../streaming/errors.js';
import { logicalTopicName, topicName, valueSubject, type LogicalTopicName } from '../streaming/topic-catalogue.js';
import type { CliEnvironment } from './cli-environment.js';
import { renderTable } from '../terminal/text-table.js';

function logicalTopicArgument(value: string): LogicalTopicName {
  try {
    return logicalTopicName(value);
  } catch (error) {
    if (error instanceof UnknownTopicError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** `tributary schemas register | check`: the Avro value schemas of the topic catalogue in the Schema Registry. */
export function schemasCommand(cli: CliEnvironment): Command {
  const command = new Command('schemas').description('register and check the Avro value schemas of the catalogue topics (subject <topic>-value, BACKWARD compatibility)');
  // Imported when a subcommand runs, not at the top, so `--help` does not load the registry client and avsc.
  const registry = async () => (await import('../streaming/schema-registry-client.js')).createSchemaRegistryClient(cli.config().schemaRegistry);
  const registrar = () => import('../streaming/schema-registrar.js');

  command
    .command('register')
    .description(
      'register the schema file of every catalogue topic under <topic>-value with BACKWARD compatibility; all or nothing: ' +
        'when any schema is incompatible with its latest registered version, nothing is registered and every incompatibility is listed',
    )
    .action(async () => {
      const report = await (await registrar()).registerSchemas(await registry(), cli.config());
      cli.print(
        renderTable(
          ['SUBJECT', 'FILE', 'RESULT', 'VERSION', 'SCHEMA ID'],
          report.registered.map((entry) => [entry.subject, entry.file, entry.outcome, String(entry.version), String(entry.schemaId)]),
        ),
      );
    });

  command
    .command('check')
    .description('check whether a schema file could become the next version of its topic\'s subject, without registering it; exits 1 when it is incompatible')
    .argument('<file>', 'an .avsc file')
    .option('--topic <logical>', 'the catalogue topic to check against (default: the topic whose declared schema has the same record name)', logicalTopicArgument)
    .action(async (file: string, options: { topic?: LogicalTopicName }) => {
      const { loadSchemaFile, logicalTopicOfRecord } = await import('../streaming/schema-files.js');
      const { checkSchema, COMPATIBILITY_LEVEL } = await registrar();
      const logical = options.topic ?? logicalTopicOfRecord(loadSchemaFile(file));
      const subject = valueSubject(topicName(cli.config(), logical));
      const result = await checkSchema(await registry(), file, subject);
      if (result.verdict === 'new-subject') {
        cli.print(`${subject} has no versions yet: ${file} would become its first version`);
        return;
      }
      const incompatibility = { subject, file, latestVersion: result.latestVersion, reasons: result.reasons };
      if (result.verdict === 'incompatible') throw new SchemaIncompatibleError(incompatibility);
      const level = result.compatibilityLevel ?? '(no level)';
      cli.print(`${file} is ${level} compatible with version ${result.latestVersion} of ${subject}`);
      if (level !== COMPATIBILITY_LEVEL) cli.print(`note: ${subject} should be ${COMPATIBILITY_LEVEL}; \`tributary schemas register\` sets it`);
    });

  return command;
}
