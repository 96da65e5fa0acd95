import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { createAvroDecoder } from '../../src/streaming/avro-decoder.js';
import { MessageDecodeError, NotAvroWireFormatError, SchemaRegistryUnreachableError, UndecodableError, UnknownSchemaIdError } from '../../src/streaming/errors.js';
import { frameWithSchemaId } from '../../src/streaming/wire-format.js';

const labelV1 = {
  type: 'record',
  name: 'Label',
  fields: [
    { name: 'transaction_id', type: 'string' },
    { name: 'is_fraud', type: 'boolean' },
  ],
};
const labelV2 = { ...labelV1, fields: [...labelV1.fields, { name: 'analyst', type: 'string', default: 'unknown' }] };
const v1 = avro.Type.forSchema(labelV1 as Parameters<typeof avro.Type.forSchema>[0]);
const v2 = avro.Type.forSchema(labelV2 as Parameters<typeof avro.Type.forSchema>[0]);

/** A registry lookup over a fixed set of schemas that counts its calls. */
function fakeRegistry(schemas: Record<number, object | string>) {
  const calls: number[] = [];
  return {
    calls,
    schemaById: async (id: number) => {
      calls.push(id);
      const schema = schemas[id];
      return schema === undefined ? undefined : typeof schema === 'string' ? schema : JSON.stringify(schema);
    },
  };
}

const source = { topic: 'acme.labels', partition: 2, offset: '41' };

async function failure(promise: Promise<unknown>): Promise<MessageDecodeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof MessageDecodeError)) throw new Error(`expected a MessageDecodeError, got ${String(error)}`);
  return error;
}

