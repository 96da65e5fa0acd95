/**
 * The scorer cannot reach the schema registry while it decodes, on the real stack: its registry
 * client (the real one) goes through a TCP gate in front of the real registry, closed while the
 * first records arrive, so every connection is refused as if the registry were down — for this
 * scorer only, since other tests share the registry (stopping it for real is the fault test's,
 * test/faults/schema-registry-restart.test.ts). The chunk fails for a reason that is not the
 * records', is tried again with backoff until the gate opens, and then commits: nothing goes to
 * the DLQ, nothing is skipped, every record is scored exactly once.
 */
import { createServer, Socket, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultScorerGroupId } from '../../src/serving/scoring-worker.js';
import { createAvroProducer } from '../../src/streaming/avro-producer.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { featureRecords, metricValue, readDeadLetters, readScores, scoreAccounting, scoringRunConfig, waitForGroupCaughtUp } from '../helpers/scoring.js';
import { useScoringClients } from '../helpers/scoring-clients.js';
import { waitFor } from '../helpers/wait-for.js';
import { fraudTopic } from '../helpers/fraud-topics.js';

const config = scoringRunConfig('scoring-registry-gate');
const MODEL = 'fraud';
/** Failed attempts of the chunk to see before the gate opens: the backoff is under way. */
const FAILED_ATTEMPTS = 2;

/** A TCP forwarder to `target` on a local port of its own that can refuse connections (closed) and accept them again (open). */
interface TcpGate {
  readonly port: number;
  open(): Promise<void>;
  close(): Promise<void>;
}

async function tcpGate(target: { host: string; port: number }): Promise<TcpGate> {
  const connections = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const forwarding = createServer((client) => {
        const upstream = new Socket();
        connections.add(client).add(upstream);
        const forget = (): void => {
          client.destroy();
          upstream.destroy();
          connections.delete(client);
          connections.delete(upstream);
        };
        client.on('error', forget).on('close', forget);
        upstream.on('error', forget).on('close', forget);
        upstream.connect(target.port, target.host, () => {
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      forwarding.once('error', reject);
      forwarding.listen(port, '127.0.0.1', () => resolve(forwarding));
    });
  server = await listen(0);
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    // Kept-alive connections too: a client must not reach the registry through one opened before.
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve, reject) => closing.close((error) => (error ? reject(error) : resolve())));
  };
  return {
    port,
    close,
    open: async () => {
      server ??= await listen(port);
    },
  };
}

describe('scoring worker with the schema registry unreachable (real Kafka, registry, schema registry)', () => {
  const clients = useScoringClients(config, 'scoring-registry-gate');
  const registryUrl = new URL(config.schemaRegistry.url);
  let gate: TcpGate | undefined;

  afterAll(async () => {
    await gate?.close();
  });

  it('tries the chunk again while the registry is unreachable, commits it once it answers, and dead-letters nothing', async () => {
    const { kafka, admin } = clients;
    gate = await tcpGate({ host: registryUrl.hostname, port: Number(registryUrl.port) });
    await gate.close();
    const gatedUrl = `http://127.0.0.1:${gate.port}${registryUrl.pathname}`;
    const scorer = await clients.startChampionScorer({
      model: MODEL,
      batchSize: 50,
      schemaRegistry: createSchemaRegistryClient({ ...config.schemaRegistry, url: gatedUrl }),
    });
    const { logs, metrics } = scorer;

    const producer = createAvroProducer({ kafka, registry: createSchemaRegistryClient(config.schemaRegistry), config });
    await producer.connect();
    const records = featureRecords('registry-gate', 0, 150);
    await producer.send('features', records.map((value) => ({ key: value.transaction_id, value })));
    await producer.disconnect();

    await waitFor(
      `${FAILED_ATTEMPTS} failed attempts of a chunk`,
      async () => ((await metricValue(metrics, 'tributary_scorer_batch_retries_total')) >= FAILED_ATTEMPTS ? true : undefined),
      120_000,
      100,
    );
    expect(await metricValue(metrics, 'tributary_scorer_records_total', { outcome: 'scored' })).toBe(0);
    await gate.open();

    await waitForGroupCaughtUp(admin, defaultScorerGroupId(config, MODEL), fraudTopic(config, 'features'));
    expect(scoreAccounting(await readScores(kafka, config), records.map((record) => record.transaction_id))).toEqual({ duplicates: [], missing: [], unexpected: [] });
    expect(await readDeadLetters(kafka, config)).toEqual([]);
    expect(await metricValue(metrics, 'tributary_scorer_records_total', { outcome: 'dead_lettered' })).toBe(0);
    const unreachable = new RegExp(` chunk of \\d+ records at .* failed \\(attempt 1\\): schema registry at ${gatedUrl.replaceAll('.', '\\.')} is unreachable: .*ECONNREFUSED.*; trying again in 200 ms$`);
    expect(logs.some((line) => unreachable.test(line))).toBe(true);
    expect(logs.some((line) => / chunk of \d+ records at .* committed on attempt \d+$/.test(line))).toBe(true);
  });
});
