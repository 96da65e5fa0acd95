package dev.tributary.flink.features;

/** A feature record with the label that arrived within the labelling horizon (schemas/training-example.avsc). */
public record TrainingExample(Feature feature, boolean isFraud, String labelSource, long labelTime) {
}
