/**
 * `tributary produce` through the real binary (`node dist/cli/main.js`; run `npm run build`
 * first) against the real Kafka and Schema Registry: a file of JSON lines comes back from the
 * topic (read_committed) as the same values, keyed as asked; a file with one bad line in the
 * middle sends nothing and names that line; stdin is sent up to its first bad line; a missing
 * schema and an unreachable broker are one line each.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TributaryConfig } from '../../src/config/config.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createKafka } from '../../src/streaming/kafka-client.js';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { collectingConsumer, createTopic, type CollectingConsumer } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PREFIX = `test.produce-${randomBytes(4).toString('hex')}.`;
const base = loadConfig();
const config: TributaryConfig = { ...base, topics: { prefix: PREFIX } };
/** The topic as `produce` names it (without the prefix) and as Kafka does. */
const NAME = 'orders';
const TOPIC = `${PREFIX}${NAME}`;
const RECORDS = 1_000;

const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'test.produce',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'items', type: 'int' },
    { name: 'courier_id', type: ['null', 'long'], default: null },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'CANCELLED'] } },
    { name: 'placed_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

interface Order {
  readonly order_id: string;
  readonly amount: number;
  readonly items: number;
  readonly courier_id: number | null;
  readonly note: string | null;
  readonly status: 'NEW' | 'PAID' | 'CANCELLED';
  readonly placed_at: number;
}

const STATUSES = ['NEW', 'PAID', 'CANCELLED'] as const;
const START = Date.UTC(2025, 0, 15, 9);

/** Order i, as every reader of the topic should see it. */
const orderValue = (i: number): Order => ({
  order_id: `o-${i}`,
  amount: Math.round(i * 137.5) / 100,
  items: (i % 7) + 1,
  courier_id: i % 3 === 0 ? null : 9_000_000_000 + i,
  note: i % 4 === 0 ? `ring twice (${i})` : null,
  status: STATUSES[i % 3]!,
  placed_at: START + i * 1_000,
});

/**
 * Order i as a person might write it: every other line gives the time as ISO-8601, every fifth
 * note in Avro's JSON union encoding, and nulls written out or left to the default.
 */
function orderLine(i: number): string {
  const order = orderValue(i);
  const line: Record<string, unknown> = { ...order };
  if (i % 2 === 0) line.placed_at = new Date(order.placed_at).toISOString();
  if (order.note !== null && i % 5 === 0) line.note = { string: order.note };
  if (order.note === null && i % 2 === 1) delete line.note;
  return JSON.stringify(line);
}

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built binary with this run's prefix; `stdin` is written to it and closed. */
function tributary(args: readonly string[], options: { readonly stdin?: string; readonly env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, TRIBUTARY_TOPIC_PREFIX: PREFIX, ...options.env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}

describe('tributary produce on the real Kafka and Schema Registry', () => {
  let kafka: Kafka;
  let admin: Admin;
  let registry: SchemaRegistryClient;
  let schemaId: number;
  const consumers: CollectingConsumer[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'tributary-produce-'));
  const fileOf = (name: string, lines: readonly string[]): string => {
    const file = join(scratch, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  /** Records on the topic: the sum of its partitions' end offsets (nothing is transactional here). */
  const endOffsetTotal = async (): Promise<number> => (await admin.fetchTopicOffsets(TOPIC)).reduce((sum, partition) => sum + Number(partition.high), 0);

  beforeAll(async () => {
    kafka = createKafka(config, { clientIdSuffix: 'produce-test' });
    admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, TOPIC, 3);
    registry = createSchemaRegistryClient(config.schemaRegistry);
    schemaId = await registry.register(`${TOPIC}-value`, JSON.stringify(ORDER_SCHEMA));
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.consumer.disconnect()));
    await admin.deleteTopics({ topics: [TOPIC] });
    await admin.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('produces a file whose records read back (read_committed) as the same values, keyed by --key, counted per partition', async () => {
    const file = fileOf('orders.jsonl', Array.from({ length: RECORDS }, (_, i) => orderLine(i)));
    const run = await tributary(['produce', NAME, '--file', file, '--key', 'order_id']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const reader = await collectingConsumer(kafka, TOPIC);
    consumers.push(reader);
    await waitFor(`${RECORDS} records on ${TOPIC}`, () => (reader.received.length >= RECORDS ? true : undefined), 60_000);
    expect(reader.received).toHaveLength(RECORDS);

    const decoder = createAvroDecoder(registry);
    const perPartition = new Map<number, number>();
    const byId = new Map<string, Order>();
    for (const { partition, message } of reader.received) {
      const decoded = await decoder.decode(message.value!);
      expect(decoded.schemaId).toBe(schemaId);
      const order = decoded.value as Order;
      expect(message.key?.toString()).toBe(order.order_id);
      byId.set(order.order_id, order);
      perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
    }
    for (let i = 0; i < RECORDS; i += 1) expect(byId.get(`o-${i}`), `order ${i}`).toEqual(orderValue(i));
    const counts = [...perPartition.entries()].sort(([a], [b]) => a - b).map(([partition, count]) => `${partition}: ${count.toLocaleString('en')}`);
    expect(run.stdout).toBe(`produced ${RECORDS.toLocaleString('en')} records to ${TOPIC} (partitions ${counts.join(', ')})\n`);
  });

  it('a file with one bad line in the middle sends nothing and names that line', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => orderLine(RECORDS + i));
    lines[99] = JSON.stringify({ ...orderValue(RECORDS + 99), amount: '12,50' });
    const file = fileOf('one-bad-line.jsonl', lines);
    const before = await endOffsetTotal();
    const run = await tributary(['produce', NAME, '--file', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      `error: ${file}:100: field "amount": expected double, got "12,50"`,
      `error: nothing was sent to ${TOPIC}: 1 problem on 1 line of ${file}; fix it and run the command again`,
    ]);
    expect(await endOffsetTotal()).toBe(before);
  });

  it('stdin is sent up to its first bad line, and the error says from which line to send again', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => orderLine(2 * RECORDS + i));
    lines[5] = '{"order_id": "o-bad", "amount": }';
    const before = await endOffsetTotal();
    const run = await tributary(['produce', NAME], { stdin: `${lines.join('\n')}\n` });
    expect(run.code).toBe(2);
    const [problem, summary, ...rest] = run.stderr.split('\n').filter(Boolean);
    expect(problem).toMatch(/^error: stdin:6: invalid JSON: /);
    expect(summary).toBe(
      `error: sent 5 records to ${TOPIC}, from lines 1 to 5 of stdin; nothing from line 6 on was sent: fix that line and send the input from it on ` +
        '(e.g. `tail -n +6 <file> | tributary produce …`), not from the start, which would send those records twice',
    );
    expect(rest).toEqual([]);
    expect(await endOffsetTotal()).toBe(before + 5);
  });

  it('a topic with no registered schema is one line saying how to register one', async () => {
    const run = await tributary(['produce', 'unregistered', '--file', fileOf('one.jsonl', [orderLine(0)])]);
    expect(run.code).toBe(1);
    const url = `${config.schemaRegistry.url.replace(/\/+$/, '')}/subjects/${PREFIX}unregistered-value/versions`;
    expect(run.stderr).toBe(
      `error: no schema is registered under ${PREFIX}unregistered-value, so nothing can be produced to ${PREFIX}unregistered; register its Avro schema first: ` +
        `\`jq -Rs '{schema: .}' <file>.avsc | curl -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @- ${url}\`\n`,
    );
  });

  it('a broker that is down is one line, not kafkajs\'s log', async () => {
    const run = await tributary(['produce', NAME, '--file', fileOf('one-more.jsonl', [orderLine(3 * RECORDS)])], { env: { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: connecting to Kafka at 127\.0\.0\.1:1 failed: .*ECONNREFUSED.*; is it running\? `tributary stack status` shows the local stack, TRIBUTARY_KAFKA_BROKERS sets the address\n$/);
  });
});
