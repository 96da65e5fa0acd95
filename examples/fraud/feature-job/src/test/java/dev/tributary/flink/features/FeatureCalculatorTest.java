package dev.tributary.flink.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The operator's timing and state on Flink's operator test harness; the formulas are CardHistoryTest's. */
class FeatureCalculatorTest {
    private static final long T0 = 1_741_593_600_000L; // 2025-03-10T08:00:00Z
    private static final long MINUTE = 60_000L;

    private static CardTransaction txn(String id, long minutes, double amount) {
        return new CardTransaction(id, "card", "email", "m-" + id, "grocery", amount, 0, 0, "dev", T0 + minutes * MINUTE);
    }

    private static StreamRecord<CardTransaction> arriving(CardTransaction txn) {
        return new StreamRecord<>(txn, txn.eventTime());
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, CardTransaction, Feature> harness(FeatureTiming timing) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new FeatureCalculator("v1", timing)), CardTransaction::cardHash, Types.STRING);
    }

    private static List<String> ids(List<Feature> features) {
        return features.stream().map(Feature::transactionId).toList();
    }

    @Test
    void arrivalDescribesATransactionOfAQuietStreamAtOnceWithoutAWatermark() throws Exception {
        try (var calculator = harness(FeatureTiming.ARRIVAL)) {
            calculator.open();
            calculator.processElement(arriving(txn("only", 0, 20)));
            // No further input and no watermark: the feature is out already.
            List<Feature> out = calculator.extractOutputValues();
            assertEquals(List.of("only"), ids(out));
            assertEquals(1, out.get(0).txnCount10m());
            assertNull(out.get(0).secondsSincePrev());
            // Only the two retention timers (history, devices), none waiting to describe it.
            assertEquals(2, calculator.numEventTimeTimers());
        }
    }

    @Test
    void arrivalDescribesEachTransactionWhenItArrivesAgainstTheHistorySoFar() throws Exception {
        try (var calculator = harness(FeatureTiming.ARRIVAL)) {
            calculator.open();
            calculator.processElement(arriving(txn("a", 0, 10)));
            calculator.processElement(arriving(txn("b", 4, 30)));
            List<Feature> out = calculator.extractOutputValues();
            assertEquals(List.of("a", "b"), ids(out));
            assertEquals(2, out.get(1).txnCount10m());
            assertEquals(40.0, out.get(1).amountSum10m());
            assertEquals(240.0, out.get(1).secondsSincePrev());
        }
    }

    @Test
    void anOutOfOrderTransactionCountsOnlyEarlierEventsAndJoinsTheHistoryAtItsEventTime() throws Exception {
        try (var calculator = harness(FeatureTiming.ARRIVAL)) {
            calculator.open();
            calculator.processElement(arriving(txn("a", 0, 10)));
            calculator.processElement(arriving(txn("c", 10, 40)));
            // b happened between a and c but arrives after c: c is not in its windows, a is its prev.
            calculator.processElement(arriving(txn("b", 5, 20)));
            // d, after all three: b counts, though it arrived last.
            calculator.processElement(arriving(txn("d", 12, 1)));
            List<Feature> out = calculator.extractOutputValues();
            assertEquals(List.of("a", "c", "b", "d"), ids(out));
            Feature c = out.get(1);
            assertEquals(2, c.txnCount10m()); // a (exactly 10 min before) and c
            Feature b = out.get(2);
            assertEquals(2, b.txnCount1h());
            assertEquals(30.0, b.amountSum1h());
            assertEquals(20.0, b.amountMax1h());
            assertEquals(300.0, b.secondsSincePrev());
            assertEquals(15.0, b.amountMean24h());
            Feature d = out.get(3);
            assertEquals(3, d.txnCount10m()); // b (7 min before), c, d; a is 12 min before
            assertEquals(61.0, d.amountSum10m());
            assertEquals(4, d.txnCount1h());
            assertEquals(4, d.distinctMerchants1h());
            assertEquals(120.0, d.secondsSincePrev()); // from c, the latest earlier event
            // c's feature, emitted before b arrived, is not revised: still exactly one feature per transaction.
            assertEquals(4, out.size());
        }
    }

    @Test
    void aDeviceFirstUsedLaterIsNewForAnEarlierEventThatArrivesAfter() throws Exception {
        try (var calculator = harness(FeatureTiming.ARRIVAL)) {
            calculator.open();
            calculator.processElement(arriving(txn("later", 30, 5)));
            calculator.processElement(arriving(txn("earlier", 0, 5)));
            calculator.processElement(arriving(txn("last", 40, 5)));
            List<Boolean> isNew = calculator.extractOutputValues().stream().map(Feature::isNewDevice).toList();
            assertEquals(List.of(true, true, false), isNew);
        }
    }

    @Test
    void arrivalStillForgetsHistoryAndDevicesAsTheWatermarkPasses() throws Exception {
        try (var calculator = harness(FeatureTiming.ARRIVAL)) {
            calculator.open();
            calculator.processElement(arriving(txn("a", 0, 10)));
            calculator.processElement(arriving(txn("b", 1, 10)));
            assertEquals(2, calculator.numKeyedStateEntries()); // history and one device
            calculator.processWatermark(new Watermark(T0 + FeatureCalculator.HISTORY_RETENTION_MS + CardHistory.ONE_HOUR_MS));
            assertEquals(1, calculator.numKeyedStateEntries()); // the device only
            calculator.processWatermark(new Watermark(T0 + FeatureCalculator.DEVICE_RETENTION_MS + CardHistory.ONE_HOUR_MS));
            assertEquals(0, calculator.numKeyedStateEntries());
            assertEquals(0, calculator.numEventTimeTimers());
            assertEquals(List.of("a", "b"), ids(calculator.extractOutputValues()));
        }
    }

    @Test
    void eventTimeWaitsForTheWatermarkAndDescribesInEventTimeOrder() throws Exception {
        try (var calculator = harness(FeatureTiming.EVENT_TIME)) {
            calculator.open();
            calculator.processElement(arriving(txn("c", 10, 40)));
            calculator.processElement(arriving(txn("a", 0, 10)));
            calculator.processElement(arriving(txn("b", 10, 20))); // the same time as c: ordered by id
            assertEquals(List.of(), calculator.extractOutputValues());
            calculator.processWatermark(new Watermark(T0 + 9 * MINUTE));
            assertEquals(List.of("a"), ids(calculator.extractOutputValues()));
            calculator.processWatermark(new Watermark(T0 + 10 * MINUTE));
            List<Feature> out = calculator.extractOutputValues();
            assertEquals(List.of("a", "b", "c"), ids(out));
            // As if they had arrived in order: c counts a and b, b counts a, whatever came first.
            assertEquals(2, out.get(1).txnCount10m());
            assertEquals(3, out.get(2).txnCount10m());
            assertEquals(0.0, out.get(2).secondsSincePrev());
        }
    }

    @Test
    void eventTimeDescribesALateTransactionAtOnceAgainstTheHistoryAsItStands() throws Exception {
        try (var calculator = harness(FeatureTiming.EVENT_TIME)) {
            calculator.open();
            calculator.processElement(arriving(txn("a", 0, 10)));
            calculator.processElement(arriving(txn("c", 10, 40)));
            calculator.processWatermark(new Watermark(T0 + 10 * MINUTE));
            calculator.processElement(arriving(txn("b", 5, 20)));
            List<Feature> out = calculator.extractOutputValues();
            assertEquals(List.of("a", "c", "b"), ids(out));
            assertEquals(2, out.get(2).txnCount10m()); // a and itself, not c
        }
    }

    @Test
    void transactionsWaitingInAnEventTimeSavepointAreDescribedAfterARestoreInArrivalMode() throws Exception {
        OperatorSubtaskState savepoint;
        try (var eventTime = harness(FeatureTiming.EVENT_TIME)) {
            eventTime.open();
            eventTime.processElement(arriving(txn("waiting", 0, 10)));
            assertEquals(List.of(), eventTime.extractOutputValues());
            savepoint = eventTime.snapshot(1, T0);
        }
        try (var arrival = harness(FeatureTiming.ARRIVAL)) {
            arrival.initializeState(savepoint);
            arrival.open();
            arrival.processElement(arriving(txn("new", 1, 5)));
            arrival.processWatermark(new Watermark(T0));
            List<Feature> out = arrival.extractOutputValues();
            assertEquals(List.of("new", "waiting"), ids(out));
            assertEquals(1, out.get(0).txnCount10m()); // the waiting one was not in the history yet
        }
    }
}
