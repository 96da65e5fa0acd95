package dev.tributary.flink.features;

/**
 * A transaction after decoding and PII hashing: the only form in which transactions travel
 * inside the job, so raw card numbers and emails never reach state, network or sinks.
 */
public record CardTransaction(
        String transactionId,
        String cardHash,
        String emailHash,
        String merchantId,
        String merchantCategory,
        double amount,
        double latitude,
        double longitude,
        String deviceId,
        long eventTime) {
}
