/**
 * A schema registry that cannot be reached while a record is decoded, through the real registry
 * client and a real socket: nothing listens on the registry's port, then a registry answers there
 * again. The decode fails with SchemaRegistryUnreachableError naming the URL — not a
 * MessageDecodeError, so the scorer tries its chunk again instead of dead-lettering the record
 * (scoring-worker.ts) — and the same decoder succeeds once the registry answers. The scorer's
 * retries against the real registry stopped and started again are the fault test's
 * (test/faults/schema-registry-restart.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { MessageDecodeError, SchemaRegistryUnreachableError } from '../../src/streaming/errors.js';
import { createSchemaRegistryClient } from '../../src/streaming/schema-registry-client.js';
import { frameWithSchemaId } from '../../src/streaming/wire-format.js';

const label = { type: 'record', name: 'Label', fields: [{ name: 'transaction_id', type: 'string' }, { name: 'is_fraud', type: 'boolean' }] };
const labelType = avro.Type.forSchema(label as Parameters<typeof avro.Type.forSchema>[0]);
const SCHEMA_ID = 7;

/** A registry answering the Confluent API's schema-by-id lookup for one id, on `port` (0: any free one). */
async function registryOn(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const found = request.url === `/apis/ccompat/v7/schemas/ids/${SCHEMA_ID}`;
    response.writeHead(found ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(found ? { schema: JSON.stringify(label) } : { error_code: 40403, message: 'Schema not found' }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

let running: Server | undefined;
afterEach(async () => {
  if (running?.listening) await close(running);
});

describe('decoding while the schema registry is unreachable', () => {
  it('fails with SchemaRegistryUnreachableError naming the registry, not as the record\'s fault, and decodes once the registry answers again', async () => {
    // A port a registry listened on, now closed: connections to it are refused.
    const first = await registryOn(0);
    const { port } = first.address() as AddressInfo;
    await close(first);
    const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
    const client = createSchemaRegistryClient({ url, auth: undefined }, { retries: 1, retryDelayMs: 10 });
    const decoder = createAvroDecoder(client);
    const value = frameWithSchemaId(SCHEMA_ID, labelType.toBuffer({ transaction_id: 't-1', is_fraud: true }));

    const refused = await decoder.decode(value, { topic: 'acme.features', partition: 0, offset: '12' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SchemaRegistryUnreachableError);
    expect(refused).not.toBeInstanceOf(MessageDecodeError);
    expect((refused as SchemaRegistryUnreachableError).message).toMatch(new RegExp(`^schema registry at ${url.replaceAll('.', '\\.')} is unreachable: .*ECONNREFUSED.* \\(2 attempts\\)$`));
    expect((refused as SchemaRegistryUnreachableError).retriable).toBe(true);

    running = await registryOn(port);
    expect((await decoder.decode(value)).value).toEqual({ transaction_id: 't-1', is_fraud: true });
  });
});
