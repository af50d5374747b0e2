package io.gradflow.jobs.train;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Just before the trainer (chained to it, keyed by model): holds an example the label join
 * emitted at or after its deadline (its timeout's default label, or a label that came later than
 * the deadline) until the trainer's watermark passes the deadline, so the trainer learns it after
 * every example that came before that point in event time, whichever channel they came on.
 * Everything else passes at once, in arrival order.
 *
 * <p>Why: labeled examples reach the trainer straight from the examples' source, the join's output
 * on another channel, and two channels keep no order between them. At the end of a bounded input
 * the join sees the final watermark and gives every waiting example its default label at once,
 * while labeled examples of earlier event time may still be on their way: without this hold the
 * trainer learned them wherever its input happened to read them (in a small bounded run, before
 * the first example; after a restore, at the restore point), so a run stopped with a savepoint
 * and restored did not end as one run does. With it, both learn them after the last example of
 * the input (at the final watermark), in deadline order.
 *
 * <p><b>Key:</b> the trainer's (model key, {@code model#candidate} in a race). <b>State</b>
 * (version 1): {@code "held-examples.v1"}, the held examples by the time they wait for (their
 * deadline), in arrival order; an event-time timer per time. A savepoint
 * taken before this operator existed restores with nothing held.
 */
final class TimeoutHold extends KeyedProcessFunction<String, CompactExample, CompactExample> {
  private static final long serialVersionUID = 1L;

  private final TrainConfig.LabelSettings settings;
  private transient MapState<Long, List<CompactExample>> held;

  TimeoutHold(TrainConfig.LabelSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(OpenContext context) {
    held = getRuntimeContext().getMapState(new MapStateDescriptor<>("held-examples.v1",
        Types.LONG, new ListTypeInfo<>(CompactExampleTypeInfo.INSTANCE)));
  }

  @Override
  public void processElement(CompactExample example, Context ctx, Collector<CompactExample> out)
      throws Exception {
    Long at = ctx.timestamp();
    long deadline = settings.deadline(example.eventTime);
    // Held until the deadline, never longer: a label joined after it carries the label's own
    // event time, which a skewed or mis-scaled producer may put far ahead of the examples.
    if (at == null || !example.hasLabel() || at < deadline
        || deadline <= ctx.timerService().currentWatermark()) {
      out.collect(example);
      return;
    }
    List<CompactExample> waiting = held.get(deadline);
    if (waiting == null) {
      waiting = new ArrayList<>(1);
      ctx.timerService().registerEventTimeTimer(deadline);
    }
    waiting.add(example);
    held.put(deadline, waiting);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<CompactExample> out)
      throws Exception {
    List<CompactExample> waiting = held.get(timestamp);
    if (waiting != null) {
      held.remove(timestamp);
      waiting.forEach(out::collect);
    }
  }
}
