/**
 * A pipeline's Flink SQL feature job, generated from its definition: the user writes only the
 * query (`features.job.file`: optional `CREATE TEMPORARY VIEW`s, then a SELECT over the source
 * topics as tables); Tributary writes everything around it and submits it through the SQL Gateway.
 *
 * - Each source topic is a Kafka table read with read_committed, its Avro values in the registry's
 *   wire format, with an event-time attribute `rowtime` from `sources[].eventTime` and a watermark
 *   `sources[].maxOutOfOrderness` behind it.
 * - PII: the raw table is named `tributary_raw__<table>`, and the table the query reads is a view
 *   that replaces each `sources[].pii` field by `tributary_pii_hash(field, keyFile)`, HMAC-SHA256
 *   keyed with a file on the TaskManagers (flink/sql-functions). A function reading a file rather
 *   than SQL's SHA2 over key and value, because a key in the SQL is a literal of the plan, which
 *   the REST API and Web UI show; the query may not name the raw tables.
 * - The features topic is a Kafka table with the features schema, written exactly once (Kafka
 *   transactions committed on checkpoints); the query's columns are taken by name in the schema's
 *   order, so a query that lacks a field fails with the planner's message naming it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TributaryConfig } from '../config/config.js';
import { DEFAULT_CHECKPOINT_INTERVAL, type PipelineDefinition } from '../pipelines/pipeline-definition.js';
import { featureJobName } from '../pipelines/pipeline-topics.js';
import { FlinkSqlError } from './errors.js';
import { featureJobKafkaProperties, piiKeyFilePath, writeSecretFile } from './feature-job-secrets.js';
import { ensureJar, type JarBuildOptions, type MavenJarModule } from './jar-builder.js';
import { FEATURE_JOB_LATENCY_SETTINGS } from './job-spec.js';
import type { SqlGatewayClient } from './sql-gateway-client.js';
import {
  avroColumns,
  createTableStatement,
  durationMs,
  identifier,
  literal,
  ROWTIME_COLUMN,
  tableNameOf,
  type SqlColumn,
} from './sql-feature-job-ddl.js';
import { gatewayMessageOf, SqlJobDefinitionError, SqlStatementError } from './sql-feature-job-errors.js';
import { featureQueryOf } from './sql-feature-job-statements.js';

/** The name of the keyed-hash function in the session, and its class in the functions jar. */
export const PII_HASH_FUNCTION = 'tributary_pii_hash';
const PII_HASH_CLASS = 'dev.tributary.flink.sql.PiiHash';
/** Raw source tables carry this prefix; the user's query may not name them. */
export const RAW_TABLE_PREFIX = 'tributary_raw__';
/** Kafka's broker default transaction.max.timeout.ms; the connector's own default (1 h) is refused by such a broker. */
const TRANSACTION_TIMEOUT_MS = 15 * 60_000;
/** @default of `sources[].maxOutOfOrderness`. */
const DEFAULT_MAX_OUT_OF_ORDERNESS = '5s';

/** `flink/sql-functions` at the package root, both from `src/` and from `dist/`. */
const FUNCTIONS_DIR = fileURLToPath(new URL('../../flink/sql-functions/', import.meta.url));

/** The Maven module of the functions generated SQL jobs call (the keyed PII hash). */
export const SQL_FUNCTIONS_MODULE: MavenJarModule = {
  moduleDir: FUNCTIONS_DIR,
  jar: join('target', 'tributary-sql-functions.jar'),
  inputs: [join(FUNCTIONS_DIR, 'pom.xml'), join(FUNCTIONS_DIR, 'src', 'main')],
};

/**
 * Everything a generated job needs on the local cluster before it is submitted: the functions jar
 * (built with Maven when missing or stale) and the PII hash key in its owner-only file, which the
 * TaskManagers read. Resolves with the environment to generate jobs for.
 */
export async function prepareSqlJobEnvironment(config: TributaryConfig, build: JarBuildOptions = {}): Promise<SqlJobEnvironment> {
  const functionsJar = await ensureJar(SQL_FUNCTIONS_MODULE, build);
  const env = sqlJobEnvironment(config, functionsJar);
  await writeSecretFile(env.piiKeyFile, config.pii.hashKey);
  return env;
}

