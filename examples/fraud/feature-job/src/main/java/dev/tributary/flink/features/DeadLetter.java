package dev.tributary.flink.features;

/**
 * A record the job could not use, kept with its original bytes and why (schemas/dead-letter.avsc).
 * {@code transactionId} is not in the schema: it is the Kafka key of the dead letter when the
 * record decoded far enough to have one.
 */
public record DeadLetter(
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        byte[] originalKey,
        byte[] originalValue,
        String errorType,
        String reason,
        long failedAt,
        String transactionId) {

    public static final String COMPONENT = "feature-job";

    /** Machine-readable classes of failure, written as {@code error_type}. */
    public enum ErrorType {
        /** The Kafka record has no value at all. */
        MISSING_VALUE,
        /** The value does not start with the Confluent wire format's magic byte 0 and a 4-byte schema id. */
        NOT_CONFLUENT_WIRE_FORMAT,
        /** The schema id in the value is not known to the registry. */
        UNKNOWN_SCHEMA_ID,
        /** The bytes do not decode with the writer schema, or the writer schema cannot be read as the expected one. */
        UNDECODABLE,
        /** The record decoded, but a field holds a value the job cannot use. */
        INVALID_RECORD
    }
}
