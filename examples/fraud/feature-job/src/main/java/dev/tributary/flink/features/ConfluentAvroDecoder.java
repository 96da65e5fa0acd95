package dev.tributary.flink.features;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.formats.avro.registry.confluent.ConfluentRegistryAvroDeserializationSchema;

/**
 * Decodes Confluent-framed Avro (magic byte 0, 4-byte schema id, Avro binary) through the
 * Schema Registry into a record of the reader schema, and sorts failures into the ones a
 * retry cannot fix ({@link DecodingFailure}, for the dead-letter queue) and the ones it can
 * (registry unreachable or failing: an {@link IOException}, so the job restarts from its last
 * checkpoint instead of dead-lettering good records during an outage).
 */
public final class ConfluentAvroDecoder {
    private static final byte MAGIC_BYTE = 0;
    private static final int HEADER_BYTES = 5;
    private static final int REGISTRY_NOT_FOUND = 404;

    private final ConfluentRegistryAvroDeserializationSchema<GenericRecord> avro;

    public ConfluentAvroDecoder(Schema readerSchema, String registryUrl) {
        this.avro = ConfluentRegistryAvroDeserializationSchema.forGeneric(readerSchema, registryUrl);
    }

    public GenericRecord decode(byte[] value) throws DecodingFailure, IOException {
        if (value == null) throw new DecodingFailure(DeadLetter.ErrorType.MISSING_VALUE, "the record has no value (null)");
        if (value.length < HEADER_BYTES || value[0] != MAGIC_BYTE) {
            throw new DecodingFailure(DeadLetter.ErrorType.NOT_CONFLUENT_WIRE_FORMAT, String.format(
                    "not the Confluent wire format: expected magic byte 0 and a 4-byte schema id, got %d bytes starting %s",
                    value.length, preview(value)));
        }
        int schemaId = ByteBuffer.wrap(value, 1, 4).getInt();
        try {
            return avro.deserialize(value);
        } catch (IOException | RuntimeException e) {
            throw classify(e, schemaId);
        }
    }

    private static IOException classify(Exception error, int schemaId) throws DecodingFailure {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof RestClientException rest) {
                if (rest.getStatus() == REGISTRY_NOT_FOUND) {
                    throw new DecodingFailure(DeadLetter.ErrorType.UNKNOWN_SCHEMA_ID,
                            "schema id " + schemaId + " is not in the registry (" + rest.getMessage() + ")");
                }
                return new IOException("the schema registry failed to serve schema id " + schemaId + ": " + rest.getMessage(), error);
            }
            if (cause instanceof ConnectException || cause instanceof SocketTimeoutException
                    || cause instanceof UnknownHostException || cause instanceof SocketException) {
                return new IOException("the schema registry is unreachable while reading schema id " + schemaId, error);
            }
        }
        throw new DecodingFailure(DeadLetter.ErrorType.UNDECODABLE,
                "the value does not decode as Avro with writer schema id " + schemaId + ": " + describe(error));
    }

    private static String describe(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (!text.isEmpty()) text.append(" <- ");
            text.append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null) text.append(": ").append(cause.getMessage());
        }
        return text.toString();
    }

    private static String preview(byte[] value) {
        StringBuilder hex = new StringBuilder("0x");
        for (int i = 0; i < Math.min(value.length, 8); i++) hex.append(String.format("%02x", value[i]));
        return value.length > 8 ? hex + "…" : hex.toString();
    }
}
