package dev.tributary.flink.features;

/** A record that can never be decoded or used, whatever the retries: it belongs in the dead-letter queue. */
public final class DecodingFailure extends Exception {
    private final DeadLetter.ErrorType errorType;

    public DecodingFailure(DeadLetter.ErrorType errorType, String reason) {
        super(reason);
        this.errorType = errorType;
    }

    public DeadLetter.ErrorType errorType() {
        return errorType;
    }
}
