/**
 * The delivery example (examples/delivery) run the way its README tells a new user to: the built
 * `tributary` binary (run `npm run build` first) for `pipeline validate | apply`, `produce`,
 * `train`, and the example's own generator script for the events. A run gets a pipeline name of its
 * own, because the Flink cluster is shared and names the generated jobs after the pipeline
 * (`<name>-features`, `<name>-label-join`); the file is otherwise the example's, unchanged.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type { CourierAssignment, Delivery, Order } from '../../examples/delivery/generate-events.js';
import type { TributaryConfig } from '../../src/config/config.js';
import { FlinkRestClient, TERMINAL_JOB_STATES } from '../../src/flink/flink-rest-client.js';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { createOffsetRangeReader } from '../../src/streaming/offset-range-reader.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/delivery/', import.meta.url));
const GENERATOR = join(EXAMPLE, 'generate-events.ts');
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The built `tributary` with `config`'s topic prefix and task queue, as a user's environment would set them. */
export function tributaryCli(config: TributaryConfig): (...args: string[]) => Promise<CliRun> {
  const env = { TRIBUTARY_TOPIC_PREFIX: config.topics.prefix, TRIBUTARY_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue };
  return (...args) => run([CLI, ...args], env);
}

/** The generated events as the generator's files hold them, by topic. */
export interface DeliveryEventFiles {
  readonly dir: string;
  readonly orders: readonly Order[];
  readonly assignments: readonly CourierAssignment[];
  readonly deliveries: readonly Delivery[];
  /** The file of each topic the README produces, by topic. */
  readonly files: Readonly<Record<'orders' | 'courier-assignments' | 'deliveries', string>>;
}

const readLines = <Row>(file: string): Row[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Row);

/** A copy of the example in a scratch directory, named `name`; {@link remove} deletes it. */
export class DeliveryExampleCopy {
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-delivery-example-'));
  readonly file = join(this.dir, 'pipeline.yaml');

  constructor(readonly name: string) {
    cpSync(EXAMPLE, this.dir, { recursive: true });
    const text = readFileSync(this.file, 'utf8');
    const renamed = text.replace(/^name: delivery-time$/m, `name: ${name}`);
    if (renamed === text) throw new Error(`examples/delivery/pipeline.yaml has no line "name: delivery-time" to rename`);
    writeFileSync(this.file, renamed);
  }

  /** Runs the example's generator as its README does (`npx tsx examples/delivery/generate-events.ts …`) and reads its files back. */
  async generate(orders: number, seed: number): Promise<DeliveryEventFiles> {
    const out = join(this.dir, `events-${seed}`);
    const generated = await run([TSX, GENERATOR, '--orders', String(orders), '--seed', String(seed), '--out', out], {});
    if (generated.code !== 0) throw new Error(`the generator failed (exit ${generated.code}): ${generated.stderr}`);
    const files = { orders: join(out, 'orders.jsonl'), 'courier-assignments': join(out, 'courier-assignments.jsonl'), deliveries: join(out, 'deliveries.jsonl') };
    return {
      dir: out,
      orders: readLines<Order>(files.orders),
      assignments: readLines<CourierAssignment>(files['courier-assignments']),
      deliveries: readLines<Delivery>(files.deliveries),
      files,
    };
  }

  /**
   * Two orders and their assignments per partition, a day after `after`, all at one time, as JSON
   * lines without a key (so they spread over every partition): each source's watermark then
   * passes every generated event, and the feature query emits the last orders. These orders stay
   * behind the watermark themselves, so they never become features records.
   */
  writeWatermarkFlush(after: number, partitions: number): { readonly orders: string; readonly assignments: string } {
    const at = after + 86_400_000;
    const ids = Array.from({ length: 2 * partitions }, (_, index) => `flush-${index}`);
    const orders: Order[] = ids.map((order_id) => ({ order_id, customer_id: 'flush', restaurant_id: 'flush', city: 'flush', placed_at: at, distance_km: 1, items: 1, order_value: 1, promised_minutes: null }));
    const assignments: CourierAssignment[] = ids.map((order_id) => ({ order_id, courier_id: 'flush', assigned_at: at, courier_distance_km: 1, courier_active_orders: 0 }));
    const files = { orders: join(this.dir, 'flush-orders.jsonl'), assignments: join(this.dir, 'flush-courier-assignments.jsonl') };
    writeFileSync(files.orders, orders.map((row) => `${JSON.stringify(row)}\n`).join(''));
    writeFileSync(files.assignments, assignments.map((row) => `${JSON.stringify(row)}\n`).join(''));
    return files;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The order ids whose delivery falls within `horizonMs` of the order: those the label join makes a training example of. */
export function labelledOrderIds(events: Pick<DeliveryEventFiles, 'orders' | 'deliveries'>, horizonMs: number): Set<string> {
  const placed = new Map(events.orders.map((order) => [order.order_id, order.placed_at]));
  return new Set(
    events.deliveries
      .filter((delivery) => delivery.delivered_at >= placed.get(delivery.order_id)! && delivery.delivered_at <= placed.get(delivery.order_id)! + horizonMs)
      .map((delivery) => delivery.order_id),
  );
}

/** Every committed record of `topic` (read_committed), decoded with the registry's writer schemas. */
export async function readCommitted<Row>(kafka: Kafka, config: TributaryConfig, topic: string): Promise<{ readonly rows: readonly Row[]; readonly undecodable: number }> {
  const reader = createOffsetRangeReader(kafka);
  const decoder = createAvroDecoder(createSchemaRegistryClient(config.schemaRegistry));
  const ends = await reader.snapshotEndOffsets(topic);
  const read = await reader.readRange(
    ends.map(({ partition, startOffset, endOffset }) => ({ topic, partition, fromOffset: startOffset, toOffset: endOffset })),
    async (value) => (await decoder.decode(value)).value as Row,
  );
  return { rows: read.records.map((record) => record.value), undecodable: read.undecodable.length };
}

/** Cancels the jobs a pipeline named `name` runs on the cluster: test-owned jobs hold task slots other suites need. */
export async function cancelPipelineJobs(config: TributaryConfig, name: string): Promise<void> {
  const flink = new FlinkRestClient({ baseUrl: config.flink.restUrl });
  // Their names on Flink carry the topic prefix.
  const ours = (await flink.listJobs()).filter((job) => [`${config.topics.prefix}${name}-features`, `${config.topics.prefix}${name}-label-join`].includes(job.name) && !TERMINAL_JOB_STATES.includes(job.state));
  await Promise.all(ours.map((job) => flink.cancel(job.jid).catch(() => undefined)));
}
