package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class CardHistoryTest {
    private static final long T0 = 1_741_593_600_000L; // 2025-03-10T08:00:00Z

    private static CardTransaction txn(String id, long minutes, double amount, String merchant, double lat, double lon) {
        return new CardTransaction(id, "card", "email", merchant, "grocery", amount, lat, lon, "dev", T0 + minutes * 60_000);
    }

    @Test
    void theFirstTransactionHasNoPreviousAndCountsItself() {
        Feature f = CardHistory.empty().featuresOf(txn("t1", 0, 20, "m1", 52.52, 13.405), true, "v1");
        assertEquals(1, f.txnCount10m());
        assertEquals(20.0, f.amountMean24h());
        assertEquals(1.0, f.amountToMean24h());
        assertNull(f.secondsSincePrev());
        assertNull(f.distanceKmFromPrev());
        assertNull(f.speedKmhFromPrev());
        assertEquals(8, f.hourOfDay());
        assertEquals("v1", f.featureJobVersion());
    }

    @Test
    void windowsAreClosedIntervalsEndingAtTheTransaction() {
        CardHistory history = CardHistory.empty();
        history.add(txn("t1", 0, 10, "m1", 0, 0));   // exactly 10 min before t3: inside [t - 10m, t]
        history.add(txn("t2", 5, 30, "m2", 0, 0));
        history.add(txn("t9", 60, 99, "m9", 0, 0));  // after t3: ignored
        Feature f = history.featuresOf(txn("t3", 10, 20, "m1", 0, 0), false, "v1");
        assertEquals(3, f.txnCount10m());
        assertEquals(60.0, f.amountSum10m());
        assertEquals(20.0, f.amountMean10m());
        assertEquals(30.0, f.amountMax10m());
        assertEquals(2, f.distinctMerchants1h());
        assertEquals(300.0, f.secondsSincePrev());
        assertEquals(1.0, f.amountToMean24h());
    }

    @Test
    void eachWindowStartsAtItsFirstMillisecondWhateverTheEntriesBefore() {
        long t = 24 * 60; // minutes after T0
        CardHistory history = CardHistory.empty();
        for (long minutesBefore : new long[] {24 * 60, 60, 10}) {
            // One entry a millisecond outside each window, one on its first millisecond (inside).
            history.add(new CardTransaction("out" + minutesBefore, "card", "email", "m-out" + minutesBefore, "grocery", 1000,
                    0, 0, "dev", T0 + (t - minutesBefore) * 60_000 - 1));
            history.add(txn("in" + minutesBefore, t - minutesBefore, minutesBefore, "m-in" + minutesBefore, 0, 0));
        }
        Feature f = history.featuresOf(txn("now", t, 1, "m-now", 0, 0), false, "v1");
        // By hand: 10m holds in10 and now; 1h adds out10 and in60; 24h adds out60 and in1440.
        assertEquals(2, f.txnCount10m());
        assertEquals(11.0, f.amountSum10m());
        assertEquals(4, f.txnCount1h());
        assertEquals(1071.0, f.amountSum1h());
        assertEquals(4, f.distinctMerchants1h());
        assertEquals(6, f.txnCount24h());
        assertEquals(3511.0, f.amountSum24h());
    }

    @Test
    void zeroElapsedTimeGivesADistanceButNoSpeed() {
        CardHistory history = CardHistory.empty();
        history.add(txn("a", 0, 10, "m1", 48.8566, 2.3522));
        Feature f = history.featuresOf(txn("b", 0, 10, "m1", 48.86, 2.35), false, "v1");
        assertEquals(0.0, f.secondsSincePrev());
        // By hand: 0.0034° north (0.378 km) and 0.0022° west at 48.86° (0.161 km).
        assertEquals(0.411, f.distanceKmFromPrev(), 1e-3);
        assertNull(f.speedKmhFromPrev());
    }

    @Test
    void speedIsDistanceOverElapsedHours() {
        CardHistory history = CardHistory.empty();
        history.add(txn("a", 0, 10, "m1", 0, 0));
        Feature f = history.featuresOf(txn("b", 30, 10, "m1", 0, 1), false, "v1");
        double oneDegreeAtEquatorKm = 2 * Math.PI * CardHistory.EARTH_RADIUS_KM / 360;
        assertEquals(oneDegreeAtEquatorKm, f.distanceKmFromPrev(), 1e-9);
        assertEquals(oneDegreeAtEquatorKm * 2, f.speedKmhFromPrev(), 1e-9);
    }

    @Test
    void pruningForgetsOnlyOlderEntries() {
        CardHistory history = CardHistory.empty();
        history.add(txn("a", 0, 1, "m", 0, 0));
        history.add(txn("b", 10, 1, "m", 0, 0));
        assertEquals(1, history.pruneBefore(T0 + 60_000));
        assertEquals("b", history.entries().get(0).transactionId());
    }

    @Test
    void equalEventTimesAreOrderedByTransactionId() {
        CardHistory history = CardHistory.empty();
        history.add(txn("b", 0, 2, "m", 0, 0));
        history.add(txn("a", 0, 1, "m", 0, 0));
        assertEquals("a", history.entries().get(0).transactionId());
        assertEquals("b", history.entries().get(1).transactionId());
    }
}