/** The texts of the files a definition names, by the path as written in it (as a pipeline revision stores them). */
export type DefinitionFiles = Readonly<Record<string, string>>;

/** Where the generated job connects, and the files it needs on the cluster. */
export interface SqlJobEnvironment {
  /** `host:port,host:port`. */
  readonly bootstrapServers: string;
  /** The registry's Confluent-compatible API. */
  readonly schemaRegistryUrl: string;
  /** Put in front of every topic name, and of consumer groups and transactional ids, so two prefixes never share them. */
  readonly topicPrefix: string;
  /** The PII hash key, a file the TaskManagers can read. */
  readonly piiKeyFile: string;
  /** The tributary-sql-functions jar (flink/sql-functions), a path the SQL Gateway can read. */
  readonly functionsJar: string;
}

/**
 * The environment of the configured stack. A broker with TLS or SASL is refused: its credentials
 * would be table options, which the plan shows; the Java feature job reads them from a file.
 */
export function sqlJobEnvironment(config: TributaryConfig, functionsJar: string): SqlJobEnvironment {
  if (featureJobKafkaProperties(config.kafka) !== undefined) {
    throw new SqlJobDefinitionError('Flink SQL jobs connect to a plaintext broker only for now (the credentials of a TLS or SASL broker would show in the job\'s plan); run them against the local stack without --secure, or use a jar feature job');
  }
  return {
    bootstrapServers: config.kafka.brokers.join(','),
    schemaRegistryUrl: config.schemaRegistry.url,
    topicPrefix: config.topics.prefix,
    piiKeyFile: piiKeyFilePath(config),
    functionsJar,
  };
}

/**
 * Reads the files a definition names (schemas and the SQL file) relative to its folder, keyed by
 * the path as written, as a pipeline revision stores them.
 */
export function readDefinitionFiles(definition: PipelineDefinition, baseDir: string): DefinitionFiles {
  const paths = [...definition.sources.map((source) => source.schema), definition.features.schema, definition.labels.schema];
  if (definition.features.job.kind === 'sql') paths.push(definition.features.job.file);
  return Object.fromEntries(paths.map((path) => [path, readFileSync(resolve(baseDir, path), 'utf8')]));
}

/** The file a definition names, from its files; a missing one is a bug of the caller, said with the path. */
export function fileOf(files: DefinitionFiles, path: string): string {
  const text = files[path];
  if (text === undefined) throw new SqlJobDefinitionError(`the definition's file "${path}" was not provided`);
  return text;
}

/** A statement of a generated job, with the place in the user's file it came from, if any. */
export interface SqlJobStatement {
  readonly sql: string;
  /** For a statement of the user's file: the file, and the file line of the statement's line 1 as submitted. */
  readonly origin?: { readonly file: string; readonly firstLine: number };
}

/** A Flink SQL job ready to submit: setup statements, then the INSERT that starts it. */
export interface SqlJob {
  /** The job's name in the definition's terms (`<pipeline>-features`), as plans and messages name it. */
  readonly jobName: string;
  /**
   * Its name on the Flink cluster (`pipeline.name`), where it is found again: the topic prefix,
   * then `jobName`. Job names are cluster-wide, so the same pipeline applied under two prefixes
   * on one Flink runs as two jobs, each found by its own prefix's apply.
   */
  readonly flinkName: string;
  readonly setup: readonly SqlJobStatement[];
  readonly insert: SqlJobStatement;
  /** Session properties: job name, parallelism, checkpointing. */
  readonly properties: Readonly<Record<string, string>>;
}

