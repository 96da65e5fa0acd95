package dev.tributary.flink.features;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
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
public final class TrainingExampleJoin extends KeyedCoProcessFunction<String, Feature, Label, TrainingExample> {
    private final long horizonMs;
    private transient ValueState<Feature> feature;
    private transient ListState<Label> labels;

    public TrainingExampleJoin(long horizonMs) {
        this.horizonMs = horizonMs;
    }

    @Override
    public void open(OpenContext openContext) {
        feature = getRuntimeContext().getState(new ValueStateDescriptor<>("feature", Feature.class));
        labels = getRuntimeContext().getListState(new ListStateDescriptor<>("labels", Label.class));
    }

    @Override
    public void processElement1(Feature arrived, Context ctx, Collector<TrainingExample> out) throws Exception {
        feature.update(arrived);
        for (Label label : labels.get()) joinIfWithinHorizon(arrived, label, out);
        ctx.timerService().registerEventTimeTimer(arrived.eventTime() + horizonMs);
    }

    @Override
    public void processElement2(Label arrived, Context ctx, Collector<TrainingExample> out) throws Exception {
        labels.add(arrived);
        Feature known = feature.value();
        if (known != null) joinIfWithinHorizon(known, arrived, out);
        ctx.timerService().registerEventTimeTimer(arrived.labelTime() + horizonMs);
    }

    private void joinIfWithinHorizon(Feature feature, Label label, Collector<TrainingExample> out) {
        if (label.labelTime() >= feature.eventTime() && label.labelTime() <= feature.eventTime() + horizonMs) {
            out.collect(new TrainingExample(feature, label.isFraud(), label.source(), label.labelTime()));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingExample> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        Feature known = feature.value();
        if (known != null && known.eventTime() + horizonMs <= watermark) feature.clear();
        List<Label> kept = new ArrayList<>();
        for (Label label : labels.get()) if (label.labelTime() + horizonMs > watermark) kept.add(label);
        labels.update(kept);
    }
}
