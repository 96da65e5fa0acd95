package dev.tributary.flink.features;

import java.io.IOException;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * A {@link Feature} as bytes in Flink's own binary form of it (its PojoSerializer): how a feature
 * travels to the training-example join and waits there. Encoded once, where the feature is computed;
 * decoded only when a label or a timer needs its fields. The bytes follow Feature's fields, so a
 * change to them needs a new name for the join's state. Not thread-safe (one buffer).
 */
final class FeatureBytes {
    private final TypeSerializer<Feature> serializer;
    private final DataOutputSerializer buffer = new DataOutputSerializer(512);

    FeatureBytes(TypeSerializer<Feature> serializer) {
        this.serializer = serializer;
    }

    /** With the job's serializer configuration, as both the encoding and the decoding operator build it. */
    static FeatureBytes of(RuntimeContext context) {
        return new FeatureBytes(context.createSerializer(TypeInformation.of(Feature.class)));
    }

    TypeSerializer<Feature> serializer() {
        return serializer;
    }

    byte[] encode(Feature feature) throws IOException {
        buffer.clear();
        serializer.serialize(feature, buffer);
        return buffer.getCopyOfBuffer();
    }

    Feature decode(byte[] bytes) throws IOException {
        return serializer.deserialize(new DataInputDeserializer(bytes));
    }
}
