package dev.tributary.flink.features;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/** Encodes each feature once for the training-example join (see {@link EncodedFeature}). */
public final class FeatureEncoder extends RichMapFunction<Feature, EncodedFeature> {
    private transient FeatureBytes bytes;

    @Override
    public void open(OpenContext openContext) {
        bytes = FeatureBytes.of(getRuntimeContext());
    }

    @Override
    public EncodedFeature map(Feature feature) throws Exception {
        return new EncodedFeature(feature.transactionId(), feature.eventTime(), bytes.encode(feature));
    }
}
