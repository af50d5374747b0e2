package io.gradflow.jobs.train;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.model.CompactExample;
import java.time.Duration;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins unlabeled examples with their delayed labels, and passes each unlabeled example on, as it
 * arrives, to be scored: the only path of an unlabeled example to the trainer.
 *
 * <p><b>Order.</b> For every example, the unlabeled copy is emitted first (when the example
 * arrives) and the labeled copy after it (at once if its label came first, else when the label
 * comes or the timeout passes). Both leave this keyed subtask on one channel, so the trainer
 * scores an example before it learns it. Emitting the unlabeled copy here rather than from a
 * separate path is what makes this hold: two paths would reach the trainer in network order.
 *
 * <p><b>Key:</b> the example id. <b>State</b> (version 1): {@code "pending-example.v1"}, the
 * example waiting for its label; {@code "early-label.v1"}, a label that arrived before its example
 * (labels and examples come from different topics). An example whose label arrives is emitted
 * with it; one still waiting {@code timeout} of event time after its own event time gets the
 * configured default label (for example "no click") or is dropped and counted
 * ({@code timedOutDropped}), by configuration. A label whose example never comes is dropped at
 * the same deadline and counted ({@code orphanLabels}). Both states also carry an explicit TTL of
 * twice the timeout (processing time) as a safety net.
 *
 * <p>Counts, as Flink metrics and as accumulators (summed over subtasks, for train's console):
 * labels read ({@value #LABELS_READ}), joined ({@value #JOINED}), examples given the default label
 * ({@value #DEFAULTED}) or dropped ({@value #DROPPED}) at the timeout, orphan labels
 * ({@value #ORPHANS}), and second labels of an example whose first was waiting for it
 * ({@value #DUPLICATES}: ignored; the first is joined).
 */
public final class LabelJoinFunction
    extends KeyedCoProcessFunction<String, CompactExample, CompactLabel, CompactExample> {
  private static final long serialVersionUID = 1L;

  /** Accumulator: labels that reached the join. */
  public static final String LABELS_READ = "labels-read";
  /** Accumulator: examples joined with their label. */
  public static final String JOINED = "labels-joined";
  /** Accumulator: examples learned with the default label at the timeout. */
  public static final String DEFAULTED = "labels-defaulted";
  /** Accumulator: examples dropped at the timeout without a label. */
  public static final String DROPPED = "labels-timed-out-dropped";
  /** Accumulator: labels whose example never came (dropped at their deadline). */
  public static final String ORPHANS = "labels-orphans";
  /**
   * Accumulator: second labels of an example id whose first label was still waiting for the
   * example: ignored, the first label is the one joined (trial 23 F7: a later one replaced it,
   * uncounted).
   */
  public static final String DUPLICATES = "labels-duplicates";

  private final TrainConfig.LabelSettings settings;
  private transient ValueState<CompactExample> pending;
  private transient ValueState<CompactLabel> early;
  private transient Counter joined;
  private transient Counter defaulted;
  private transient Counter dropped;
  private transient Counter orphans;
  private transient LongCounter readTally;
  private transient LongCounter joinedTally;
  private transient LongCounter defaultedTally;
  private transient LongCounter droppedTally;
  private transient LongCounter orphanTally;
  private transient LongCounter duplicateTally;

  public LabelJoinFunction(TrainConfig.LabelSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(OpenContext context) {
    StateTtlConfig ttl = StateTtlConfig.newBuilder(settings.timeout().multipliedBy(2)
        .plus(Duration.ofMinutes(1))).build();
    ValueStateDescriptor<CompactExample> pendingDescriptor = new ValueStateDescriptor<>(
        "pending-example.v1", TypeInformation.of(CompactExample.class));
    pendingDescriptor.enableTimeToLive(ttl);
    ValueStateDescriptor<CompactLabel> earlyDescriptor =
        new ValueStateDescriptor<>("early-label.v1", TypeInformation.of(CompactLabel.class));
    earlyDescriptor.enableTimeToLive(ttl);
    pending = getRuntimeContext().getState(pendingDescriptor);
    early = getRuntimeContext().getState(earlyDescriptor);
    joined = getRuntimeContext().getMetricGroup().counter("labelsJoined");
    defaulted = getRuntimeContext().getMetricGroup().counter("defaultLabels");
    dropped = getRuntimeContext().getMetricGroup().counter("timedOutDropped");
    orphans = getRuntimeContext().getMetricGroup().counter("orphanLabels");
    readTally = tally(LABELS_READ);
    joinedTally = tally(JOINED);
    defaultedTally = tally(DEFAULTED);
    droppedTally = tally(DROPPED);
    orphanTally = tally(ORPHANS);
    duplicateTally = tally(DUPLICATES);
  }

  private LongCounter tally(String name) {
    LongCounter counter = new LongCounter();
    getRuntimeContext().addAccumulator(name, counter);
    return counter;
  }

  @Override
  public void processElement1(CompactExample example, Context ctx, Collector<CompactExample> out)
      throws Exception {
    out.collect(example); // scored on arrival, before any labeled copy below or later
    CompactLabel label = early.value();
    if (label != null) {
      early.clear();
      joined.inc();
      joinedTally.add(1);
      out.collect(example.withLabel(label.label));
      return;
    }
    pending.update(example);
    ctx.timerService().registerEventTimeTimer(settings.deadline(example.eventTime));
  }

  @Override
  public void processElement2(CompactLabel label, Context ctx, Collector<CompactExample> out)
      throws Exception {
    readTally.add(1);
    CompactExample example = pending.value();
    if (example != null) {
      pending.clear();
      ctx.timerService().deleteEventTimeTimer(settings.deadline(example.eventTime));
      joined.inc();
      joinedTally.add(1);
      out.collect(example.withLabel(label.label));
      return;
    }
    if (early.value() != null) {
      duplicateTally.add(1); // the first label waiting for the example stays the one joined
      return;
    }
    early.update(label);
    ctx.timerService().registerEventTimeTimer(settings.deadline(label.eventTime));
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<CompactExample> out)
      throws Exception {
    CompactExample example = pending.value();
    if (example != null && settings.deadline(example.eventTime) <= timestamp) {
      pending.clear();
      if (settings.onTimeout() == TrainConfig.OnTimeout.DEFAULT_LABEL) {
        defaulted.inc();
        defaultedTally.add(1);
        out.collect(example.withLabel(settings.defaultLabel()));
      } else {
        dropped.inc();
        droppedTally.add(1);
      }
    }
    CompactLabel label = early.value();
    if (label != null && settings.deadline(label.eventTime) <= timestamp) {
      early.clear();
      orphans.inc();
      orphanTally.add(1);
    }
  }

}
