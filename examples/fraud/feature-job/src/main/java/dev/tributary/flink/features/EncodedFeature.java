package dev.tributary.flink.features;

/**
 * A feature on its way to the training-example join: the key and time the join needs before any
 * label arrives, and the feature itself as {@link FeatureBytes}, so the join stores the bytes it
 * received instead of decoding a Feature object and encoding it again for its state.
 */
public record EncodedFeature(String transactionId, long eventTime, byte[] bytes) {
}
