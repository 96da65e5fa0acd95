/**
 * The Flink SQL text Tributary generates around a feature query, and the label join: statements
 * cut from a file with their lines, Avro types as columns, intervals, the generated tables and
 * the INSERT, the training-example schema, and how a gateway error becomes one line of the file.
 * Expected texts are written out by hand; the integration test runs them on the real gateway.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlinkSqlError } from '../../src/flink/errors.js';
import { buildLabelJoinJob, trainingExampleSchema } from '../../src/flink/label-join.js';
import { avroColumns, createTableStatement, durationMs, intervalLiteral } from '../../src/flink/sql-feature-job-ddl.js';
import { gatewayMessageOf, SqlJobDefinitionError, SqlStatementError } from '../../src/flink/sql-feature-job-errors.js';
import { featureQueryOf, splitSqlStatements } from '../../src/flink/sql-feature-job-statements.js';
import { buildSqlFeatureJob, readDefinitionFiles, submitSqlJob, type SqlJobEnvironment } from '../../src/flink/sql-feature-job.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

const DEFINITION_FILE = fileURLToPath(new URL('../../examples/delivery/pipeline.yaml', import.meta.url));
const definition = loadPipelineDefinition(DEFINITION_FILE);
const files = readDefinitionFiles(definition, dirname(DEFINITION_FILE));
const ENV: SqlJobEnvironment = {
  bootstrapServers: 'k1:9092,k2:9092',
  schemaRegistryUrl: 'http://registry:8085/apis/ccompat/v7',
  topicPrefix: 'acme.',
  piiKeyFile: '/secrets/pii-hash-key',
  functionsJar: '/jars/tributary-sql-functions.jar',
};

describe('splitSqlStatements', () => {
  it('cuts at semicolons outside literals, quoted names and comments, with each statement\'s first line', () => {
    const text = [
      '-- leading comment; not a statement',
      'CREATE TEMPORARY VIEW v AS',
      "  SELECT 'a;b' AS x, `odd;name` FROM t; /* a; comment",
      'over lines */',
      '',
      'SELECT x -- trailing; comment',
      "FROM v WHERE y = 'it''s';",
      ';',
    ].join('\n');
    expect(splitSqlStatements(text)).toEqual([
      { text: "CREATE TEMPORARY VIEW v AS\n  SELECT 'a;b' AS x, `odd;name` FROM t", line: 2 },
      { text: "SELECT x -- trailing; comment\nFROM v WHERE y = 'it''s'", line: 6 },
    ]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(splitSqlStatements('SELECT 1;\n\n  SELECT 2\n')).toEqual([
      { text: 'SELECT 1', line: 1 },
      { text: 'SELECT 2', line: 3 },
    ]);
  });
});

describe('featureQueryOf', () => {
  it('takes views, then one query', () => {
    const query = featureQueryOf('CREATE TEMPORARY VIEW v AS SELECT 1 AS a;\nWITH w AS (SELECT a FROM v) SELECT a FROM w;', 'f.sql', []);
    expect(query.views.map((view) => view.line)).toEqual([1]);
    expect(query.select).toEqual({ text: 'WITH w AS (SELECT a FROM v) SELECT a FROM w', line: 2 });
  });

  it.each([
    ['', 'f.sql: holds no statement; write the feature query as a SELECT'],
    ['SELECT 1;\nINSERT INTO x SELECT 1;', 'f.sql:1: only CREATE TEMPORARY VIEW statements may come before the query, found "SELECT 1"'],
    ['CREATE TEMPORARY VIEW v AS SELECT 1;\nCREATE TEMPORARY VIEW w AS SELECT 2;', 'f.sql:2: the last statement must be the feature query, a SELECT (or WITH … SELECT), found "CREATE TEMPORARY VIEW"'],
    ['SELECT *\nFROM Tributary_Raw__orders', 'f.sql:1: names tributary_raw__orders, the source table before its PII fields are hashed; query the source by its topic\'s table name instead'],
  ])('refuses %j in one line', (text, message) => {
    expect(() => featureQueryOf(text, 'f.sql', ['tributary_raw__orders'])).toThrow(new SqlJobDefinitionError(message));
  });
});

