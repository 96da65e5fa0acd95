package dev.tributary.flink.features;

import static dev.tributary.flink.features.KafkaRecordDecoding.bool;
import static dev.tributary.flink.features.KafkaRecordDecoding.epochMillis;
import static dev.tributary.flink.features.KafkaRecordDecoding.text;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.avro.shaded.org.apache.avro.generic.GenericRecord;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.util.Collector;

/** Turns a raw labels record into a {@link Label}, or into a dead letter saying why it cannot. */
public final class LabelDeserializer implements KafkaRecordDeserializationSchema<Decoded<Label>> {
    private final String registryUrl;
    private transient ConfluentAvroDecoder decoder;

    public LabelDeserializer(String registryUrl) {
        this.registryUrl = registryUrl;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        decoder = new ConfluentAvroDecoder(AvroSchemas.load(AvroSchemas.LABEL), registryUrl);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded<Label>> out) throws java.io.IOException {
        String transactionId = null;
        try {
            GenericRecord avro = decoder.decode(record.value());
            transactionId = text(avro, "transaction_id");
            out.collect(Decoded.of(new Label(transactionId, bool(avro, "is_fraud"), text(avro, "source"), epochMillis(avro, "label_time"))));
        } catch (DecodingFailure failure) {
            out.collect(Decoded.failed(KafkaRecordDecoding.deadLetter(record, failure,
                    transactionId != null ? transactionId : KafkaRecordDecoding.keyText(record))));
        }
    }

    @Override
    public TypeInformation<Decoded<Label>> getProducedType() {
        return TypeInformation.of(new TypeHint<Decoded<Label>>() {});
    }
}
