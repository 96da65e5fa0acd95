package dev.tributary.flink.features;

import static dev.tributary.flink.features.KafkaRecordDecoding.epochMillis;
import static dev.tributary.flink.features.KafkaRecordDecoding.number;
import static dev.tributary.flink.features.KafkaRecordDecoding.numberWithin;
import static dev.tributary.flink.features.KafkaRecordDecoding.text;

import java.nio.file.Path;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.util.Collector;

/**
 * Turns a raw transactions record into a {@link CardTransaction} with its PII hashed, or into
 * a dead letter saying why it cannot. Hashing happens here, in the source, so raw card
 * numbers and emails never leave this operator. Never throws for bad input; throws only when
 * the registry is unreachable, which a restart can fix.
 */
public final class TransactionDeserializer implements KafkaRecordDeserializationSchema<Decoded<CardTransaction>> {
    private final String registryUrl;
    /** A String, not a Path: the deserializer is serialized into the job graph. */
    private final String piiKeyFile;
    private transient ConfluentAvroDecoder decoder;
    private transient PiiHasher hasher;

    public TransactionDeserializer(String registryUrl, Path piiKeyFile) {
        this.registryUrl = registryUrl;
        this.piiKeyFile = piiKeyFile.toString();
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        decoder = new ConfluentAvroDecoder(AvroSchemas.load(AvroSchemas.TRANSACTION), registryUrl);
        hasher = PiiHasher.fromKeyFile(Path.of(piiKeyFile));
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded<CardTransaction>> out) throws java.io.IOException {
        String transactionId = null;
        try {
            GenericRecord avro = decoder.decode(record.value());
            transactionId = text(avro, "transaction_id");
            out.collect(Decoded.of(toTransaction(avro, transactionId)));
        } catch (DecodingFailure failure) {
            out.collect(Decoded.failed(KafkaRecordDecoding.deadLetter(record, failure,
                    transactionId != null ? transactionId : KafkaRecordDecoding.keyText(record))));
        }
    }

    private CardTransaction toTransaction(GenericRecord avro, String transactionId) throws DecodingFailure {
        double amount = number(avro, "amount");
        if (amount < 0) throw KafkaRecordDecoding.invalid("amount", "is " + amount + ", negative");
        return new CardTransaction(
                transactionId,
                hasher.hash(text(avro, "card_number")),
                hasher.hash(text(avro, "email")),
                text(avro, "merchant_id"),
                text(avro, "merchant_category"),
                amount,
                numberWithin(avro, "latitude", -90, 90),
                numberWithin(avro, "longitude", -180, 180),
                text(avro, "device_id"),
                epochMillis(avro, "event_time"));
    }

    @Override
    public TypeInformation<Decoded<CardTransaction>> getProducedType() {
        return TypeInformation.of(new TypeHint<Decoded<CardTransaction>>() {});
    }
}
