import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { RawAvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types.js';
import axios from 'axios';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { uniqueName } from '../helpers/kafka.js';

const paymentV1: RawAvroSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'dev.tributary.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
const paymentV2WithDefault: RawAvroSchema = {
  ...paymentV1,
  fields: [...paymentV1.fields, { name: 'currency', type: 'string', default: 'EUR' }],
};
const paymentV2RequiredField: RawAvroSchema = {
  ...paymentV1,
  fields: [...paymentV1.fields, { name: 'merchant', type: 'string' }],
};

const avro = (schema: object): { type: SchemaType.AVRO; schema: string } => ({ type: SchemaType.AVRO, schema: JSON.stringify(schema) });

describe('Schema Registry (real Apicurio, Confluent-compatible API)', () => {
  const config = loadConfig();
  let registry: SchemaRegistry;

  beforeAll(() => {
    registry = new SchemaRegistry({ host: config.schemaRegistry.url });
  });

  it('registers an Avro schema and round-trips a record in the Confluent wire format', async () => {
    const subject = `${uniqueName('payments')}-value`;
    const { id } = await registry.register(avro(paymentV1), { subject, compatibility: COMPATIBILITY.BACKWARD });

    const encoded = await registry.encode(id, { id: 'p-1', amount: 12.5 });
    expect(encoded[0]).toBe(0); // magic byte
    expect(encoded.readInt32BE(1)).toBe(id); // schema id follows it
    expect(await registry.decode(encoded)).toEqual({ id: 'p-1', amount: 12.5 });

    const stored = await axios.get<{ compatibilityLevel: string }>(`${config.schemaRegistry.url}/config/${subject}`);
    expect(stored.data.compatibilityLevel).toBe('BACKWARD');
  });

  it('accepts a BACKWARD-compatible change, and readers of either version read both', async () => {
    const subject = `${uniqueName('payments')}-value`;
    const v1 = await registry.register(avro(paymentV1), { subject, compatibility: COMPATIBILITY.BACKWARD });
    const v2 = await registry.register(avro(paymentV2WithDefault), { subject, compatibility: COMPATIBILITY.BACKWARD });
    expect(v2.id).not.toBe(v1.id);

    const oldRecord = await registry.encode(v1.id, { id: 'old', amount: 1 });
    const newRecord = await registry.encode(v2.id, { id: 'new', amount: 2, currency: 'USD' });
    // Each message is decoded by the schema id it carries, so old and new writers coexist.
    expect(await registry.decode(oldRecord)).toEqual({ id: 'old', amount: 1 });
    expect(await registry.decode(newRecord)).toEqual({ id: 'new', amount: 2, currency: 'USD' });
    // A v2 reader fills the default into a v1 record; a v1 reader ignores the new field.
    const asV2 = await registry.decode(oldRecord, { [SchemaType.AVRO]: { readerSchema: paymentV2WithDefault } });
    expect(asV2).toEqual({ id: 'old', amount: 1, currency: 'EUR' });
    const asV1 = await registry.decode(newRecord, { [SchemaType.AVRO]: { readerSchema: paymentV1 } });
    expect(asV1).toEqual({ id: 'new', amount: 2 });
  });

  it('rejects a BACKWARD-incompatible change with the registry\'s reason', async () => {
    const subject = `${uniqueName('payments')}-value`;
    await registry.register(avro(paymentV1), { subject, compatibility: COMPATIBILITY.BACKWARD });
    const rejection = registry.register(avro(paymentV2RequiredField), { subject, compatibility: COMPATIBILITY.BACKWARD });
    await expect(rejection).rejects.toThrow(/incompatible|compatib/i);

    const versions = await axios.get<number[]>(`${config.schemaRegistry.url}/subjects/${subject}/versions`);
    expect(versions.data).toHaveLength(1);
  });
});
