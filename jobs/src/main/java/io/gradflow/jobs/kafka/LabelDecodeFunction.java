package io.gradflow.jobs.kafka;

import org.apache.flink.api.common.accumulators.IntCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes raw Kafka records into {@link CompactLabel}s; refused records (undecodable, empty id,
 * label outside the loss's domain) go to the {@link DeadLetter#TAG} side output and are
 * counted like in {@link ExampleDecodeFunction}. Stateless.
 *
 * <p>Behind a {@link ParallelDecodeFunction#labels} pool ({@code job.decode_parallelism} above 1)
 * the record arrives decoded and this function only emits and counts.
 */
public final class LabelDecodeFunction extends ProcessFunction<RawRecord, CompactLabel> {
  private static final long serialVersionUID = 1L;

  private final ExampleDecoder decoder;
  private transient ExampleDecodeFunction.DeadLetterCounters counters;
  private transient Counter decoded;
  private transient InputAccumulator input;
  private transient IntCounter ended;
  private transient DeadLetterAccumulator deadLetterTally;

  public LabelDecodeFunction(ExampleDecoder decoder) {
    this.decoder = decoder;
  }

  @Override
  public void open(OpenContext context) {
    counters = new ExampleDecodeFunction.DeadLetterCounters(getRuntimeContext().getMetricGroup());
    decoded = getRuntimeContext().getMetricGroup().counter("decoded");
    input = new InputAccumulator();
    deadLetterTally = new DeadLetterAccumulator();
    getRuntimeContext().addAccumulator(InputAccumulator.NAME, input);
    ended = new IntCounter();
    getRuntimeContext().addAccumulator(InputAccumulator.ENDED_LABELS, ended);
    getRuntimeContext().addAccumulator(DeadLetterAccumulator.NAME, deadLetterTally);
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<CompactLabel> out) {
    CompactLabel label;
    if (raw.isEndOfInput()) {
      ended.add(1);
      return;
    }
    input.add(raw);
    try {
      if (raw.decoded instanceof RejectedRecordException rejected) {
        throw rejected;
      }
      label = raw.decoded instanceof CompactLabel l ? l
          : decoder.decodeLabel(raw.value);
    } catch (RejectedRecordException e) {
      counters.count(e.reason());
      DeadLetter deadLetter = DeadLetter.of(raw, e.reason(), e.getMessage());
      deadLetterTally.add(deadLetter);
      ctx.output(DeadLetter.TAG, deadLetter);
      return;
    }
    decoded.inc();
    out.collect(label);
  }
}
