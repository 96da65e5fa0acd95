package dev.tributary.flink.features;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Builds the Kafka record of one output value: a text key and an encoded value.
 *
 * <p>The record carries no timestamp, so the producer stamps it with the time of writing.
 * Flink's stock builder would use the element's event time instead, which brokers reject when
 * it lies further ahead than {@code log.message.timestamp.after.max.ms} and which makes
 * time-based retention delete a replay of old events at once.
 */
public final class KafkaRecordEncoder<T> implements KafkaRecordSerializationSchema<T> {
    private final String topic;
    private final SerializableFunction<T, String> key;
    private final SerializationSchema<T> value;

    public KafkaRecordEncoder(String topic, SerializableFunction<T, String> key, SerializationSchema<T> value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
        value.open(context);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String keyText = key.apply(element);
        return new ProducerRecord<>(topic, null, null, keyText == null ? null : keyText.getBytes(StandardCharsets.UTF_8), value.serialize(element));
    }
}
