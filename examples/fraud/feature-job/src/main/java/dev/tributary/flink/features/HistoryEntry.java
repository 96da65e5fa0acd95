package dev.tributary.flink.features;

import java.util.Comparator;

/** What the features of later transactions need from an earlier one of the same card. */
public record HistoryEntry(long eventTime, String transactionId, double amount, String merchantId, double latitude, double longitude) {
    /** Event-time order, ties broken by transaction id, so equal times give one deterministic order. */
    public static final Comparator<HistoryEntry> EVENT_ORDER =
            Comparator.comparingLong(HistoryEntry::eventTime).thenComparing(HistoryEntry::transactionId);

    public static HistoryEntry of(CardTransaction txn) {
        return of(txn, txn.merchantId());
    }

    /** The entry of {@code txn} holding {@code merchantId}, a string equal to the transaction's. */
    public static HistoryEntry of(CardTransaction txn, String merchantId) {
        return new HistoryEntry(txn.eventTime(), txn.transactionId(), txn.amount(), merchantId, txn.latitude(), txn.longitude());
    }
}