describe('avroColumns', () => {
  it('maps flat Avro fields to Flink SQL columns, timestamps to TIMESTAMP', () => {
    const schema = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 's', type: 'string' },
        { name: 'i', type: ['null', 'int'] },
        { name: 'l', type: 'long' },
        { name: 'd', type: 'double' },
        { name: 'b', type: 'boolean' },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } },
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'us', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
      ],
    });
    expect(avroColumns(schema, 'r.avsc').map(({ name, type, nullable }) => `${name} ${type}${nullable ? '' : ' NOT NULL'}`)).toEqual([
      's STRING NOT NULL', 'i INT', 'l BIGINT NOT NULL', 'd DOUBLE NOT NULL', 'b BOOLEAN NOT NULL', 'e STRING NOT NULL', 'ts TIMESTAMP(3) NOT NULL', 'us TIMESTAMP(6)',
    ]);
  });

  it.each([
    [{ type: 'array', items: 'int' }, 'r.avsc: field "x" is of Avro type array'],
    [['int', 'string'], 'r.avsc: field "x" is a union of several types'],
    [{ type: 'int', logicalType: 'date' }, 'r.avsc: field "x" is int with logical type date'],
    [{ type: 'long', logicalType: 'local-timestamp-millis' }, 'r.avsc: field "x" is long with logical type local-timestamp-millis'],
  ])('refuses %j in one line', (type, start) => {
    const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x', type }] });
    expect(() => avroColumns(schema, 'r.avsc')).toThrow(`${start}; a Flink SQL job of Tributary reads flat records (boolean, int, long, float, double, string, bytes, enum, each optionally nullable)`);
  });
});

describe('durations and intervals', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['3h', 10_800_000],
    ['7d', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(durationMs(text, 'x')).toBe(ms));

  it.each([
    [5_000, "INTERVAL '0 00:00:05.000' DAY TO SECOND(3)"],
    [10_800_000, "INTERVAL '0 03:00:00.000' DAY TO SECOND(3)"],
    [604_800_000 + 3_723_456, "INTERVAL '7 01:02:03.456' DAY TO SECOND(3)"],
  ])('%d ms is %s', (ms, text) => expect(intervalLiteral(ms)).toBe(text));

  it('refuses more than 99 days', () => {
    expect(() => intervalLiteral(100 * 86_400_000)).toThrow("an interval of 100 days is longer than Flink SQL's longest, 99 days");
  });
});

describe('createTableStatement', () => {
  it('writes columns, the rowtime attribute and its watermark, and quoted options', () => {
    const columns = avroColumns(JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }, { name: 'at', type: 'long' }] }), 'r');
    expect(createTableStatement({ name: 'my-table', columns, eventTime: { column: 'at', maxOutOfOrdernessMs: 2_500 }, options: { connector: 'kafka', "it's": 'x' } })).toBe(
      [
        'CREATE TEMPORARY TABLE `my-table` (',
        '  `id` STRING NOT NULL,',
        '  `at` BIGINT NOT NULL,',
        '  `rowtime` AS TO_TIMESTAMP_LTZ(`at`, 3),',
        "  WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '0 00:00:02.500' DAY TO SECOND(3)",
        ') WITH (',
        "  'connector' = 'kafka',",
        "  'it''s' = 'x'",
        ')',
      ].join('\n'),
    );
  });

  it('refuses a field named rowtime', () => {
    const columns = avroColumns(JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'rowtime', type: 'long' }] }), 'r');
    expect(() => createTableStatement({ name: 't', columns, eventTime: { column: 'rowtime', maxOutOfOrdernessMs: 0 }, options: {} })).toThrow(
      'table t has a field named "rowtime", the name of the event-time attribute Tributary adds; rename the field',
    );
  });
});

