/**
 * The Schema Registry wire format (Confluent's, which Apicurio's compatible API uses too):
 * a zero magic byte, the writer schema's id as a 32-bit big-endian integer, then the Avro
 * binary encoding of the value.
 */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

/** Prefixes Avro bytes with the magic byte and the schema id. */
export function frameWithSchemaId(schemaId: number, avroBytes: Buffer): Buffer {
  const header = Buffer.alloc(WIRE_HEADER_BYTES);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, avroBytes]);
}
