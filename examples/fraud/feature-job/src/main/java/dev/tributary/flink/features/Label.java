package dev.tributary.flink.features;

/** The outcome of a transaction, known later (schemas/label.avsc). {@code source} is the enum symbol. */
public record Label(String transactionId, boolean isFraud, String source, long labelTime) {
}
