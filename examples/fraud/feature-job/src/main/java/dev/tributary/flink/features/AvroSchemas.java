package dev.tributary.flink.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;

/** The repository's Avro schemas (schemas/*.avsc), packaged into the jar at build time. */
public final class AvroSchemas {
    public static final String TRANSACTION = "transaction.avsc";
    public static final String LABEL = "label.avsc";
    public static final String FEATURE = "feature.avsc";
    public static final String TRAINING_EXAMPLE = "training-example.avsc";
    public static final String DEAD_LETTER = "dead-letter.avsc";

    private AvroSchemas() {
    }

    public static Schema load(String file) {
        try (InputStream in = AvroSchemas.class.getResourceAsStream("/schemas/" + file)) {
            if (in == null) throw new IllegalStateException("schemas/" + file + " is not in the job jar; rebuild it");
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schemas/" + file + " from the job jar", e);
        }
    }
}
