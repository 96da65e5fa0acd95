package dev.tributary.flink.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

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

    /** One per task thread, reused by every transaction it describes (CardHistory itself is made per transaction). */
    private static final ThreadLocal<DistinctStrings> MERCHANTS = ThreadLocal.withInitial(DistinctStrings::new);

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
        HistoryEntry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        // The same merchant as the newest entry: share its string, so the distinct-merchant count
        // skips the repeat by identity and the history holds one copy (an optimisation only: a
        // restored history has its own strings, and equal ones are still counted once).
        String merchantId = last != null && last.merchantId().equals(txn.merchantId()) ? last.merchantId() : txn.merchantId();
        HistoryEntry entry = HistoryEntry.of(txn, merchantId);
        // In-order arrival, the common case, appends; only a late transaction is searched for.
        if (last == null || HistoryEntry.EVENT_ORDER.compare(last, entry) < 0) {
            entries.add(entry);
            return;
        }
        int at = Collections.binarySearch(entries, entry, HistoryEntry.EVENT_ORDER);
        entries.add(at >= 0 ? at : -at - 1, entry);
    }

    /** Forgets entries older than {@code oldestKept}; returns how many were removed. */
    public int pruneBefore(long oldestKept) {
        // Sorted, so the expired entries are a prefix, found by binary search rather than a pass over all.
        int expired = firstAtOrAfter(oldestKept, 0, entries.size());
        if (expired > 0) entries.subList(0, expired).clear();
        return expired;
    }

    public Feature featuresOf(CardTransaction txn, boolean isNewDevice, String jobVersion) {
        long t = txn.eventTime();
        // The context is a contiguous run of the sorted entries: [start of a window, end). Each
        // window is summed from its oldest entry on, starting with this transaction's amount, the
        // order in which the amounts have always been added (a double sum depends on its order).
        // No list is built per transaction: the allocation and the copy cost more than the sums.
        int end = endOf(t);
        int oneDayFrom = firstAtOrAfter(t - ONE_DAY_MS, 0, end);
        int oneHourFrom = firstAtOrAfter(t - ONE_HOUR_MS, oneDayFrom, end);
        int tenMinutesFrom = firstAtOrAfter(t - TEN_MINUTES_MS, oneHourFrom, end);
        Window tenMinutes = new Window(txn.amount());
        Window oneHour = new Window(txn.amount());
        Window oneDay = new Window(txn.amount());
        DistinctStrings merchants = MERCHANTS.get();
        merchants.clear();
        merchants.add(txn.merchantId());
        // One pass over the day, the narrower windows joining at their first entry: each entry is
        // read once (the scan is bound by fetching entries from memory, not by the additions).
        String lastMerchant = null;
        for (int i = oneDayFrom; i < end; i++) {
            HistoryEntry entry = entries.get(i);
            oneDay.add(entry.amount());
            if (i < oneHourFrom) continue;
            oneHour.add(entry.amount());
            if (i >= tenMinutesFrom) tenMinutes.add(entry.amount());
            // Runs of one merchant share one string (see add), so most repeats are skipped by identity.
            if (entry.merchantId() != lastMerchant) merchants.add(entry.merchantId());
            lastMerchant = entry.merchantId();
        }

        HistoryEntry previous = end > 0 ? entries.get(end - 1) : null;
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

        return new Feature(txn.transactionId(), txn.cardHash(), txn.emailHash(), txn.merchantId(), txn.merchantCategory(),
                txn.amount(), t,
                tenMinutes.count, tenMinutes.sum, tenMinutes.mean(), tenMinutes.max,
                oneHour.count, oneHour.sum, oneHour.mean(), oneHour.max,
                oneDay.count, oneDay.sum, oneDay.mean(), oneDay.max,
                merchants.count(), secondsSincePrev, amountToMean24h, distanceKm, speedKmh, isNewDevice, hourOfDay(t), jobVersion);
    }

    /** UTC hour of an epoch-millisecond time (UTC days have no leap seconds in epoch time). */
    static int hourOfDay(long epochMillis) {
        return (int) (Math.floorMod(epochMillis, ONE_DAY_MS) / ONE_HOUR_MS);
    }

    /**
     * The index after the last entry with event time ≤ {@code t}. An in-order transaction is later
     * than every entry, so the last one is checked before searching.
     */
    private int endOf(long t) {
        int size = entries.size();
        if (size == 0 || entries.get(size - 1).eventTime() <= t) return size;
        int low = 0;
        int high = size - 1; // entries[high] is later than t
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (entries.get(middle).eventTime() <= t) low = middle + 1;
            else high = middle;
        }
        return low;
    }

    /** The first index in [from, to) whose entry has event time ≥ {@code time}, or {@code to}. */
    private int firstAtOrAfter(long time, int from, int to) {
        int low = from;
        int high = to;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (entries.get(middle).eventTime() < time) low = middle + 1;
            else high = middle;
        }
        return low;
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
