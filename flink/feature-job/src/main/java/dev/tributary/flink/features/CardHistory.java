package dev.tributary.flink.features;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One card's recent transactions in event-time order, and the feature formulas over them.
 * Pure (no Flink), so the definitions can be tested directly.
 *
 * <p>A transaction at time t is described by the history entries with event time ≤ t plus
 * itself; entries later than t (which exist only when t arrived late) are ignored. Windows are
 * closed intervals [t − w, t].
 */
public final class CardHistory {
    public static final long TEN_MINUTES_MS = 10 * 60 * 1000L;
    public static final long ONE_HOUR_MS = 60 * 60 * 1000L;
    public static final long ONE_DAY_MS = 24 * ONE_HOUR_MS;
    /** Mean Earth radius (IUGG), for the haversine distance. */
    public static final double EARTH_RADIUS_KM = 6371.0088;

    /** Sorted by {@link HistoryEntry#EVENT_ORDER}. */
    private final List<HistoryEntry> entries;

    public CardHistory(List<HistoryEntry> entries) {
        this.entries = entries;
    }

    public static CardHistory empty() {
        return new CardHistory(new ArrayList<>());
    }

    /** The backing list, for storing in Flink state. */
    public List<HistoryEntry> entries() {
        return entries;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public void add(CardTransaction txn) {
        HistoryEntry entry = HistoryEntry.of(txn);
        int at = Collections.binarySearch(entries, entry, HistoryEntry.EVENT_ORDER);
        entries.add(at >= 0 ? at : -at - 1, entry);
    }

    /** Forgets entries older than {@code oldestKept}; returns how many were removed. */
    public int pruneBefore(long oldestKept) {
        int before = entries.size();
        entries.removeIf(entry -> entry.eventTime() < oldestKept);
        return before - entries.size();
    }

    public Feature featuresOf(CardTransaction txn, boolean isNewDevice, String jobVersion) {
        long t = txn.eventTime();
        List<HistoryEntry> context = new ArrayList<>();
        for (HistoryEntry entry : entries) {
            if (entry.eventTime() > t) break;
            if (entry.eventTime() >= t - ONE_DAY_MS) context.add(entry);
        }
        Window tenMinutes = window(context, txn, TEN_MINUTES_MS);
        Window oneHour = window(context, txn, ONE_HOUR_MS);
        Window oneDay = window(context, txn, ONE_DAY_MS);
        Set<String> merchants = new HashSet<>();
        merchants.add(txn.merchantId());
        for (HistoryEntry entry : context) if (entry.eventTime() >= t - ONE_HOUR_MS) merchants.add(entry.merchantId());

        HistoryEntry previous = previousOf(t);
        Double secondsSincePrev = null;
        Double distanceKm = null;
        Double speedKmh = null;
        if (previous != null) {
            secondsSincePrev = (t - previous.eventTime()) / 1000.0;
            distanceKm = haversineKm(previous.latitude(), previous.longitude(), txn.latitude(), txn.longitude());
            // Two transactions at the same instant have no defined speed; null rather than infinity.
            speedKmh = secondsSincePrev > 0 ? distanceKm / (secondsSincePrev / 3600.0) : null;
        }
        // The mean includes this amount, so it is 0 only when every amount in the window is 0.
        double amountToMean24h = oneDay.mean() == 0 ? 1.0 : txn.amount() / oneDay.mean();
        int hourOfDay = Instant.ofEpochMilli(t).atZone(ZoneOffset.UTC).getHour();

        return new Feature(txn.transactionId(), txn.cardHash(), txn.emailHash(), txn.merchantId(), txn.merchantCategory(),
                txn.amount(), t,
                tenMinutes.count, tenMinutes.sum, tenMinutes.mean(), tenMinutes.max,
                oneHour.count, oneHour.sum, oneHour.mean(), oneHour.max,
                oneDay.count, oneDay.sum, oneDay.mean(), oneDay.max,
                merchants.size(), secondsSincePrev, amountToMean24h, distanceKm, speedKmh, isNewDevice, hourOfDay, jobVersion);
    }

    /** The latest entry at or before {@code t} in event order, if any. */
    private HistoryEntry previousOf(long t) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).eventTime() <= t) return entries.get(i);
        }
        return null;
    }

    private static Window window(List<HistoryEntry> context, CardTransaction txn, long widthMs) {
        Window window = new Window(txn.amount());
        for (HistoryEntry entry : context) {
            if (entry.eventTime() >= txn.eventTime() - widthMs) window.add(entry.amount());
        }
        return window;
    }

    public static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double a = Math.pow(Math.sin(dLat / 2), 2)
                + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * Math.pow(Math.sin(dLon / 2), 2);
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1.0, Math.sqrt(a)));
    }

    /** Count, sum and max of the amounts in one window, starting with the current transaction's. */
    private static final class Window {
        long count = 1;
        double sum;
        double max;

        Window(double current) {
            sum = current;
            max = current;
        }

        void add(double amount) {
            count++;
            sum += amount;
            max = Math.max(max, amount);
        }

        double mean() {
            return sum / count;
        }
    }
}
