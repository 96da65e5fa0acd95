package dev.tributary.flink.features;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.OutputTag;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.util.Collector;

/** Passes decoded values on and sends dead letters to a side output, counting them. */
public final class DeadLetterRouter<T> extends ProcessFunction<Decoded<T>, T> implements ResultTypeQueryable<T> {
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    private final TypeInformation<T> valueType;
    private transient Counter deadLetters;

    public DeadLetterRouter(Class<T> valueClass) {
        this.valueType = TypeInformation.of(valueClass);
    }

    @Override
    public void open(OpenContext openContext) {
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(Decoded<T> decoded, Context ctx, Collector<T> out) {
        if (decoded.isValue()) {
            out.collect(decoded.value());
        } else {
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, decoded.deadLetter());
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return valueType;
    }
}
