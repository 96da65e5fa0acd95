package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class TrainingExampleJoinTest {
    private static final long HORIZON = 1_000;
    private static final long T = 1_741_593_600_000L;

    private static Feature feature(String id, long eventTime) {
        return new Feature(id, "card", "email", "m1", "grocery", 12.5, eventTime, 1, 12.5, 12.5, 12.5, 1, 12.5, 12.5, 12.5,
                1, 12.5, 12.5, 12.5, 1, null, 1.0, 0.25, null, true, 8, "v1");
    }

    private static Label label(String id, long labelTime) {
        return new Label(id, true, "CHARGEBACK", labelTime);
    }

    /** What FeatureEncoder sends the join. */
    private static StreamRecord<EncodedFeature> encoded(Feature feature) throws Exception {
        FeatureBytes bytes = new FeatureBytes(TypeInformation.of(Feature.class).createSerializer(new SerializerConfigImpl()));
        return new StreamRecord<>(new EncodedFeature(feature.transactionId(), feature.eventTime(), bytes.encode(feature)), feature.eventTime());
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, EncodedFeature, Label, TrainingExample> harness(TrainingExampleJoin join) throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(join), EncodedFeature::transactionId, Label::transactionId, Types.STRING);
    }

    @Test
    void aFeatureMeetsItsLabelWhicheverComesFirstAndTheJoinedFeatureIsTheSame() throws Exception {
        try (var join = harness(new TrainingExampleJoin(HORIZON))) {
            join.open();
            join.processElement1(encoded(feature("a", T)));
            join.processElement2(new StreamRecord<>(label("a", T + HORIZON), T + HORIZON));
            join.processElement2(new StreamRecord<>(label("b", T + 10), T + 10));
            join.processElement1(encoded(feature("b", T)));
            assertEquals(List.of(new TrainingExample(feature("a", T), true, "CHARGEBACK", T + HORIZON),
                    new TrainingExample(feature("b", T), true, "CHARGEBACK", T + 10)), join.extractOutputValues());
        }
    }

    @Test
    void aFeatureIsForgottenOnceTheWatermarkPassesItsHorizon() throws Exception {
        try (var join = harness(new TrainingExampleJoin(HORIZON))) {
            join.open();
            join.processElement1(encoded(feature("a", T)));
            join.processBothWatermarks(new Watermark(T + HORIZON));
            assertEquals(0, join.numKeyedStateEntries());
            join.processElement2(new StreamRecord<>(label("a", T + HORIZON), T + HORIZON));
            assertEquals(List.of(), join.extractOutputValues());
        }
    }

    @Test
    void featuresInTheStateOfEarlierVersionsStillMeetTheirLabels() throws Exception {
        OperatorSubtaskState earlier;
        try (var legacy = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new EarlierFeatureState()),
                Feature::transactionId, Label::transactionId, Types.STRING)) {
            legacy.open();
            legacy.processElement1(new StreamRecord<>(feature("a", T), T));
            legacy.processElement1(new StreamRecord<>(feature("b", T), T));
            earlier = legacy.snapshot(1, T);
        }
        try (var join = harness(new TrainingExampleJoin(HORIZON))) {
            join.initializeState(earlier);
            join.open();
            join.processElement2(new StreamRecord<>(label("a", T + 1), T + 1));
            assertEquals(List.of(new TrainingExample(feature("a", T), true, "CHARGEBACK", T + 1)), join.extractOutputValues());
            // The restored timers forget the earlier state as they did: nothing is left once the watermark passes.
            join.processBothWatermarks(new Watermark(T + 1 + HORIZON));
            assertEquals(0, join.numKeyedStateEntries());
        }
    }

    /** The join's state as versions before 'feature-bytes' kept it: the feature object under 'feature', with its expiry timer. */
    private static final class EarlierFeatureState extends KeyedCoProcessFunction<String, Feature, Label, TrainingExample> {
        private transient ValueState<Feature> feature;

        @Override
        public void open(OpenContext openContext) {
            feature = getRuntimeContext().getState(new ValueStateDescriptor<>("feature", Feature.class));
        }

        @Override
        public void processElement1(Feature arrived, Context ctx, Collector<TrainingExample> out) throws Exception {
            feature.update(arrived);
            ctx.timerService().registerEventTimeTimer(arrived.eventTime() + HORIZON);
        }

        @Override
        public void processElement2(Label arrived, Context ctx, Collector<TrainingExample> out) {
        }
    }
}
