package dev.tributary.flink.features;

import java.io.Serializable;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.formats.avro.RegistryAvroSerializationSchema;

/**
 * Encodes values in the Confluent wire format with a schema registered under {@code subject}: the
 * registered version equal to it, or one registered on first use if the registry has none (see
 * {@link RegisteredSchemaCoderProvider}).
 */
public final class RegistryAvroEncoder<T> implements SerializationSchema<T> {
    /** Maps one output value to a record of the schema; serializable because it travels in the job graph. */
    @FunctionalInterface
    public interface ToAvro<T> extends Serializable {
        GenericRecord toRecord(T value, Schema schema);
    }

    private final String subject;
    private final String schemaFile;
    private final String registryUrl;
    private final ToAvro<T> toAvro;
    private transient Schema schema;
    private transient RegistryAvroSerializationSchema<GenericRecord> avro;

    public RegistryAvroEncoder(String subject, String schemaFile, String registryUrl, ToAvro<T> toAvro) {
        this.subject = subject;
        this.schemaFile = schemaFile;
        this.registryUrl = registryUrl;
        this.toAvro = toAvro;
    }

    @Override
    public void open(InitializationContext context) throws Exception {
        schema = AvroSchemas.load(schemaFile);
        avro = RegistryAvroSerializationSchema.forGeneric(schema, new RegisteredSchemaCoderProvider(subject, registryUrl));
        avro.open(context);
    }

    @Override
    public byte[] serialize(T value) {
        return avro.serialize(toAvro.toRecord(value, schema));
    }
}
