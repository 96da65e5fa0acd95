package dev.tributary.flink.features;

import java.nio.ByteBuffer;
import org.apache.flink.avro.shaded.org.apache.avro.Schema;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericData;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;

/** The job's output types as Avro records of their schemas (snake_case fields, times as epoch millis). */
public final class AvroRecords {
    private AvroRecords() {
    }

    public static GenericRecord feature(Feature f, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        putFeatureFields(record, f);
        return record;
    }

    public static GenericRecord trainingExample(TrainingExample example, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        putFeatureFields(record, example.feature());
        record.put("is_fraud", example.isFraud());
        record.put("label_source", example.labelSource());
        record.put("label_time", example.labelTime());
        return record;
    }

    public static GenericRecord deadLetter(DeadLetter letter, Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        record.put("source_topic", letter.sourceTopic());
        record.put("source_partition", letter.sourcePartition());
        record.put("source_offset", letter.sourceOffset());
        record.put("original_key", letter.originalKey() == null ? null : ByteBuffer.wrap(letter.originalKey()));
        record.put("original_value", letter.originalValue() == null ? null : ByteBuffer.wrap(letter.originalValue()));
        record.put("error_type", letter.errorType());
        record.put("reason", letter.reason());
        record.put("component", DeadLetter.COMPONENT);
        record.put("failed_at", letter.failedAt());
        return record;
    }

    private static void putFeatureFields(GenericRecord record, Feature f) {
        record.put("transaction_id", f.transactionId());
        record.put("card_hash", f.cardHash());
        record.put("email_hash", f.emailHash());
        record.put("merchant_id", f.merchantId());
        record.put("merchant_category", f.merchantCategory());
        record.put("amount", f.amount());
        record.put("event_time", f.eventTime());
        record.put("txn_count_10m", f.txnCount10m());
        record.put("amount_sum_10m", f.amountSum10m());
        record.put("amount_mean_10m", f.amountMean10m());
        record.put("amount_max_10m", f.amountMax10m());
        record.put("txn_count_1h", f.txnCount1h());
        record.put("amount_sum_1h", f.amountSum1h());
        record.put("amount_mean_1h", f.amountMean1h());
        record.put("amount_max_1h", f.amountMax1h());
        record.put("txn_count_24h", f.txnCount24h());
        record.put("amount_sum_24h", f.amountSum24h());
        record.put("amount_mean_24h", f.amountMean24h());
        record.put("amount_max_24h", f.amountMax24h());
        record.put("distinct_merchants_1h", f.distinctMerchants1h());
        record.put("seconds_since_prev", f.secondsSincePrev());
        record.put("amount_to_mean_24h", f.amountToMean24h());
        record.put("distance_km_from_prev", f.distanceKmFromPrev());
        record.put("speed_kmh_from_prev", f.speedKmhFromPrev());
        record.put("is_new_device", f.isNewDevice());
        record.put("hour_of_day", f.hourOfDay());
        record.put("feature_job_version", f.featureJobVersion());
    }
}