describe('Avro decoder', () => {
  it('decodes each value by the schema id it carries, so old and new writers coexist', async () => {
    const registry = fakeRegistry({ 1: labelV1, 2: labelV2 });
    const decoder = createAvroDecoder(registry);
    const old = frameWithSchemaId(1, v1.toBuffer({ transaction_id: 't-1', is_fraud: true }));
    const current = frameWithSchemaId(2, v2.toBuffer({ transaction_id: 't-2', is_fraud: false, analyst: 'ada' }));
    expect(await decoder.decode(old)).toEqual({ schemaId: 1, value: { transaction_id: 't-1', is_fraud: true } });
    expect(await decoder.decode(current)).toEqual({ schemaId: 2, value: { transaction_id: 't-2', is_fraud: false, analyst: 'ada' } });
    await decoder.decode(old);
    expect(registry.calls).toEqual([1, 2]);
  });

  it('reads every writer version into a reader schema', async () => {
    const decoder = createAvroDecoder(fakeRegistry({ 1: labelV1, 2: labelV2 }), { readerSchema: v1 });
    const current = frameWithSchemaId(2, v2.toBuffer({ transaction_id: 't-2', is_fraud: false, analyst: 'ada' }));
    expect((await decoder.decode(current)).value).toEqual({ transaction_id: 't-2', is_fraud: false });
    const upgrading = createAvroDecoder(fakeRegistry({ 1: labelV1 }), { readerSchema: v2 });
    const old = frameWithSchemaId(1, v1.toBuffer({ transaction_id: 't-1', is_fraud: true }));
    expect((await upgrading.decode(old)).value).toEqual({ transaction_id: 't-1', is_fraud: true, analyst: 'unknown' });
  });

  it('classifies a value without the magic byte as NOT_AVRO_WIRE_FORMAT, with where it was read', async () => {
    const decoder = createAvroDecoder(fakeRegistry({}));
    const error = await failure(decoder.decode(Buffer.from('{"transaction_id":"t-1"}'), source));
    expect(error).toBeInstanceOf(NotAvroWireFormatError);
    expect(error.code).toBe('NOT_AVRO_WIRE_FORMAT');
    expect(error.message).toBe("value starts with byte 0x7b, not the registry wire format's magic byte 0x00 (topic acme.labels, partition 2, offset 41)");
    expect([error.topic, error.partition, error.offset, error.retriable]).toEqual(['acme.labels', 2, '41', false]);

    const short = await failure(decoder.decode(Buffer.from([0, 0, 1])));
    expect(short.message).toBe('value of 3 bytes is shorter than the 5-byte registry wire format header');
    expect(short.code).toBe('NOT_AVRO_WIRE_FORMAT');
  });

  it('classifies an id the registry does not know as UNKNOWN_SCHEMA_ID, and asks again next time', async () => {
    const registry = fakeRegistry({});
    const decoder = createAvroDecoder(registry);
    const value = frameWithSchemaId(999, v1.toBuffer({ transaction_id: 't-1', is_fraud: true }));
    const error = await failure(decoder.decode(value, source));
    expect(error).toBeInstanceOf(UnknownSchemaIdError);
    expect(error.code).toBe('UNKNOWN_SCHEMA_ID');
    expect(error.schemaId).toBe(999);
    expect(error.message).toBe('schema id 999 is not in the registry (topic acme.labels, partition 2, offset 41)');
    await failure(decoder.decode(value));
    expect(registry.calls).toEqual([999, 999]);
  });

  it('classifies bytes that do not match the writer schema as UNDECODABLE', async () => {
    const decoder = createAvroDecoder(fakeRegistry({ 1: labelV1 }));
    const encoded = v1.toBuffer({ transaction_id: 't-1', is_fraud: true });

    const truncated = await failure(decoder.decode(frameWithSchemaId(1, encoded.subarray(0, 3)), source));
    expect(truncated).toBeInstanceOf(UndecodableError);
    expect(truncated.code).toBe('UNDECODABLE');
    expect(truncated.message).toBe('bytes do not match writer schema id 1 (Label): the value ends before the record does (topic acme.labels, partition 2, offset 41)');

    const trailing = await failure(decoder.decode(frameWithSchemaId(1, Buffer.concat([encoded, Buffer.from([7, 7])]))));
    expect(trailing.message).toBe('bytes do not match writer schema id 1 (Label): 2 bytes left over after the record');

    // A string length of -1 (zig-zag 0x01) cannot be read.
    const negativeLength = await failure(decoder.decode(frameWithSchemaId(1, Buffer.from([0x01, 0x41, 0x01]))));
    expect(negativeLength.code).toBe('UNDECODABLE');
  });

  it('classifies a writer schema the reader cannot resolve, or one that does not parse, as UNDECODABLE', async () => {
    const idAsInt = { type: 'record', name: 'Label', fields: [{ name: 'transaction_id', type: 'int' }] };
    const reader = createAvroDecoder(fakeRegistry({ 3: idAsInt }), { readerSchema: v1 });
    const unreadable = await failure(reader.decode(frameWithSchemaId(3, Buffer.from([0x02]))));
    expect(unreadable.message).toBe('writer schema id 3 (Label) cannot be read as Label: cannot read "int" as "string"');
    expect(unreadable.code).toBe('UNDECODABLE');

    const garbled = createAvroDecoder(fakeRegistry({ 4: '{"type": "recrd"}' }));
    const unparsable = await failure(garbled.decode(frameWithSchemaId(4, Buffer.from([0x02]))));
    expect(unparsable.message).toBe('writer schema id 4 does not parse: unknown type: "recrd"');
  });

  it('lets a registry failure through unclassified: it is not the message\'s fault', async () => {
    const unreachable = new SchemaRegistryUnreachableError('http://127.0.0.1:1', 'connect ECONNREFUSED 127.0.0.1:1');
    let fail = true;
    const decoder = createAvroDecoder({
      schemaById: async () => {
        if (fail) throw unreachable;
        return JSON.stringify(labelV1);
      },
    });
    const value = frameWithSchemaId(1, v1.toBuffer({ transaction_id: 't-1', is_fraud: true }));
    await expect(decoder.decode(value)).rejects.toBe(unreachable);
    fail = false;
    expect((await decoder.decode(value)).value).toEqual({ transaction_id: 't-1', is_fraud: true });
  });
});
