package dev.tributary.flink.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.CachedSchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaMetadata;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.SchemaRegistryClient;
import org.apache.flink.avro.registry.confluent.shaded.io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.formats.avro.SchemaCoder;
import org.apache.flink.formats.avro.registry.confluent.ConfluentSchemaRegistryCoder;

/**
 * Schema coders that write the Confluent header (magic byte 0, 4-byte schema id) of one subject's
 * values, reusing a version the registry already holds when it is the same schema.
 *
 * <p>Why not Flink's own coder: it registers {@code Schema#toString()}, whose JSON keys come in
 * another order than the repository's text that {@code tributary schemas register} registered
 * (e.g. {@code doc} before {@code default}), and Apicurio's Confluent API compares texts, so every
 * subject got a second, identical version. Versions are compared parsed ({@link Schema#equals}:
 * names, types, defaults and properties, not the order or spacing of the text); only when none
 * matches is the schema registered, as Flink's coder would.
 */
public final class RegisteredSchemaCoderProvider implements SchemaCoder.SchemaCoderProvider {
    private static final long serialVersionUID = 1L;
    private static final int IDENTITY_MAP_CAPACITY = 1000;
    private static final int SUBJECT_NOT_FOUND = 404;

    private final String subject;
    private final String registryUrl;

    public RegisteredSchemaCoderProvider(String subject, String registryUrl) {
        this.subject = subject;
        this.registryUrl = registryUrl;
    }

    @Override
    public SchemaCoder get() {
        return new Coder(subject, new CachedSchemaRegistryClient(registryUrl, IDENTITY_MAP_CAPACITY));
    }

    /** One subject's coder; resolves the id once per writer schema, since it writes a header per record. */
    static final class Coder implements SchemaCoder {
        private final String subject;
        private final SchemaRegistryClient client;
        private final ConfluentSchemaRegistryCoder reader;
        private Schema resolvedFor;
        private int schemaId;

        Coder(String subject, SchemaRegistryClient client) {
            this.subject = subject;
            this.client = client;
            this.reader = new ConfluentSchemaRegistryCoder(subject, client);
        }

        @Override
        public Schema readSchema(InputStream in) throws IOException {
            return reader.readSchema(in);
        }

        @Override
        public void writeSchema(Schema schema, OutputStream out) throws IOException {
            // The serializer passes the same Schema instance for every record: identity is enough to know it is resolved.
            if (schema != resolvedFor) {
                schemaId = resolve(schema);
                resolvedFor = schema;
            }
            out.write(0);
            out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
        }

        /** The id of the newest registered version equal to {@code schema}, or of a new version when none is. */
        int resolve(Schema schema) throws IOException {
            try {
                for (SchemaMetadata registered : newestFirst()) {
                    boolean avro = registered.getSchemaType() == null || "AVRO".equals(registered.getSchemaType());
                    if (avro && new Schema.Parser().parse(registered.getSchema()).equals(schema)) return registered.getId();
                }
                return client.register(subject, schema);
            } catch (RestClientException e) {
                throw new IOException("the schema registry refused to look up or register the schema of " + subject + ": " + e.getMessage(), e);
            }
        }

        private List<SchemaMetadata> newestFirst() throws IOException, RestClientException {
            List<Integer> versions;
            try {
                versions = client.getAllVersions(subject);
            } catch (RestClientException e) {
                if (e.getStatus() == SUBJECT_NOT_FOUND) return List.of();
                throw e;
            }
            List<SchemaMetadata> registered = new ArrayList<>();
            for (int i = versions.size() - 1; i >= 0; i--) registered.add(client.getSchemaMetadata(subject, versions.get(i)));
            return registered;
        }
    }
}