/** Source options shared by every generated Kafka source table. */
export function kafkaSourceOptions(env: SqlJobEnvironment, topic: string, groupId: string, schemaText: string): Record<string, string> {
  return {
    connector: 'kafka',
    topic: `${env.topicPrefix}${topic}`,
    'properties.bootstrap.servers': env.bootstrapServers,
    'properties.group.id': groupId,
    // Offsets are committed on checkpoints: a job started again without its state goes on from them.
    'scan.startup.mode': 'group-offsets',
    'properties.auto.offset.reset': 'earliest',
    // Only what the writers committed; aborted transactions never reach features.
    'properties.isolation.level': 'read_committed',
    'value.format': 'avro-confluent',
    'value.avro-confluent.url': env.schemaRegistryUrl,
    // The reader schema is the topic's own, not one derived from the columns, so records resolve by the names in the file.
    'value.avro-confluent.schema': schemaText,
  };
}

/** Sink options of a generated Kafka table written with the delivery guarantee of the checkpointing mode. */
export function kafkaSinkOptions(
  env: SqlJobEnvironment,
  topic: string,
  schemaText: string,
  keyField: { readonly name: string; readonly column: SqlColumn | undefined },
  transactionalIdPrefix: string,
  mode: 'exactly-once' | 'at-least-once',
): Record<string, string> {
  const options: Record<string, string> = {
    connector: 'kafka',
    topic: `${env.topicPrefix}${topic}`,
    'properties.bootstrap.servers': env.bootstrapServers,
    'sink.delivery-guarantee': mode,
    'sink.transactional-id-prefix': transactionalIdPrefix,
    'properties.transaction.timeout.ms': String(TRANSACTION_TIMEOUT_MS),
    'value.format': 'avro-confluent',
    'value.avro-confluent.url': env.schemaRegistryUrl,
    'value.avro-confluent.schema': schemaText,
    'value.fields-include': 'ALL',
  };
  // Keyed by the entity, so one entity's records keep their order on one partition.
  if (keyField.column !== undefined && ['STRING', 'INT', 'BIGINT'].includes(keyField.column.type)) {
    options['key.format'] = 'raw';
    options['key.fields'] = keyField.name;
  }
  return options;
}

/** Session properties of a generated job: its name, parallelism and checkpointing. */
export function jobProperties(jobName: string, definition: PipelineDefinition): Record<string, string> {
  const checkpointing = definition.features.checkpointing ?? {};
  const properties: Record<string, string> = {
    ...FEATURE_JOB_LATENCY_SETTINGS,
    'execution.runtime-mode': 'streaming',
    'pipeline.name': jobName,
    'execution.checkpointing.interval': `${durationMs(checkpointing.interval ?? DEFAULT_CHECKPOINT_INTERVAL, 'features.checkpointing.interval')} ms`,
    'execution.checkpointing.mode': (checkpointing.mode ?? 'exactly-once') === 'exactly-once' ? 'EXACTLY_ONCE' : 'AT_LEAST_ONCE',
    // No source idle timeout: a partition marked idle that then gets records finds the watermark
    // moved past them, and an OVER window drops them as late. Without one, a partition that gets
    // no records holds the watermark back: results wait, nothing is lost.
  };
  if (definition.features.parallelism !== undefined) properties['parallelism.default'] = String(definition.features.parallelism);
  return properties;
}

/**
 * The feature job of a definition whose `features.job` is `kind: sql`. Throws
 * {@link SqlJobDefinitionError} with one line when the files do not make a job.
 */
