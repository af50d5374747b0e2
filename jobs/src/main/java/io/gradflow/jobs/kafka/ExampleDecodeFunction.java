package io.gradflow.jobs.kafka;

import io.gradflow.model.CompactExample;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.IntCounter;
import org.apache.flink.api.common.accumulators.IntMaximum;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes raw Kafka records into {@link CompactExample}s with {@link ExampleDecoder}; refused
 * records go to the {@link DeadLetter#TAG} side output with their reason and coordinates and are
 * counted (metric {@code deadLetters}, and {@code deadLetters} under group {@code reason=<REASON>}).
 * Nothing is dropped: every input leaves as an example or a dead letter.
 *
 * <p>Behind a {@link ParallelDecodeFunction} ({@code job.decode_parallelism} above 1) the record
 * arrives decoded and this function only emits and counts.
 *
 * <p>Stateless (no keyed or operator state). Metrics: {@code decoded}, {@code deadLetters}.
 * Accumulators (read by the {@code train} console): {@link InputAccumulator} (what was read, per
 * partition), {@link DeadLetterAccumulator} (dead letters by reason, with the first of each) and
 * {@link EarlyEventTimes} (examples whose event time is before 2000: seconds, most likely).
 */
public final class ExampleDecodeFunction extends ProcessFunction<RawRecord, CompactExample> {
  private static final long serialVersionUID = 1L;

  private final ExampleDecoder decoder;
  private transient DeadLetterCounters counters;
  private transient Counter decoded;
  private transient InputAccumulator input;
  private transient IntCounter ended;
  private transient DeadLetterAccumulator deadLetterTally;
  private transient EarlyEventTimes early;

  public ExampleDecodeFunction(ExampleDecoder decoder) {
    this.decoder = decoder;
  }

  @Override
  public void open(OpenContext context) {
    MetricGroup group = getRuntimeContext().getMetricGroup();
    counters = new DeadLetterCounters(group);
    decoded = group.counter("decoded");
    input = new InputAccumulator();
    deadLetterTally = new DeadLetterAccumulator();
    getRuntimeContext().addAccumulator(InputAccumulator.NAME, input);
    ended = new IntCounter();
    getRuntimeContext().addAccumulator(InputAccumulator.ENDED_EXAMPLES, ended);
    getRuntimeContext().addAccumulator(DeadLetterAccumulator.NAME, deadLetterTally);
    early = new EarlyEventTimes();
    getRuntimeContext().addAccumulator(EarlyEventTimes.NAME, early);
    getRuntimeContext().addAccumulator(InputAccumulator.ATTEMPT,
        new IntMaximum(getRuntimeContext().getTaskInfo().getAttemptNumber()));
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<CompactExample> out) {
    CompactExample example;
    if (raw.isEndOfInput()) {
      ended.add(1);
      return;
    }
    input.add(raw);
    try {
      if (raw.decoded instanceof RejectedRecordException rejected) {
        throw rejected;
      }
      example = raw.decoded instanceof CompactExample decoded ? decoded
          : decoder.decodeExample(raw.value);
    } catch (RejectedRecordException e) {
      counters.count(e.reason());
      DeadLetter deadLetter = DeadLetter.of(raw, e.reason(), e.getMessage());
      deadLetterTally.add(deadLetter);
      ctx.output(DeadLetter.TAG, deadLetter);
      return;
    }
    decoded.inc();
    if (EarlyEventTimes.early(example.eventTime)) {
      early.add(example.eventTime);
    }
    out.collect(example);
  }

  /** The dead-letter counters of one decode function: a total and one per reason. */
  static final class DeadLetterCounters {
    private final Counter total;
    private final Map<DeadLetterReason, Counter> byReason = new EnumMap<>(DeadLetterReason.class);

    DeadLetterCounters(MetricGroup group) {
      total = group.counter("deadLetters");
      for (DeadLetterReason r : DeadLetterReason.values()) {
        byReason.put(r, group.addGroup("reason", r.name()).counter("deadLetters"));
      }
    }

    void count(DeadLetterReason reason) {
      total.inc();
      byReason.get(reason).inc();
    }
  }
}
