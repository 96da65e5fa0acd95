package dev.tributary.flink.features;

/**
 * What a deserializer produced from one Kafka record: either the value or the dead letter
 * explaining why there is none. One type, because a Kafka source has one output type.
 */
public record Decoded<T>(T value, DeadLetter deadLetter) {
    public static <T> Decoded<T> of(T value) {
        return new Decoded<>(value, null);
    }

    public static <T> Decoded<T> failed(DeadLetter deadLetter) {
        return new Decoded<>(null, deadLetter);
    }

    public boolean isValue() {
        return value != null;
    }
}
