package dev.tributary.flink.features;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Interval join of features and labels on transaction id: a label joins when
 * {@code event_time ≤ label_time ≤ event_time + horizon}, whichever side arrives first.
 *
 * <p>Written by hand rather than with {@code IntervalJoin} because that operator drops
 * elements behind the watermark, and features of late transactions are emitted behind it by
 * design (see {@link FeatureCalculator}). Here nothing is dropped for lateness; state is
 * kept until the watermark passes {@code time + horizon} on each side, so a label still finds
 * a feature that arrives up to a horizon late, and the other way round.
 */
public final class TrainingExampleJoin extends KeyedCoProcessFunction<String, EncodedFeature, Label, TrainingExample> {
    private final long horizonMs;
    /**
     * The feature waiting for its label, as it arrived ({@link FeatureBytes}): one byte array per
     * transaction instead of a graph of some sixteen objects, which the garbage collector marks and
     * every checkpoint writes field by field, for as long as the horizon (7 days by default).
     */
    private transient ValueState<byte[]> encodedFeature;
    /** Where job versions before encodedFeature kept the feature; still read, so their savepoints' features meet their labels. */
    private transient ValueState<Feature> legacyFeature;
    private transient ListState<Label> labels;
    private transient FeatureBytes featureBytes;

    public TrainingExampleJoin(long horizonMs) {
        this.horizonMs = horizonMs;
    }

    @Override
    public void open(OpenContext openContext) {
        encodedFeature = getRuntimeContext().getState(new ValueStateDescriptor<>("feature-bytes", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        legacyFeature = getRuntimeContext().getState(new ValueStateDescriptor<>("feature", Feature.class));
        featureBytes = FeatureBytes.of(getRuntimeContext());
        labels = getRuntimeContext().getListState(new ListStateDescriptor<>("labels", Label.class));
    }

    @Override
    public void processElement1(EncodedFeature arrived, Context ctx, Collector<TrainingExample> out) throws Exception {
        encodedFeature.update(arrived.bytes());
        Feature feature = null;
        for (Label label : labels.get()) {
            if (feature == null) feature = featureBytes.decode(arrived.bytes());
            joinIfWithinHorizon(feature, label, out);
        }
        ctx.timerService().registerEventTimeTimer(arrived.eventTime() + horizonMs);
    }

    @Override
    public void processElement2(Label arrived, Context ctx, Collector<TrainingExample> out) throws Exception {
        labels.add(arrived);
        Feature known = storedFeature();
        if (known != null) joinIfWithinHorizon(known, arrived, out);
        ctx.timerService().registerEventTimeTimer(arrived.labelTime() + horizonMs);
    }

    /** The transaction's latest feature, or null; an encoded one is newer than a legacy one. */
    private Feature storedFeature() throws IOException {
        byte[] encoded = encodedFeature.value();
        return encoded != null ? featureBytes.decode(encoded) : legacyFeature.value();
    }

    private void joinIfWithinHorizon(Feature feature, Label label, Collector<TrainingExample> out) {
        if (label.labelTime() >= feature.eventTime() && label.labelTime() <= feature.eventTime() + horizonMs) {
            out.collect(new TrainingExample(feature, label.isFraud(), label.source(), label.labelTime()));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingExample> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        Feature known = storedFeature();
        if (known != null && known.eventTime() + horizonMs <= watermark) {
            encodedFeature.clear();
            legacyFeature.clear();
        }
        List<Label> kept = new ArrayList<>();
        for (Label label : labels.get()) if (label.labelTime() + horizonMs > watermark) kept.add(label);
        labels.update(kept);
    }
}
