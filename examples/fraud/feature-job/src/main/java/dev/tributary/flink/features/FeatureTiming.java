package dev.tributary.flink.features;

import java.util.Arrays;
import java.util.Optional;

/**
 * When {@link FeatureCalculator} describes a transaction; chosen by {@code --feature-timing}.
 * What each mode guarantees for out-of-order transactions is in this module's README.md
 * ("Event time, order and lateness").
 */
public enum FeatureTiming {
    /**
     * At once, on arrival, against the card's history as it stands: the serving path, which puts
     * no watermark wait into a score and emits the last transaction of a stream that goes quiet.
     */
    ARRIVAL("arrival"),
    /**
     * Once the watermark passes the transaction's event time, in (event time, transaction id)
     * order: every arrival order within the out-of-orderness bound gives the same features, for
     * exact replays, at the cost of the bound in every transaction's latency.
     */
    EVENT_TIME("event-time");

    private final String argument;

    FeatureTiming(String argument) {
        this.argument = argument;
    }

    /** The value of {@code --feature-timing} that selects this mode. */
    public String argument() {
        return argument;
    }

    public static Optional<FeatureTiming> fromArgument(String value) {
        return Arrays.stream(values()).filter(timing -> timing.argument.equals(value)).findFirst();
    }
}
