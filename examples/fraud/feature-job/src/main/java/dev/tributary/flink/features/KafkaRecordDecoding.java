package dev.tributary.flink.features;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;

/** Field access on decoded records and dead letters for the records that fail; shared by the deserializers. */
final class KafkaRecordDecoding {
    private KafkaRecordDecoding() {
    }

    static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record, DecodingFailure failure, String transactionId) {
        return new DeadLetter(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                failure.errorType().name(), failure.getMessage(), System.currentTimeMillis(), transactionId);
    }

    /** The key as text, when the producer keyed by transaction id (used only to key dead letters). */
    static String keyText(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    static String text(GenericRecord record, String field) throws DecodingFailure {
        Object value = record.get(field);
        if (value == null || value.toString().isBlank()) throw invalid(field, "is empty");
        return value.toString();
    }

    static double number(GenericRecord record, String field) throws DecodingFailure {
        Object value = record.get(field);
        if (!(value instanceof Number number) || !Double.isFinite(number.doubleValue())) {
            throw invalid(field, "is " + value + ", not a finite number");
        }
        return number.doubleValue();
    }

    static double numberWithin(GenericRecord record, String field, double min, double max) throws DecodingFailure {
        double value = number(record, field);
        if (value < min || value > max) throw invalid(field, "is " + value + ", outside [" + min + ", " + max + "]");
        return value;
    }

    /** timestamp-millis arrives as a long, or as an Instant when the reader registers Avro's time conversions. */
    static long epochMillis(GenericRecord record, String field) throws DecodingFailure {
        Object value = record.get(field);
        long millis;
        if (value instanceof Long number) millis = number;
        else if (value instanceof Instant instant) millis = instant.toEpochMilli();
        else throw invalid(field, "is " + value + ", not a timestamp");
        if (millis <= 0) throw invalid(field, "is " + millis + ", not a time after 1970-01-01");
        return millis;
    }

    static boolean bool(GenericRecord record, String field) throws DecodingFailure {
        if (!(record.get(field) instanceof Boolean value)) throw invalid(field, "is " + record.get(field) + ", not a boolean");
        return value;
    }

    static DecodingFailure invalid(String field, String problem) {
        return new DecodingFailure(DeadLetter.ErrorType.INVALID_RECORD, "field " + field + " " + problem);
    }
}
