package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.model.CompactExample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The hold before the trainer passes every record at once, in arrival order, except one the label
 * join emitted at or after the example's deadline, which waits until the watermark passes that
 * time (and is in the operator's state meanwhile).
 */
class TimeoutHoldTest {
  private static final long TIMEOUT = Duration.ofMinutes(1).toMillis();
  private static final TrainConfig.LabelSettings SETTINGS = new TrainConfig.LabelSettings(
      true, Duration.ofMillis(TIMEOUT), TrainConfig.OnTimeout.DEFAULT_LABEL, 0f);

  @Test
  void aTimedOutExampleWaitsForTheWatermarkOthersPassAtOnce() throws Exception {
    try (var harness = harness()) {
      harness.processWatermark(new Watermark(0));
      harness.processElement(new StreamRecord<>(example("a", 10, Float.NaN), 10));
      // a label later than its deadline: held, but only until the deadline (5 + TIMEOUT)
      harness.processElement(new StreamRecord<>(example("b", 5, 0f), 10 + TIMEOUT));
      harness.processElement(new StreamRecord<>(example("c", 20, 1f), 20));
      harness.processElement(new StreamRecord<>(example("d", 30, 1f), 40)); // label at 40
      assertEquals(List.of("a/NaN", "c/1.0", "d/1.0"), emitted(harness));
      harness.processElement(new StreamRecord<>(example("e", 1, 0f), 1 + TIMEOUT));
      harness.processWatermark(new Watermark(5 + TIMEOUT));
      assertEquals(List.of("a/NaN", "c/1.0", "d/1.0", "e/0.0", "b/0.0"), emitted(harness),
          "e, then b, at their deadlines");
      harness.processElement(new StreamRecord<>(example("f", 6, 0f), 6 + TIMEOUT));
      harness.processElement(new StreamRecord<>(example("g", 2, 0f), 2 + TIMEOUT));
      assertEquals(List.of("a/NaN", "c/1.0", "d/1.0", "e/0.0", "b/0.0", "g/0.0"),
          emitted(harness), "g's deadline is behind the watermark: at once");
      harness.processWatermark(new Watermark(Long.MAX_VALUE));
      assertEquals(List.of("a/NaN", "c/1.0", "d/1.0", "e/0.0", "b/0.0", "g/0.0", "f/0.0"),
          emitted(harness), "in deadline order");
    }
  }

  @Test
  void aLabelLaterThanTheDeadlineWaitsOnlyUntilTheDeadline() throws Exception {
    try (var harness = harness()) {
      // the label's event time ten days ahead (a skewed clock): held until the example's
      // deadline, not the label's time
      harness.processElement(new StreamRecord<>(example("late", 5, 1f),
          5 + Duration.ofDays(10).toMillis()));
      assertEquals(List.of(), emitted(harness));
      harness.processWatermark(new Watermark(5 + TIMEOUT));
      assertEquals(List.of("late/1.0"), emitted(harness));
    }
  }

  @Test
  void heldExamplesAreInTheSnapshot() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = harness()) {
      harness.processElement(new StreamRecord<>(example("b", 5, 0f), 5 + TIMEOUT));
      harness.processElement(new StreamRecord<>(example("c", 5, 1f), 5 + TIMEOUT));
      snapshot = harness.snapshot(1, 1);
      assertEquals(List.of(), emitted(harness));
    }
    try (var restored = harness(snapshot)) {
      restored.processWatermark(new Watermark(Long.MAX_VALUE));
      assertEquals(List.of("b/0.0", "c/1.0"), emitted(restored), "in arrival order");
    }
  }

  private static CompactExample example(String id, long eventTime, float label) {
    return new CompactExample(id, "m", eventTime, new long[] {1}, new float[] {1f}, new float[0],
        label, 1f);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, CompactExample>
      harness() throws Exception {
    return harness(null);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, CompactExample>
      harness(OperatorSubtaskState restore) throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<String, CompactExample,
        CompactExample>(new KeyedProcessOperator<>(new TimeoutHold(SETTINGS)),
        e -> e.modelKey, Types.STRING);
    harness.setup(CompactExampleTypeInfo.INSTANCE.createSerializer(
        new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
    if (restore != null) {
      harness.initializeState(restore);
    }
    harness.open();
    return harness;
  }

  /** The records emitted so far, as {@code id/label}. */
  private static List<String> emitted(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, CompactExample> harness) {
    List<String> out = new ArrayList<>();
    for (Object o : harness.getOutput()) {
      if (o instanceof StreamRecord<?> r && r.getValue() instanceof CompactExample e) {
        out.add(e.exampleId + "/" + e.label);
      }
    }
    return out;
  }
}