export function buildSqlFeatureJob(definition: PipelineDefinition, files: DefinitionFiles, env: SqlJobEnvironment): SqlJob {
  const { job } = definition.features;
  if (job.kind !== 'sql') throw new SqlJobDefinitionError(`features.job is a ${job.kind} job; only a kind: sql job is generated from SQL`);
  const jobName = featureJobName(definition);
  const scoped = `${env.topicPrefix}${jobName}`;
  const setup: SqlJobStatement[] = [];
  const tables = new Map<string, string>();
  const withPii = definition.sources.some((source) => (source.pii ?? []).length > 0);
  if (withPii) {
    setup.push({ sql: `ADD JAR ${literal(env.functionsJar)}` });
    setup.push({ sql: `CREATE TEMPORARY FUNCTION ${PII_HASH_FUNCTION} AS ${literal(PII_HASH_CLASS)} LANGUAGE JAVA` });
  }
  definition.sources.forEach((source, index) => {
    const table = tableNameOf(source.topic);
    const earlier = tables.get(table);
    if (earlier !== undefined) throw new SqlJobDefinitionError(`sources[${index}].topic "${source.topic}" and "${earlier}" make the same table name ${table}; rename one topic`);
    tables.set(table, source.topic);
    const schemaText = fileOf(files, source.schema);
    const columns = avroColumns(schemaText, `sources[${index}].schema "${source.schema}"`);
    const pii = new Set(source.pii ?? []);
    const rawName = pii.size > 0 ? `${RAW_TABLE_PREFIX}${table}` : table;
    setup.push({
      sql: createTableStatement({
        name: rawName,
        columns,
        eventTime: { column: source.eventTime, maxOutOfOrdernessMs: durationMs(source.maxOutOfOrderness ?? DEFAULT_MAX_OUT_OF_ORDERNESS, `sources[${index}].maxOutOfOrderness`) },
        options: kafkaSourceOptions(env, source.topic, scoped, schemaText),
      }),
    });
    if (pii.size > 0) {
      const projections = [...columns.map((column) => column.name), ROWTIME_COLUMN].map((name) =>
        pii.has(name) ? `${PII_HASH_FUNCTION}(${identifier(name)}, ${literal(env.piiKeyFile)}) AS ${identifier(name)}` : identifier(name),
      );
      setup.push({ sql: `CREATE TEMPORARY VIEW ${identifier(table)} AS SELECT ${projections.join(', ')} FROM ${identifier(rawName)}` });
    }
  });

  const featuresSchema = fileOf(files, definition.features.schema);
  const featureColumns = avroColumns(featuresSchema, `features.schema "${definition.features.schema}"`);
  const featuresTable = tableNameOf(definition.features.topic);
  if (tables.has(featuresTable)) throw new SqlJobDefinitionError(`features.topic "${definition.features.topic}" makes the table name ${featuresTable}, which a source has too; rename one topic`);
  setup.push({
    sql: createTableStatement({
      name: featuresTable,
      columns: featureColumns,
      options: kafkaSinkOptions(
        env,
        definition.features.topic,
        featuresSchema,
        { name: definition.features.entityKey, column: featureColumns.find((column) => column.name === definition.features.entityKey) },
        `${scoped}-tx`,
        definition.features.checkpointing?.mode ?? 'exactly-once',
      ),
    }),
  });

  const query = featureQueryOf(fileOf(files, job.file), job.file, [...tables.keys()].map((table) => `${RAW_TABLE_PREFIX}${table}`));
  for (const view of query.views) setup.push({ sql: view.text, origin: { file: job.file, firstLine: view.line } });
  const selected = featureColumns.map((column) => identifier(column.name)).join(', ');
  // The user's query starts on the statement's second line, so its lines keep their columns and shift by one.
  const insert: SqlJobStatement = {
    sql: `INSERT INTO ${identifier(featuresTable)} SELECT ${selected} FROM (\n${query.select.text}\n) AS tributary_feature_query`,
    origin: { file: job.file, firstLine: query.select.line - 1 },
  };
  return { jobName, flinkName: scoped, setup, insert, properties: jobProperties(scoped, definition) };
}

/**
 * What makes a generated job the job it is: its statements and session properties. Two builds
 * that differ here are different jobs (a query edited in the SQL file, a schema, parallelism or
 * checkpointing changed), which apply upgrades; formatting of the definition aside, equal builds
 * are the same job.
 */
export const sqlJobIdentity = (job: SqlJob): string => JSON.stringify({ setup: job.setup.map((statement) => statement.sql), insert: job.insert.sql, properties: Object.entries(job.properties).sort(([a], [b]) => a.localeCompare(b)) });

/** Options of {@link submitSqlJob}. */
export interface SubmitSqlJobOptions {
  /** Start from this savepoint or checkpoint. @default none: a fresh start */
  readonly restoreFrom?: string;
  /**
   * The Flink job id to run under, 32 hex characters, chosen by the caller so a retried submission
   * can find the job it may already have started (as deployments do for jar jobs). @default Flink picks one
   */
  readonly jobId?: string;
  /** @default 120_000 */
  readonly timeoutMs?: number;
}