describe('buildSqlFeatureJob on the delivery example', () => {
  const job = buildSqlFeatureJob(definition, files, ENV);

  it('adds the functions jar and the keyed hash, then a raw table and a hashing view for the source with PII', () => {
    expect(job.setup.slice(0, 2).map((statement) => statement.sql)).toEqual([
      "ADD JAR '/jars/tributary-sql-functions.jar'",
      "CREATE TEMPORARY FUNCTION tributary_pii_hash AS 'dev.tributary.flink.sql.PiiHash' LANGUAGE JAVA",
    ]);
    expect(job.setup[2]!.sql).toMatch(/^CREATE TEMPORARY TABLE `tributary_raw__orders` \(\n {2}`order_id` STRING NOT NULL,/);
    expect(job.setup[2]!.sql).toContain("  `rowtime` AS CAST(`placed_at` AS TIMESTAMP(3)),\n  WATERMARK FOR `rowtime` AS `rowtime` - INTERVAL '0 00:00:05.000' DAY TO SECOND(3)\n");
    expect(job.setup[3]!.sql).toBe(
      "CREATE TEMPORARY VIEW `orders` AS SELECT `order_id`, tributary_pii_hash(`customer_id`, '/secrets/pii-hash-key') AS `customer_id`, `restaurant_id`, `city`, `placed_at`, `distance_km`, `items`, `order_value`, `promised_minutes`, `rowtime` FROM `tributary_raw__orders`",
    );
    // A source without PII is the table itself, named after its topic.
    expect(job.setup[4]!.sql).toMatch(/^CREATE TEMPORARY TABLE `courier_assignments` \(/);
  });

  it('reads sources with read_committed from the committed group offsets, with the topic\'s own schema', () => {
    const orders = job.setup[2]!.sql;
    for (const option of [
      "'topic' = 'acme.orders'",
      "'properties.bootstrap.servers' = 'k1:9092,k2:9092'",
      "'properties.group.id' = 'acme.delivery-time-features'",
      "'scan.startup.mode' = 'group-offsets'",
      "'properties.auto.offset.reset' = 'earliest'",
      "'properties.isolation.level' = 'read_committed'",
      "'value.format' = 'avro-confluent'",
      "'value.avro-confluent.url' = 'http://registry:8085/apis/ccompat/v7'",
    ]) expect(orders).toContain(option);
    expect(orders).toContain(`'value.avro-confluent.schema' = '${files['schemas/order.avsc']!.replace(/'/g, "''")}'`);
  });

  it('writes the features exactly once, keyed by the entity, through transactions of its own prefix', () => {
    const sink = job.setup[5]!.sql;
    expect(sink).toMatch(/^CREATE TEMPORARY TABLE `delivery_features` \(/);
    expect(sink).not.toContain('WATERMARK');
    for (const option of [
      "'topic' = 'acme.delivery-features'",
      "'sink.delivery-guarantee' = 'exactly-once'",
      "'sink.transactional-id-prefix' = 'acme.delivery-time-features-tx'",
      "'properties.transaction.timeout.ms' = '900000'",
      "'key.format' = 'raw'",
      "'key.fields' = 'customer_hash'",
      "'value.fields-include' = 'ALL'",
    ]) expect(sink).toContain(option);
  });

  it('keeps the user\'s view with its line, and wraps the query to take the features fields by name', () => {
    expect(job.setup[6]).toEqual({ sql: expect.stringMatching(/^CREATE TEMPORARY VIEW restaurant_load AS\nSELECT/) as unknown, origin: { file: 'features.sql', firstLine: 7 } });
    expect(job.insert.sql.split('\n')[0]).toBe(
      'INSERT INTO `delivery_features` SELECT `order_id`, `customer_hash`, `city`, `placed_at`, `distance_km`, `items`, `order_value`, `promised_minutes`, `restaurant_orders_30m`, `restaurant_avg_items_30m`, `courier_distance_km`, `courier_active_orders` FROM (',
    );
    expect(job.insert.sql.split('\n')[1]).toBe('SELECT');
    expect(job.insert.sql.endsWith('\n) AS tributary_feature_query')).toBe(true);
    // The query's first line is file line 20, and line 2 of the INSERT.
    expect(job.insert.origin).toEqual({ file: 'features.sql', firstLine: 19 });
  });

  it('names the job and sets its checkpointing and parallelism from the definition', () => {
    expect(job.jobName).toBe('delivery-time-features');
    // Flink's job names are cluster-wide: the name there carries the topic prefix.
    expect(job.flinkName).toBe('acme.delivery-time-features');
    expect(job.properties).toEqual({
      // The feature job's latency settings (FEATURE_JOB_LATENCY_SETTINGS), beneath the definition's.
      'pipeline.auto-watermark-interval': '50ms',
      'execution.buffer-timeout.interval': '10ms',
      'execution.runtime-mode': 'streaming',
      'pipeline.name': 'acme.delivery-time-features',
      'execution.checkpointing.interval': '10000 ms',
      'execution.checkpointing.mode': 'EXACTLY_ONCE',
      'parallelism.default': '1',
    });
  });

  it('has no hashing view, function or jar for sources without PII', () => {
    const withoutPii: PipelineDefinition = { ...definition, sources: definition.sources.map((source) => ({ ...source, pii: [] })) };
    const plain = buildSqlFeatureJob(withoutPii, files, ENV);
    expect(plain.setup.map((statement) => statement.sql.split('\n')[0])).toEqual([
      'CREATE TEMPORARY TABLE `orders` (',
      'CREATE TEMPORARY TABLE `courier_assignments` (',
      'CREATE TEMPORARY TABLE `delivery_features` (',
      'CREATE TEMPORARY VIEW restaurant_load AS',
    ]);
  });
});

describe('the label join on the delivery example', () => {
  it('derives the training-example schema: the features fields, the label field, label_time', () => {
    const schema = JSON.parse(trainingExampleSchema(definition, files)) as { name: string; namespace: string; fields: { name: string; type: unknown }[] };
    const features = JSON.parse(files['schemas/delivery-features.avsc']!) as { fields: { name: string }[] };
    expect(schema.name).toBe('DeliveryFeaturesExample');
    expect(schema.namespace).toBe('dev.tributary.examples.delivery');
    expect(schema.fields.map((field) => field.name)).toEqual([...features.fields.map((field) => field.name), 'delivery_minutes', 'label_time']);
    expect(schema.fields.slice(-2)).toEqual([
      { name: 'delivery_minutes', type: 'double' },
      { name: 'label_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ]);
  });

  it('refuses a features schema that already has the label field', () => {
    const clashing = { ...definition, labels: { ...definition.labels, field: 'distance_km' } };
    expect(() => trainingExampleSchema(clashing, { ...files, 'schemas/delivery.avsc': files['schemas/delivery-features.avsc']! })).toThrow(
      'the features schema has a field "distance_km", which a training example adds (the label field and label_time); rename the features field',
    );
  });

  it('joins on the join key within the horizon, in any order, and writes exactly once', () => {
    const job = buildLabelJoinJob(definition, files, ENV);
    expect(job.jobName).toBe('delivery-time-label-join');
    expect(job.insert.sql).toBe(
      [
        'INSERT INTO `training_examples`',
        'SELECT f.`order_id`, f.`customer_hash`, f.`city`, f.`placed_at`, f.`distance_km`, f.`items`, f.`order_value`, f.`promised_minutes`, f.`restaurant_orders_30m`, f.`restaurant_avg_items_30m`, f.`courier_distance_km`, f.`courier_active_orders`, l.`delivery_minutes`, l.`delivered_at` AS `label_time`',
        'FROM `features` AS f JOIN `labels` AS l',
        'ON f.`order_id` = l.`order_id`',
        "AND l.`delivered_at` BETWEEN f.`placed_at` AND f.`placed_at` + INTERVAL '0 03:00:00.000' DAY TO SECOND(3)",
      ].join('\n'),
    );
    const [features, labels, sink] = job.setup.map((statement) => statement.sql);
    expect(features).toContain("'topic' = 'acme.delivery-features'");
    // No event time: the join does not depend on the order records come in.
    expect(features).not.toContain('WATERMARK');
    expect(labels).not.toContain('WATERMARK');
    expect(job.properties['table.exec.state.ttl']).toBe('10800000 ms');
    expect(labels).toContain("'topic' = 'acme.deliveries'");
    expect(labels).toContain("'properties.group.id' = 'acme.delivery-time-label-join'");
    expect(sink).toContain("'topic' = 'acme.delivery-time.training-examples'");
    expect(sink).toContain("'sink.delivery-guarantee' = 'exactly-once'");
    expect(sink).toContain("'sink.transactional-id-prefix' = 'acme.delivery-time-label-join-tx'");
    expect(sink).toContain(`'value.avro-confluent.schema' = '${trainingExampleSchema(definition, files)}'`);
  });
});

describe('submitSqlJob', () => {
  const job = buildSqlFeatureJob(definition, files, ENV);

  it('submits the setup, then the INSERT with the job\'s properties, a chosen job id and a savepoint', async () => {
    let seen: unknown;
    const gateway = {
      submitInsert: async (sql: string, options: unknown): Promise<string> => {
        seen = { sql, options };
        return '0123456789abcdef0123456789abcdef';
      },
    };
    expect(await submitSqlJob(gateway, job, { jobId: '0123456789abcdef0123456789abcdef', restoreFrom: 'file:///savepoints/sp-1', timeoutMs: 5_000 })).toBe('0123456789abcdef0123456789abcdef');
    expect(seen).toEqual({
      sql: job.insert.sql,
      options: {
        sessionProperties: job.properties,
        setupStatements: job.setup.map((statement) => statement.sql),
        config: { 'execution.state-recovery.path': 'file:///savepoints/sp-1', '$internal.pipeline.job-id': '0123456789abcdef0123456789abcdef' },
        timeoutMs: 5_000,
      },
    });
  });

  it('refuses a job id that Flink would not take, before submitting', async () => {
    const gateway = { submitInsert: async (): Promise<string> => expect.unreachable() as never };
    await expect(submitSqlJob(gateway, job, { jobId: 'not-hex' })).rejects.toThrow('job id "not-hex" is not 32 lower-case hex characters');
  });
});

describe('the label join on epoch-millisecond times', () => {
  const millis = (schema: string): string => schema.replace(/\{ "type": "long", "logicalType": "timestamp-millis" \}/g, '"long"');
  const plain = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, path.endsWith('.avsc') ? millis(text) : text]));

  it('adds the horizon in milliseconds', () => {
    expect(buildLabelJoinJob(definition, plain, ENV).insert.sql.split('\n').at(-1)).toBe('AND l.`delivered_at` BETWEEN f.`placed_at` AND f.`placed_at` + 10800000');
  });

  it('refuses a timestamp on one side and a plain long on the other', () => {
    const mixed = { ...files, 'schemas/delivery.avsc': plain['schemas/delivery.avsc']! };
    expect(() => buildLabelJoinJob(definition, mixed, ENV)).toThrow(
      'features.eventTime "placed_at" and labels.eventTime "delivered_at" must both be timestamps (a timestamp logical type) or both plain longs, to be compared',
    );
  });
});

describe('gateway errors as one line of the file', () => {
  const job = buildSqlFeatureJob(definition, files, ENV);
  /** A gateway that refuses `statement` with Flink's text. */
  const refusing = (statement: string, flinkText: string) => ({
    submitInsert: async (): Promise<string> => {
      throw new FlinkSqlError('the statement failed', { statement, flinkErrors: [flinkText] });
    },
  });

  it('takes the innermost parser exception and maps its lines to the file\'s', async () => {
    const text = 'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\nCaused by: org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered "FORM" at line 4, column 1.\n\tat org.x.Y(Y.java:1)';
    const failure = await submitSqlJob(refusing(job.insert.sql, text), job).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SqlStatementError);
    // Line 4 of the INSERT is line 3 of the query, which starts on file line 20.
    expect((failure as Error).message).toBe('features.sql:22: SQL parse failed. Encountered "FORM" at line 22, column 1.');
  });

  it('says which features field the query lacks when the wrapper cannot find it', async () => {
    const text = "Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 233 to line 1, column 255: Column 'courier_active_orders' not found in any table";
    const failure = await submitSqlJob(refusing(job.insert.sql, text), job).catch((error: unknown) => error);
    expect((failure as Error).message).toBe('features.sql:20: the query gives no column "courier_active_orders", a field of the features schema; the query must give every field of it, by name');
  });

  it('maps a view\'s lines from the view\'s first line', async () => {
    const view = job.setup[6]!.sql;
    const text = "Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. From line 2, column 3 to line 2, column 10: Column 'order_idd' not found in any table";
    const failure = await submitSqlJob(refusing(view, text), job).catch((error: unknown) => error);
    expect((failure as Error).message).toBe("features.sql:8: SQL validation failed. From line 8, column 3 to line 8, column 10: Column 'order_idd' not found in any table");
  });

  it('leaves an error about a generated statement as it is', async () => {
    const error = await submitSqlJob(refusing(job.setup[0]!.sql, 'Caused by: java.io.FileNotFoundException: /jars/x.jar'), job).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FlinkSqlError);
    expect(error).not.toBeInstanceOf(SqlStatementError);
  });

  it('falls back to the innermost cause\'s first line', () => {
    const error = new FlinkSqlError('failed', { statement: 'x', flinkErrors: ["Caused by: a.B: outer\nCaused by: java.lang.IllegalArgumentException: Schema provided for 'avro-confluent' format does not match the table schema: {\n  \"type\": \"record\""] });
    expect(gatewayMessageOf(error)).toBe("Schema provided for 'avro-confluent' format does not match the table schema: {");
  });
});
