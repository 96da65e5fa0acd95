package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link CardHistory} computes each window from index ranges of its sorted entries instead of
 * scanning the whole history per transaction. Its features must stay bit for bit those of the
 * definitions applied directly (README, "Features: exact definitions"), written here the plain way:
 * every entry filtered, amounts added oldest first. Records compare doubles with
 * {@link Double#compare}, so equal here means equal bits.
 */
class CardHistoryEquivalenceTest {
    private static final long T0 = 1_741_593_600_000L; // 2025-03-10T08:00:00Z
    private static final String[] MERCHANTS = {"m1", "m2", "m3", "m4", "m5", "m6", "m7"};

    @Test
    void featuresEqualTheDefinitionsOnRandomStreamsWithLateAndTiedTransactions() {
        Random random = new Random(20261206);
        for (int stream = 0; stream < 200; stream++) {
            CardHistory history = CardHistory.empty();
            List<HistoryEntry> reference = new ArrayList<>();
            long clock = T0;
            for (int i = 0; i < 300; i++) {
                clock += nextGapMs(random);
                // One in ten is late: up to 30 h behind the newest, past the 24 h window and the prune horizon.
                long eventTime = random.nextInt(10) == 0 ? clock - (long) (random.nextDouble() * 30 * CardHistory.ONE_HOUR_MS) : clock;
                CardTransaction txn = new CardTransaction("t" + random.nextInt(1000), "card", "email",
                        MERCHANTS[random.nextInt(MERCHANTS.length)], "grocery", amount(random),
                        40 + random.nextDouble(), 2 + random.nextDouble(), "dev", eventTime);
                boolean isNewDevice = random.nextBoolean();

                assertEquals(definition(reference, txn, isNewDevice), history.featuresOf(txn, isNewDevice, "v1"),
                        "stream " + stream + ", transaction " + i);
                history.add(txn);
                addInOrder(reference, txn);
                if (random.nextInt(20) == 0) {
                    long oldestKept = clock - FeatureCalculator.HISTORY_RETENTION_MS;
                    int removed = reference.size();
                    reference.removeIf(entry -> entry.eventTime() < oldestKept);
                    assertEquals(removed - reference.size(), history.pruneBefore(oldestKept));
                }
                assertEquals(reference, history.entries());
            }
        }
    }

    @Test
    void theUtcHourIsThatOfJavaTime() {
        for (long t : new long[] {0, 1, T0, T0 + 59 * 60_000 + 59_999, T0 + 16 * CardHistory.ONE_HOUR_MS, 4_102_444_799_999L}) {
            assertEquals(Instant.ofEpochMilli(t).atZone(ZoneOffset.UTC).getHour(), CardHistory.hourOfDay(t), "at " + t);
        }
    }

    /** Mostly seconds to minutes apart, some at the same instant, some hours apart. */
    private static long nextGapMs(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1 -> random.nextInt(12) * CardHistory.ONE_HOUR_MS;
            default -> random.nextInt(15 * 60_000);
        };
    }

    /** Cents, as the simulator produces, with some zeros. */
    private static double amount(Random random) {
        return random.nextInt(8) == 0 ? 0.0 : random.nextInt(100_000) / 100.0;
    }

    /**
     * Where the job has always inserted: found by binary search, before the equal entry it lands on
     * when a transaction id repeats at the same time (the order of those two decides sums' bits).
     */
    private static void addInOrder(List<HistoryEntry> entries, CardTransaction txn) {
        HistoryEntry entry = HistoryEntry.of(txn);
        int at = Collections.binarySearch(entries, entry, HistoryEntry.EVENT_ORDER);
        entries.add(at >= 0 ? at : -at - 1, entry);
    }

    /** The feature definitions applied directly to every entry of the history. */
    private static Feature definition(List<HistoryEntry> entries, CardTransaction txn, boolean isNewDevice) {
        long t = txn.eventTime();
        double[] tenMinutes = window(entries, txn, CardHistory.TEN_MINUTES_MS);
        double[] oneHour = window(entries, txn, CardHistory.ONE_HOUR_MS);
        double[] oneDay = window(entries, txn, CardHistory.ONE_DAY_MS);
        Set<String> merchants = new HashSet<>();
        merchants.add(txn.merchantId());
        for (HistoryEntry entry : entries) {
            if (entry.eventTime() <= t && entry.eventTime() >= t - CardHistory.ONE_HOUR_MS) merchants.add(entry.merchantId());
        }
        HistoryEntry previous = null;
        for (HistoryEntry entry : entries) if (entry.eventTime() <= t) previous = entry;
        Double secondsSincePrev = null;
        Double distanceKm = null;
        Double speedKmh = null;
        if (previous != null) {
            secondsSincePrev = (t - previous.eventTime()) / 1000.0;
            distanceKm = CardHistory.haversineKm(previous.latitude(), previous.longitude(), txn.latitude(), txn.longitude());
            speedKmh = secondsSincePrev > 0 ? distanceKm / (secondsSincePrev / 3600.0) : null;
        }
        double mean24h = oneDay[1] / oneDay[0];
        return new Feature(txn.transactionId(), txn.cardHash(), txn.emailHash(), txn.merchantId(), txn.merchantCategory(),
                txn.amount(), t,
                (long) tenMinutes[0], tenMinutes[1], tenMinutes[1] / tenMinutes[0], tenMinutes[2],
                (long) oneHour[0], oneHour[1], oneHour[1] / oneHour[0], oneHour[2],
                (long) oneDay[0], oneDay[1], mean24h, oneDay[2],
                merchants.size(), secondsSincePrev, mean24h == 0 ? 1.0 : txn.amount() / mean24h, distanceKm, speedKmh,
                isNewDevice, Instant.ofEpochMilli(t).atZone(ZoneOffset.UTC).getHour(), "v1");
    }

    /** {count, sum, max} of [t − width, t]: this transaction's amount, then the entries' oldest first. */
    private static double[] window(List<HistoryEntry> entries, CardTransaction txn, long widthMs) {
        double count = 1;
        double sum = txn.amount();
        double max = txn.amount();
        for (HistoryEntry entry : entries) {
            if (entry.eventTime() > txn.eventTime() || entry.eventTime() < txn.eventTime() - widthMs) continue;
            count++;
            sum += entry.amount();
            max = Math.max(max, entry.amount());
        }
        return new double[] {count, sum, max};
    }
}