/**
 * Submits a generated job through the SQL Gateway and resolves with its Flink job id. A statement
 * of the user's file that the gateway refuses becomes a {@link SqlStatementError}: one line with
 * the file, the line, and the gateway's own message, its line numbers made the file's.
 */
export async function submitSqlJob(gateway: Pick<SqlGatewayClient, 'submitInsert'>, job: SqlJob, options: SubmitSqlJobOptions = {}): Promise<string> {
  if (options.jobId !== undefined && !/^[0-9a-f]{32}$/.test(options.jobId)) throw new SqlJobDefinitionError(`job id "${options.jobId}" is not 32 lower-case hex characters`);
  try {
    return await gateway.submitInsert(job.insert.sql, {
      sessionProperties: job.properties,
      setupStatements: job.setup.map((statement) => statement.sql),
      config: {
        ...(options.restoreFrom === undefined ? {} : { 'execution.state-recovery.path': options.restoreFrom }),
        // Flink's internal option for a fixed job id (PipelineOptionsInternal), which the SQL client's own tests use too.
        ...(options.jobId === undefined ? {} : { '$internal.pipeline.job-id': options.jobId }),
      },
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw statementErrorOf(error, job);
  }
}

/**
 * Plans a generated job without starting it (`EXPLAIN` of its INSERT, after its setup, in a
 * session of its own), so a query that does not parse or names what does not exist is found
 * before anything changes: what `pipeline plan` needs. Resolves when the gateway accepts the job;
 * throws as {@link submitSqlJob} does otherwise.
 */
export async function checkSqlJob(gateway: Pick<SqlGatewayClient, 'openSession' | 'executeStatement' | 'fetchResults' | 'closeSession'>, job: SqlJob, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sessionHandle = await gateway.openSession(job.properties);
  try {
    for (const statement of [...job.setup, { ...job.insert, sql: `EXPLAIN ${job.insert.sql}` }]) {
      await gateway.fetchResults(await gateway.executeStatement(sessionHandle, statement.sql), Math.max(0, deadline - Date.now()));
    }
  } catch (error) {
    throw statementErrorOf(error, { ...job, insert: { ...job.insert, sql: `EXPLAIN ${job.insert.sql}` } });
  } finally {
    // The check's verdict is what matters; the gateway expires a session it could not close.
    await gateway.closeSession(sessionHandle).catch(() => undefined);
  }
}

/** A gateway error about a statement of the user's file, as one line naming the file and line; any other error as it is. */
function statementErrorOf(error: unknown, job: SqlJob): unknown {
  if (!(error instanceof FlinkSqlError)) return error;
  const failed = [...job.setup, job.insert].find((statement) => statement.sql === error.statement);
  if (failed?.origin === undefined) return error;
  const { file, firstLine } = failed.origin;
  // Line 1 of the INSERT is Tributary's wrapper; the query starts on line 2.
  const minLine = failed === job.insert ? firstLine + 1 : firstLine;
  const gatewayMessage = gatewayMessageOf(error);
  if (failed === job.insert && /\bline 1, column \d+/.test(gatewayMessage)) {
    // Positions on the wrapper's line mean nothing in the file; what goes wrong there is a features field the query lacks.
    const missing = /Column '([^']+)' not found/.exec(gatewayMessage);
    const message = missing === null
      ? gatewayMessage.replace(/\s*(From line 1, column \d+ to line 1, column \d+|at line 1, column \d+):?/g, '')
      : `the query gives no column "${missing[1]}", a field of the features schema; the query must give every field of it, by name`;
    return new SqlStatementError(file, minLine, message, error);
  }
  const toFileLine = (line: number): number => firstLine + line - 1;
  const message = gatewayMessage.replace(/\bline (\d+), column (\d+)/g, (_, line: string, column: string) => `line ${toFileLine(Number(line))}, column ${column}`);
  const lineOf = /\bline (\d+), column \d+/.exec(message);
  return new SqlStatementError(file, lineOf === null ? minLine : Number(lineOf[1]), message, error);
}
