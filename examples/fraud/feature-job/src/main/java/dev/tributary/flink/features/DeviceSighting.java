package dev.tributary.flink.features;

/** When a card first and last used a device, in event time. */
public record DeviceSighting(long firstSeen, long lastSeen) {
    public DeviceSighting including(long eventTime) {
        return new DeviceSighting(Math.min(firstSeen, eventTime), Math.max(lastSeen, eventTime));
    }
}
