package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.model.CompactExample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The label join emits every unlabeled example unlabeled when it arrives, and labeled after it,
 * whether its label came before it, after it, or not at all (the default label at the timeout).
 */
class LabelJoinFunctionTest {
  private static final TrainConfig.LabelSettings DEFAULT_LABEL = new TrainConfig.LabelSettings(
      true, Duration.ofMinutes(1), TrainConfig.OnTimeout.DEFAULT_LABEL, 0f);
  private static final TrainConfig.LabelSettings DROP = new TrainConfig.LabelSettings(
      true, Duration.ofMinutes(1), TrainConfig.OnTimeout.DROP, 0f);

  @Test
  void anExampleIsEmittedUnlabeledBeforeItsLabeledCopyWhicheverComesFirst() throws Exception {
    try (var harness = harness(DEFAULT_LABEL)) {
      harness.processElement2(new StreamRecord<>(new CompactLabel("a", "m", 10, 1f), 10));
      assertEquals(List.of(), emitted(harness), "a label alone waits for its example");
      harness.processElement1(new StreamRecord<>(example("a", 10), 10));
      harness.processElement1(new StreamRecord<>(example("b", 20), 20));
      harness.processElement2(new StreamRecord<>(new CompactLabel("b", "m", 30, 0f), 30));
      harness.processElement1(new StreamRecord<>(example("c", 40), 40));
      assertEquals(List.of("a/NaN", "a/1.0", "b/NaN", "b/0.0", "c/NaN"), emitted(harness));
      harness.processBothWatermarks(new org.apache.flink.streaming.api.watermark.Watermark(
          40 + Duration.ofMinutes(1).toMillis()));
      assertEquals(List.of("a/NaN", "a/1.0", "b/NaN", "b/0.0", "c/NaN", "c/0.0"),
          emitted(harness), "c's default label at its deadline");
    }
  }

  @Test
  void anExampleWhoseLabelNeverComesIsStillScoredWhenTimedOutExamplesAreDropped()
      throws Exception {
    try (var harness = harness(DROP)) {
      harness.processElement1(new StreamRecord<>(example("a", 10), 10));
      harness.processBothWatermarks(new org.apache.flink.streaming.api.watermark.Watermark(
          Long.MAX_VALUE));
      assertEquals(List.of("a/NaN"), emitted(harness));
    }
  }

  /**
   * Trial 23 F7: a second label of an example id whose first label is still waiting for the
   * example is counted and ignored; the first is joined (a later one replaced it, uncounted).
   */
  @Test
  void aSecondLabelWaitingForTheSameExampleIsCountedAndTheFirstJoins() throws Exception {
    try (var harness = harness(DEFAULT_LABEL)) {
      harness.processElement2(new StreamRecord<>(new CompactLabel("a", "m", 10, 1f), 10));
      harness.processElement2(new StreamRecord<>(new CompactLabel("a", "m", 12, 0f), 12));
      harness.processElement1(new StreamRecord<>(example("a", 10), 10));
      assertEquals(List.of("a/NaN", "a/1.0"), emitted(harness));
      assertEquals(1L, harness.getOperator().getRuntimeContext()
          .getAccumulator(LabelJoinFunction.DUPLICATES).getLocalValue());
      assertEquals(1L, harness.getOperator().getRuntimeContext()
          .getAccumulator(LabelJoinFunction.JOINED).getLocalValue());
    }
  }

  private static CompactExample example(String id, long eventTime) {
    return new CompactExample(id, "m", eventTime, new long[] {1}, new float[] {1f}, new float[0],
        Float.NaN, 1f);
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, CompactExample, CompactLabel,
      CompactExample> harness(TrainConfig.LabelSettings settings) throws Exception {
    var harness = new KeyedTwoInputStreamOperatorTestHarness<String, CompactExample, CompactLabel,
        CompactExample>(new KeyedCoProcessOperator<>(new LabelJoinFunction(settings)),
        e -> e.exampleId, l -> l.exampleId, Types.STRING);
    harness.setup(CompactExampleTypeInfo.INSTANCE.createSerializer(
        new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
    harness.open();
    return harness;
  }

  /** The records emitted so far, as {@code id/label}. */
  private static List<String> emitted(KeyedTwoInputStreamOperatorTestHarness<String,
      CompactExample, CompactLabel, CompactExample> harness) {
    List<String> out = new ArrayList<>();
    for (Object o : harness.getOutput()) {
      if (o instanceof StreamRecord<?> r && r.getValue() instanceof CompactExample e) {
        out.add(e.exampleId + "/" + e.label);
      }
    }
    return out;
  }
}
