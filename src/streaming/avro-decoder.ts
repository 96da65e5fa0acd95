import avro, { type Type } from 'avsc';
import { NotAvroWireFormatError, UndecodableError, UnknownSchemaIdError, type MessageSource } from './errors.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';
import { MAGIC_BYTE, WIRE_HEADER_BYTES } from './wire-format.js';
import { reasonOf } from '../errors/tributary-error.js';

/** A decoded value and the id of the schema it was written with. */
export interface DecodedValue<Value = unknown> {
  readonly schemaId: number;
  readonly value: Value;
}

export interface AvroDecoderOptions {
  /**
   * Decode every value into this schema by Avro schema resolution, whichever compatible
   * version wrote it: fields it lacks are dropped, fields it adds get their defaults.
   * @default undefined (each value in the shape of its own writer schema)
   */
  readonly readerSchema?: Type;
}

/** Decodes registry wire-format values by the schema id each one carries, so old and new writers coexist on a topic. */
export interface AvroDecoder {
  /**
   * Decodes one message value. A value that cannot be decoded throws a
   * {@link NotAvroWireFormatError}, {@link UnknownSchemaIdError} or {@link UndecodableError}
   * (carrying `source` when given), which a consumer routes to the dead-letter topic. Any other
   * error, such as an unreachable registry, is not the message's fault and propagates as it is.
   */
  decode(value: Buffer, source?: MessageSource): Promise<DecodedValue>;
}

/** How values written with one schema id are read; ids never change meaning, so it is kept once known. */
type Reading =
  | { readonly kind: 'ready'; readonly type: Type; readonly resolver: ReturnType<Type['createResolver']> | undefined; readonly writerName: string }
  | { readonly kind: 'unusable'; readonly reason: string }
  | { readonly kind: 'unknown' };


/** Creates a decoder that looks each writer schema up by id once (through `registry`) and keeps it. */
export function createAvroDecoder(registry: Pick<SchemaRegistryClient, 'schemaById'>, options: AvroDecoderOptions = {}): AvroDecoder {
  const { readerSchema } = options;
  const readings = new Map<number, Promise<Reading>>();

  async function lookUp(schemaId: number): Promise<Reading> {
    const text = await registry.schemaById(schemaId);
    if (text === undefined) return { kind: 'unknown' };
    let writer: Type;
    try {
      writer = avro.Type.forSchema(JSON.parse(text) as Parameters<typeof avro.Type.forSchema>[0]);
    } catch (error) {
      return { kind: 'unusable', reason: `writer schema id ${schemaId} does not parse: ${reasonOf(error)}` };
    }
    const writerName = writer.name ?? writer.typeName;
    if (!readerSchema) return { kind: 'ready', type: writer, resolver: undefined, writerName };
    try {
      return { kind: 'ready', type: readerSchema, resolver: readerSchema.createResolver(writer), writerName };
    } catch (error) {
      return { kind: 'unusable', reason: `writer schema id ${schemaId} (${writerName}) cannot be read as ${readerSchema.name ?? readerSchema.typeName}: ${reasonOf(error)}` };
    }
  }

  function readingOf(schemaId: number): Promise<Reading> {
    let reading = readings.get(schemaId);
    if (!reading) {
      reading = lookUp(schemaId);
      readings.set(schemaId, reading);
      // A registry failure, or an id not registered yet, may be different next time.
      void reading.then(
        (known) => known.kind === 'unknown' && readings.delete(schemaId),
        () => readings.delete(schemaId),
      );
    }
    return reading;
  }

  return {
    async decode(value, source) {
      if (value.length < WIRE_HEADER_BYTES) {
        throw new NotAvroWireFormatError(`value of ${value.length} bytes is shorter than the ${WIRE_HEADER_BYTES}-byte registry wire format header`, source);
      }
      if (value[0] !== MAGIC_BYTE) {
        throw new NotAvroWireFormatError(`value starts with byte 0x${value.toString('hex', 0, 1)}, not the registry wire format's magic byte 0x00`, source);
      }
      const schemaId = value.readInt32BE(1);
      const reading = await readingOf(schemaId);
      if (reading.kind === 'unknown') throw new UnknownSchemaIdError(`schema id ${schemaId} is not in the registry`, source, schemaId);
      if (reading.kind === 'unusable') throw new UndecodableError(reading.reason, source, schemaId);

      const mismatch = (why: string): UndecodableError => new UndecodableError(`bytes do not match writer schema id ${schemaId} (${reading.writerName}): ${why}`, source, schemaId);
      let decoded: { value: unknown; offset: number };
      try {
        decoded = reading.type.decode(value, WIRE_HEADER_BYTES, reading.resolver);
      } catch (error) {
        throw mismatch(reasonOf(error));
      }
      if (decoded.offset === -1) throw mismatch('the value ends before the record does');
      if (decoded.offset !== value.length) throw mismatch(`${value.length - decoded.offset} bytes left over after the record`);
      return { schemaId, value: decoded.value };
    },
  };
}
