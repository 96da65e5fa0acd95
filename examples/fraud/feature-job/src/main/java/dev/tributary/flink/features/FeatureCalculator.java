package dev.tributary.flink.features;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Emits exactly one {@link Feature} per transaction of a card (the key is the card hash), when
 * its {@link FeatureTiming} says.
 *
 * <p>{@link FeatureTiming#ARRIVAL}: every transaction is described at once, against the card's
 * history as it stands (entries with event time ≤ its own, within each window), then joins the
 * history at its event-time place. No timer waits for the watermark, so the out-of-orderness
 * bound is in no feature's latency and a stream that goes quiet has its last transaction
 * described too. Features already emitted for later transactions are not revised.
 *
 * <p>{@link FeatureTiming#EVENT_TIME}: on-time transactions wait in state until the watermark
 * passes their event time, then are described in event-time order (ties by transaction id), so
 * any arrival order within the out-of-orderness bound gives the same features as in-order
 * arrival. A transaction at or behind the watermark when it arrives (late) is not dropped: it is
 * described at once, as in arrival mode.
 *
 * <p>Pending transactions are described when their timer fires in either mode, so a savepoint
 * of an event-time job restores into an arrival one without losing those that were waiting.
 *
 * <p>Retention is in event time, driven by timers, because Flink's state TTL counts processing
 * time and would behave differently on a replay: history is kept for 24 h plus
 * {@link #LATE_HISTORY_MS} behind the watermark (so a transaction up to that late still sees a
 * complete 24 h window), devices for {@link #DEVICE_RETENTION_MS} after their last use.
 */
public final class FeatureCalculator extends KeyedProcessFunction<String, CardTransaction, Feature> {
    /** How late a transaction may be and still see a complete 24 h window. */
    public static final long LATE_HISTORY_MS = CardHistory.ONE_DAY_MS;
    public static final long HISTORY_RETENTION_MS = CardHistory.ONE_DAY_MS + LATE_HISTORY_MS;
    public static final long DEVICE_RETENTION_MS = 30 * CardHistory.ONE_DAY_MS;
    /** Clean-up timers are rounded up to the hour so a busy card keeps few of them. */
    private static final long CLEANUP_GRANULARITY_MS = CardHistory.ONE_HOUR_MS;

    private final String jobVersion;
    private final FeatureTiming timing;
    private transient MapState<Long, List<CardTransaction>> pendingByEventTime;
    private transient ValueState<List<HistoryEntry>> history;
    private transient MapState<String, DeviceSighting> devices;
    private transient Counter lateTransactions;

    public FeatureCalculator(String jobVersion, FeatureTiming timing) {
        this.jobVersion = jobVersion;
        this.timing = timing;
    }

    @Override
    public void open(OpenContext openContext) {
        pendingByEventTime = getRuntimeContext().getMapState(new MapStateDescriptor<>("pending-by-event-time",
                Types.LONG, TypeInformation.of(new TypeHint<List<CardTransaction>>() {})));
        history = getRuntimeContext().getState(new ValueStateDescriptor<>("history",
                TypeInformation.of(new TypeHint<List<HistoryEntry>>() {})));
        devices = getRuntimeContext().getMapState(new MapStateDescriptor<>("devices",
                Types.STRING, TypeInformation.of(DeviceSighting.class)));
        lateTransactions = getRuntimeContext().getMetricGroup().counter("lateTransactions");
    }

    @Override
    public void processElement(CardTransaction txn, Context ctx, Collector<Feature> out) throws Exception {
        boolean late = txn.eventTime() <= ctx.timerService().currentWatermark();
        if (late) lateTransactions.inc();
        if (late || timing == FeatureTiming.ARRIVAL) {
            describe(txn, ctx, out);
            return;
        }
        List<CardTransaction> pending = pendingByEventTime.get(txn.eventTime());
        if (pending == null) pending = new ArrayList<>();
        pending.add(txn);
        pendingByEventTime.put(txn.eventTime(), pending);
        ctx.timerService().registerEventTimeTimer(txn.eventTime());
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Feature> out) throws Exception {
        List<CardTransaction> due = pendingByEventTime.get(timestamp);
        if (due != null) {
            due.sort(Comparator.comparing(CardTransaction::transactionId));
            for (CardTransaction txn : due) describe(txn, ctx, out);
            pendingByEventTime.remove(timestamp);
        }
        // The timer's own time, not the current watermark: when the watermark jumps ahead, timers
        // fire in time order under the new watermark, and pending transactions of later timers
        // still need the history that the jump alone would expire.
        forgetExpired(timestamp);
    }

    private void describe(CardTransaction txn, Context ctx, Collector<Feature> out) throws Exception {
        List<HistoryEntry> entries = history.value();
        CardHistory card = new CardHistory(entries == null ? new ArrayList<>() : entries);
        DeviceSighting sighting = devices.get(txn.deviceId());
        boolean isNewDevice = sighting == null || sighting.firstSeen() > txn.eventTime();
        out.collect(card.featuresOf(txn, isNewDevice, jobVersion));

        card.add(txn);
        history.update(card.entries());
        devices.put(txn.deviceId(), sighting == null ? new DeviceSighting(txn.eventTime(), txn.eventTime()) : sighting.including(txn.eventTime()));
        ctx.timerService().registerEventTimeTimer(roundUp(txn.eventTime() + HISTORY_RETENTION_MS));
        ctx.timerService().registerEventTimeTimer(roundUp(txn.eventTime() + DEVICE_RETENTION_MS));
    }

    private void forgetExpired(long now) throws Exception {
        List<HistoryEntry> entries = history.value();
        if (entries != null) {
            CardHistory card = new CardHistory(entries);
            if (card.pruneBefore(now - HISTORY_RETENTION_MS) > 0) {
                if (card.isEmpty()) history.clear();
                else history.update(card.entries());
            }
        }
        List<String> expired = null;
        for (var device : devices.entries()) {
            if (device.getValue().lastSeen() >= now - DEVICE_RETENTION_MS) continue;
            if (expired == null) expired = new ArrayList<>();
            expired.add(device.getKey());
        }
        if (expired != null) for (String device : expired) devices.remove(device);
    }

    private static long roundUp(long time) {
        return Math.floorDiv(time + CLEANUP_GRANULARITY_MS - 1, CLEANUP_GRANULARITY_MS) * CLEANUP_GRANULARITY_MS;
    }
}
